"""FEMS analytics.

KPIs, KEPCO tariff engine, baselines, anomalies, peak-demand control, diagnosis, benchmarking
(issue #4).
"""
