"""FEMS+ and MRV.

emission factors, GHG inventory, product carbon footprints, PACT / battery passport / CBAM
exports, verification (issue #5).
"""
