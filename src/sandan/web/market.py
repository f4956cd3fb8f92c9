"""Web pages of the complex power market
(direct power trading: PPAs, local market clearing, settlement, certificates, revenue sharing).

Pages open their session with :func:`sandan.web.pages.open_page` (the one access policy decides
what they show) and render through :func:`sandan.web.render.render`.  ``NAV`` lists the links this
domain adds to the main navigation.
"""

from __future__ import annotations

from fastapi import APIRouter

from sandan.web.nav import NavEntry

router = APIRouter(include_in_schema=False)

NAV: tuple[NavEntry, ...] = ()
