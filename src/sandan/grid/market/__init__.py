"""The complex power market (issue #7), inside the grid domain.

Direct PPAs, local market clearing, settlement, certificates, revenue sharing.
"""
