"""Tables of the complex power market
(Direct power trading: PPAs, local market clearing, settlement, certificates, revenue sharing).
"""

from __future__ import annotations
