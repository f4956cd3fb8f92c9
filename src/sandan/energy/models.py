"""Tables of the energy domain
(FEMS analytics: KPIs, KEPCO tariffs and bills, peak demand, baselines, anomalies, diagnosis).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class SupplyContract(Base):
    """A company's KEPCO supply contract (전력 공급 계약): the tariff its bills are priced on.

    ``tariff`` industrial_gap_1 / industrial_gap_2 / industrial_eul; ``voltage`` low / high_a /
    high_b / high_c; ``choice`` I / II / III (empty for low-voltage 갑Ⅰ); ``contract_kw`` contract
    power 계약전력 [kW]; ``deferred_reform`` the company deferred the 2026 time-of-use reform (유예);
    ``reactive_metered`` a kVarh meter is installed (power-factor charge applies); ``peak_warning_kw``
    and ``peak_critical_kw`` the thresholds of peak-demand control.
    Company data: written by the company's admins (the one access policy).
    """

    __tablename__ = "energy_supply_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), unique=True, index=True)
    tariff: Mapped[str] = mapped_column(String(24))
    voltage: Mapped[str] = mapped_column(String(8))
    choice: Mapped[str] = mapped_column(String(4), default="")
    contract_kw: Mapped[int] = mapped_column(Integer)
    deferred_reform: Mapped[bool] = mapped_column(Boolean, default=False)
    reactive_metered: Mapped[bool] = mapped_column(Boolean, default=True)
    #: peak-demand thresholds of the running 15-minute forecast [kW]; empty: 80 % / 95 % of contract power
    peak_warning_kw: Mapped[int | None] = mapped_column(Integer)
    peak_critical_kw: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)
