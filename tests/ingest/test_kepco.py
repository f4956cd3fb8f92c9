"""KEPCO 파워플래너 15-minute export (the layout as we understand it, see docs/ingest.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, PointKind
from sandan.core.timeutil import KST, to_epoch_s
from sandan.ingest.files import read_table
from sandan.ingest.kepco import kepco_table
from sandan.ingest.service import ImportOptions, import_readings
from tests.factories import make_tenant, system

FIXTURE = Path(__file__).parent / "fixtures" / "kepco_15min.csv"


def test_the_layout_is_found_below_title_rows_and_24_00_kept():
    table = kepco_table(read_table(FIXTURE))
    assert table["일시"].tolist()[:5] == ["2026-11-24 23:15", "2026-11-24 23:30", "2026-11-24 23:45",
                                        "2026-11-24 24:00", "2026-11-25 00:15"]
    wanted = {"유효전력량(kWh)", "지상무효전력량(kvarh)", "진상무효전력량(kvarh)", "최대수요전력(kW)"}
    assert wanted <= set(table.columns)


def test_a_kepco_export_imports_with_end_labels(db, tmp_path):
    path = tmp_path / "kepco.csv"
    path.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("cp949"))  # what Korean Excel saves
    with db.session() as s:
        tenant = make_tenant(system(s), 31)
        service.create_point(s, schemas.PointCreate(
            site_id=tenant.site_id, code="c31.lag.kvarh", name="지상 무효전력량", quantity="reactive_energy",
            unit="kvarh", carrier=Carrier.electricity, kind=PointKind.interval))
        summary = import_readings(s, path, ImportOptions(
            mapping="유효전력량(kWh)=c31.main.kwh,지상무효전력량(kvarh)=c31.lag.kvarh", layout="kepco-15min"))
        assert (summary.stored, summary.rejected, summary.readings) == (12, 0, 12)
        rows = s.connection().execute(text("SELECT ts, value FROM readings WHERE point_id = :p ORDER BY ts"),
                                      {"p": tenant.main_point_id}).all()
        first = to_epoch_s(dt.datetime(2026, 11, 24, 23, 0, tzinfo=KST))  # 23:15 closes 23:00-23:15
        assert [r[0] for r in rows] == [first + 900 * i for i in range(6)]
        assert rows[3][1] == 119.6  # "24:00" is the interval 23:45-24:00 of 24 November
        assert rows[5][1] == 1202.5  # thousands separators
