"""Links a domain adds to the main navigation.

Each domain's web module (``sandan.web.energy``, ``sandan.web.carbon`` …) lists its ``NAV``
entries; the layout shows an entry when its ``href`` gives a path for the signed-in viewer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from sandan.web.render import Viewer

#: The domains with pages, in the order their links appear.
DOMAINS: tuple[str, ...] = ("energy", "carbon", "grid", "market", "circular", "programs")


@lru_cache(maxsize=1)
def domain_modules() -> tuple[ModuleType, ...]:
    """The web modules of the domains (imported on first use: they import the page helpers)."""
    return tuple(importlib.import_module(f"sandan.web.{name}") for name in DOMAINS)


@dataclass(frozen=True)
class NavEntry:
    """One link: its English label (a catalogue ``msgid``, marked with ``N_``) and where it goes.

    ``href`` answers the path for a viewer, or ``None`` when the link is not for them (a role that
    may not open the page, a viewer without a company).
    """

    label: str
    href: Callable[[Viewer], str | None]


def entries(viewer: Viewer | None) -> list[tuple[str, str]]:
    """(label, path) of every domain link the viewer may follow, in domain order."""
    if viewer is None:
        return []
    found: list[tuple[str, str]] = []
    for module in domain_modules():
        for entry in module.NAV:
            path = entry.href(viewer)
            if path:
                found.append((entry.label, path))
    return found
