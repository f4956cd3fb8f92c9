"""Demo DERs: a PV plant per PV meter, one battery, idempotent."""

from __future__ import annotations

from sandan.core.auth.policy import Principal
from sandan.core.tenancy import schemas as core_schemas
from sandan.core.tenancy import service as core_service
from sandan.core.tenancy.models import Carrier, Company, Direction, PointKind
from sandan.db import Database
from sandan.demo.grid import load_grid
from sandan.grid.service import list_ders
from tests.factories import make_tenant


def test_demo_registers_pv_per_meter_and_one_battery_once(db: Database) -> None:
    with db.session(principal=Principal.system("test")) as s:
        a = make_tenant(s, 1)
        core_service.create_point(s, core_schemas.PointCreate(
            site_id=a.site_id, code="c1.pv.kwh", name="지붕 태양광 발전량", quantity="active_energy", unit="kWh",
            carrier=Carrier.electricity, kind=PointKind.interval, direction=Direction.generation,
            source={"protocol": "demo", "simulate": "pv", "profile": {"kwp": 110.0, "lat": 34.9, "lon": 127.7}}))
        complex_id = s.get(Company, a.company_id).complex_id
        assert load_grid(s, complex_id) == 2
        assert load_grid(s, complex_id) == 0
        ders = {d.kind: d for d in list_ders(s, company_id=a.company_id)}
        # 110 kWp / (550 W × 20 modules) = 10 strings -> 10 × 20 × 0.55 kW = 110 kWp
        assert ders["pv"].capacity_kw == 110.0
        # the battery: a third of the PV as power (36.7 kW), two hours of it as energy (73.3 kWh)
        assert ders["battery"].capacity_kw == 36.7
        assert ders["battery"].spec["energy_kwh"] == 73.3
