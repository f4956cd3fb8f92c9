"""Energy self-sufficiency.

DER registry, generation models and forecasts, complex balance and dispatch, market,
certificates, revenue sharing (issues #6, #7).
"""
