"""Resource circulation.

waste and by-product streams, symbiosis matching and map, handover chain, circularity KPIs
(issue #8).
"""
