"""The programme office.

the yearly call, eligibility, applications, evaluation with regional balance, selection,
budgets, KPIs (issue #9).
"""
