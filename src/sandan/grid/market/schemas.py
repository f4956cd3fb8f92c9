"""API shapes of the complex power market: the set-up, orders, clearings, prices and trades."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandan.core.tenancy.schemas import RowId, UtcDatetime, WriteModel
from sandan.grid.market.clearing import DAY_INTERVALS

#: A market day: a Korean calendar day between these bounds (keeps dates storable everywhere).
MarketDay = dt.date
DAY_MIN, DAY_MAX = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
PRICE_MAX = 100_000.0  # [KRW kWh-1], far above any tariff; a guard against typos


def _check_day(day: dt.date) -> None:
    if not DAY_MIN <= day <= DAY_MAX:
        raise ValueError(f"market_day must lie between {DAY_MIN} and {DAY_MAX}")


class NetworkIn(WriteModel):
    feeder_capacity_kw: list[float] = Field(default_factory=list, max_length=64,
                                            description="limit of each feeder 1 … F, both directions [kW]")
    import_capacity_kw: float = Field(ge=0, le=1e7, description="grid connection limit, drawing [kW]")
    export_capacity_kw: float = Field(ge=0, le=1e7, description="grid connection limit, sending [kW]")

    @model_validator(mode="after")
    def _limits(self) -> NetworkIn:
        if any(not 0 <= c <= 1e7 for c in self.feeder_capacity_kw):
            raise ValueError("feeder limits must lie between 0 and 10,000,000 kW")
        return self


class BatteryIn(WriteModel):
    node: int = Field(0, ge=0, le=64, description="node it is connected to (0 = the substation bus)")
    power_kw: float = Field(ge=0, le=1e6, description="charge and discharge limit [kW]")
    soc_min_kwh: float = Field(ge=0, le=1e7)
    soc_max_kwh: float = Field(ge=0, le=1e7)
    soc_initial_kwh: float = Field(ge=0, le=1e7, description="energy at 00:00 of each market day [kWh]")
    efficiency_charge: float = Field(0.95, gt=0, le=1)
    efficiency_discharge: float = Field(0.95, gt=0, le=1)
    cost_krw_per_kwh: float = Field(0.0, ge=0, le=1000, description="wear cost per kWh moved [KRW kWh-1]")

    @model_validator(mode="after")
    def _band(self) -> BatteryIn:
        if not self.soc_min_kwh <= self.soc_initial_kwh <= self.soc_max_kwh:
            raise ValueError("the battery needs soc_min_kwh <= soc_initial_kwh <= soc_max_kwh")
        return self


class GridPricesIn(WriteModel):
    """KEPCO as the outside option, per quarter hour (96 values) or per hour (24, repeated)."""

    import_krw_per_kwh: list[float] = Field(min_length=24, max_length=DAY_INTERVALS)
    export_krw_per_kwh: list[float] = Field(min_length=24, max_length=DAY_INTERVALS)

    @model_validator(mode="after")
    def _shape(self) -> GridPricesIn:
        for name in ("import_krw_per_kwh", "export_krw_per_kwh"):
            values = getattr(self, name)
            if len(values) not in (24, DAY_INTERVALS):
                raise ValueError(f"{name} needs 24 hourly or 96 quarter-hour values")
            if any(not -PRICE_MAX <= v <= PRICE_MAX for v in values):
                raise ValueError(f"{name} holds a price outside ±{PRICE_MAX:,.0f} KRW/kWh")
            if len(values) == 24:
                setattr(self, name, [v for v in values for _ in range(4)])
        if any(e > i for i, e in zip(self.import_krw_per_kwh, self.export_krw_per_kwh, strict=True)):
            raise ValueError("the export price may not exceed the import price in any quarter hour")
        return self


EXAMPLE_IMPORT: list[Any] = [110.0] * 8 + [160.0] * 14 + [110.0] * 2
EXAMPLE_EXPORT: list[Any] = [90.0] * 24


class MarketConfigPut(WriteModel):
    """A complex's market set-up (complex operators)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "network": {"feeder_capacity_kw": [800, 800], "import_capacity_kw": 3000, "export_capacity_kw": 1000},
        "battery": {"node": 0, "power_kw": 500, "soc_min_kwh": 100, "soc_max_kwh": 900, "soc_initial_kwh": 500},
        "grid_prices": {"import_krw_per_kwh": EXAMPLE_IMPORT, "export_krw_per_kwh": EXAMPLE_EXPORT},
        "company_nodes": {}}]})

    network: NetworkIn
    battery: BatteryIn | None = None
    grid_prices: GridPricesIn
    company_nodes: dict[int, int] = Field(default_factory=dict, max_length=100_000,
                                          description="company id → feeder node (others trade at the bus)")

    @model_validator(mode="after")
    def _nodes(self) -> MarketConfigPut:
        nodes = len(self.network.feeder_capacity_kw) + 1
        if self.battery is not None and self.battery.node >= nodes:
            raise ValueError(f"the battery's node must be below {nodes} (the bus and the feeders)")
        if any(not 0 <= n < nodes for n in self.company_nodes.values()):
            raise ValueError(f"company nodes must lie between 0 and {nodes - 1}")
        return self


class MarketConfigRead(MarketConfigPut):
    model_config = ConfigDict(extra="ignore")
    complex_id: int
    configured: bool = Field(description="false: the defaults, nothing stored yet")


class OrderIn(WriteModel):
    interval: int = Field(ge=0, lt=DAY_INTERVALS, description="quarter hour of the day, 0 = 00:00-00:15 KST")
    side: Literal["buy", "sell"]
    price_krw_per_kwh: float = Field(ge=-PRICE_MAX, le=PRICE_MAX,
                                     description="the most a buyer pays, the least a seller takes [KRW kWh-1]")
    quantity_kwh: float = Field(gt=0, le=1e6, description="energy in the quarter hour [kWh]")


class OrdersCreate(WriteModel):
    """Bids and offers of one company for one market day (company admins)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "company_id": 1, "market_day": "2026-03-02",
        "orders": [{"interval": 48, "side": "buy", "price_krw_per_kwh": 150, "quantity_kwh": 25}]}]})

    company_id: RowId
    market_day: MarketDay
    orders: list[OrderIn] = Field(min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _day(self) -> OrdersCreate:
        _check_day(self.market_day)
        return self


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int
    market_day: dt.date
    interval: int
    node: int
    side: str
    price_krw_per_kwh: float
    quantity_kwh: float
    submitted_at: UtcDatetime


class OrderList(BaseModel):
    items: list[OrderRead]


class ClearRequest(WriteModel):
    """Run the day-ahead clearing of a market day (``interval`` omitted) or re-clear one quarter
    hour intraday (complex operators)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [
        {"market_day": "2026-03-02"}, {"market_day": "2026-03-02", "interval": 48}]})

    market_day: MarketDay
    interval: int | None = Field(None, ge=0, lt=DAY_INTERVALS)

    @model_validator(mode="after")
    def _day(self) -> ClearRequest:
        _check_day(self.market_day)
        return self


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    complex_id: int
    market_day: dt.date
    kind: str
    interval: int | None
    orders: int
    digest: str
    welfare_krw: float
    run_by: str
    run_at: UtcDatetime
    results: dict[str, Any]


class IntervalPrices(BaseModel):
    interval: int
    start: dt.datetime = Field(description="start of the quarter hour, KST")
    run_id: int
    kind: str
    price_krw_per_kwh: list[float] = Field(description="per node: the bus, then feeders 1 … F")
    congested: bool = Field(description="the nodes' prices differ (a limit binds)")


class PricesRead(BaseModel):
    complex_id: int
    market_day: dt.date
    intervals: list[IntervalPrices]


class TradeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    run_id: int
    order_id: int
    company_id: int
    market_day: dt.date
    interval: int
    node: int
    side: str
    energy_kwh: float
    price_krw_per_kwh: float
    pays_won: int


class TradeList(BaseModel):
    items: list[TradeRead]
    total_pays_won: int = Field(description="sum over the listed trades: > 0 the company pays, < 0 it is paid")


# --- direct PPAs -----------------------------------------------------------------------------------

class PpaTermsIn(WriteModel):
    price_type: Literal["fixed", "smp_indexed"]
    price_krw_per_kwh: float = Field(ge=-PRICE_MAX, le=PRICE_MAX,
                                     description="the fixed price, or the adder to SMP × multiplier [KRW kWh-1]")
    smp_multiplier: float = Field(1.0, ge=0, le=10)
    floor_krw_per_kwh: float | None = Field(None, ge=-PRICE_MAX, le=PRICE_MAX)
    cap_krw_per_kwh: float | None = Field(None, ge=-PRICE_MAX, le=PRICE_MAX)
    volume_type: Literal["pay_as_produced", "shaped"]
    share: float = Field(1.0, gt=0, le=1, description="buyer's share of the production (pay-as-produced)")
    profile_kwh_per_h: list[float] = Field(default_factory=list, max_length=24,
                                           description="committed energy per hour of the day, KST (shaped) [kWh/h]")
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _check(self) -> PpaTermsIn:
        _check_day(self.start)
        _check_day(self.end)
        if self.end <= self.start:
            raise ValueError("the term must end after it starts")
        if self.volume_type == "shaped" and (len(self.profile_kwh_per_h) != 24
                                             or any(not 0 <= v <= 1e7 for v in self.profile_kwh_per_h)):
            raise ValueError("a shaped contract needs 24 hourly volumes between 0 and 10,000,000 kWh")
        if self.floor_krw_per_kwh is not None and self.cap_krw_per_kwh is not None \
                and self.floor_krw_per_kwh > self.cap_krw_per_kwh:
            raise ValueError("the price floor lies above the cap")
        return self


class PpaCreate(WriteModel):
    """A seller's draft of a direct PPA (the seller's admins).  The buyer is named by its business
    registration number (a company of the same complex); a draft without a buyer is an offer."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "company_id": 1, "title": "지붕 태양광 직접 PPA", "seller_capacity_kw": 1200, "buyer_contract_kw": 0,
        "terms": {"price_type": "fixed", "price_krw_per_kwh": 135, "volume_type": "pay_as_produced", "share": 0.5,
                  "start": "2027-01-01", "end": "2037-01-01"}}]})

    company_id: RowId
    buyer_brn: str | None = Field(None, min_length=10, max_length=12, pattern=r"^[0-9-]+$",
                                  description="the buyer's business registration number")
    title: str = Field("", max_length=200)
    seller_capacity_kw: float = Field(ge=0, le=1e7, description="renewable capacity behind the contract [kW]")
    buyer_contract_kw: float = Field(0.0, ge=0, le=1e7, description="the buyer's KEPCO contract power [kW]")
    terms: PpaTermsIn


class PpaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int
    buyer_company_id: int | None
    complex_id: int
    title: str
    status: str
    seller_signed: bool
    buyer_signed: bool
    terms: dict[str, Any]
    seller_capacity_kw: float
    buyer_contract_kw: float
    findings: list[dict[str, Any]]
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PpaList(BaseModel):
    items: list[PpaRead]
