"""File import: the real steel year, XLSX, bad rows kept with reasons, 24:00 labels, re-imports, policy."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from sandan.core.auth.models import Role, User
from sandan.core.auth.policy import principal_for
from sandan.core.errors import InvalidInput, NotFound
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, PointKind
from sandan.core.timeutil import KST, to_epoch_s
from sandan.ingest.service import ImportOptions, import_readings
from sandan.timeseries.service import group_series, point_series
from tests.factories import add_user, make_tenant, system

STEEL_KWH = 959_636.71
STEEL_ROWS = 35_040
STEEL_MAP = ("Usage_kWh=c1.main.kwh,Lagging_Current_Reactive_Power_kVarh=c1.lag.kvarh,"
             "Leading_Current_Reactive_Power_kVarh=c1.lead.kvarh")
STEEL = dict(ts_col="date", ts_format="%d/%m/%Y %H:%M", label="end", midnight="same-date", tz="Asia/Seoul")


def _kvarh_points(session, tenant, n: int = 1) -> None:
    for code, name in ((f"c{n}.lag.kvarh", "지상 무효전력량"), (f"c{n}.lead.kvarh", "진상 무효전력량")):
        service.create_point(session, schemas.PointCreate(
            site_id=tenant.site_id, code=code, name=name, quantity="reactive_energy", unit="kvarh",
            carrier=Carrier.electricity, kind=PointKind.interval))


def _readings(session, point_id: int) -> pd.DataFrame:
    rows = session.connection().execute(text("SELECT ts, value FROM readings WHERE point_id = :p ORDER BY ts"),
                                        {"p": point_id}).all()
    return pd.DataFrame(rows, columns=["ts", "value"])


@pytest.mark.slow
def test_the_steel_year_imports_exactly(db, steel_csv):
    with db.session() as s:
        tenant = make_tenant(system(s), 1)
        _kvarh_points(s, tenant)
        summary = import_readings(s, steel_csv, ImportOptions(mapping=STEEL_MAP, batch_size=20_000, **STEEL))
        assert summary.counts() == {"rows": STEEL_ROWS, "readings": 3 * STEEL_ROWS, "stored": 3 * STEEL_ROWS,
                                    "duplicate": 0, "replaced": 0, "conflict": 0, "rejected": 0}
        assert summary.accounted
        assert summary.issues == []
        assert summary.first_ts == dt.datetime(2018, 1, 1, tzinfo=KST)
        assert summary.last_ts == dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST)

        stored = _readings(s, tenant.main_point_id)
        assert len(stored) == STEEL_ROWS
        assert stored["value"].sum() == pytest.approx(STEEL_KWH, abs=1e-6)
        assert stored["ts"].diff().dropna().eq(900).all()  # a regular year, no gap, no double
        by_ts = stored.set_index("ts")["value"]
        # the last row "31/12/2018 00:00,3.67" is the interval 23:45-24:00 of 31 December ...
        assert by_ts[to_epoch_s(dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST))] == 3.67
        # ... not a reading dated 31 December 00:00 (that interval is the row "31/12/2018 00:15")
        assert by_ts[to_epoch_s(dt.datetime(2018, 12, 31, 0, 0, tzinfo=KST))] != 3.67
        assert by_ts.index.max() == to_epoch_s(dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST))

        year = (dt.datetime(2018, 1, 1, tzinfo=KST), dt.datetime(2019, 1, 1, tzinfo=KST))
        months = point_series(s, tenant.main_point_id, *year, resolution="1mo")
        assert len(months.frame) == 12
        assert months.frame["value"].sum() == pytest.approx(STEEL_KWH, abs=1e-6)
        assert months.frame["count"].sum() == STEEL_ROWS
        company = group_series(s, "company", tenant.company_id, *year, resolution="1mo")
        assert company.frame["value"].sum() == pytest.approx(STEEL_KWH, abs=1e-6)
        days = group_series(s, "company", tenant.company_id, *year, resolution="1d")
        assert len(days.frame) == 365
        assert days.frame["count"].eq(96).all()

        again = import_readings(s, steel_csv, ImportOptions(mapping=STEEL_MAP, **STEEL))
        assert again.stored == 0
        assert again.duplicate == 3 * STEEL_ROWS
        assert again.accounted
        assert len(_readings(s, tenant.main_point_id)) == STEEL_ROWS


def test_xlsx_with_date_cells_a_sheet_name_and_a_unit(db, tmp_path):
    path = tmp_path / "meter.xlsx"
    start = dt.datetime(2026, 3, 2, 0, 15)  # noqa: DTZ001 - spreadsheet date cells carry no zone
    frame = pd.DataFrame({"시각": [start + dt.timedelta(minutes=15 * i) for i in range(8)],
                          "전력량(MWh)": [0.1 * (i + 1) for i in range(8)]})
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="cover", index=False)
        frame.to_excel(writer, sheet_name="meter", index=False)
    with db.session() as s:
        tenant = make_tenant(system(s), 2)
        summary = import_readings(s, path, ImportOptions(mapping="전력량(MWh)=c2.main.kwh@MWh", ts_col="시각",
                                                         label="end", sheet="meter"))
        assert summary.stored == 8
        assert summary.accounted
        stored = _readings(s, tenant.main_point_id)
        assert stored["ts"].iloc[0] == to_epoch_s(dt.datetime(2026, 3, 2, tzinfo=KST))
        assert stored["value"].tolist() == pytest.approx([100.0 * (i + 1) for i in range(8)])  # MWh → kWh
        with pytest.raises(InvalidInput, match="sheet"):
            import_readings(s, path, ImportOptions(mapping="전력량(MWh)=c2.main.kwh", sheet="nope"))


def test_a_bad_row_is_kept_with_its_reason(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,kwh,kvarh\n"
                    "2026-03-02 00:15,1.5,0.5\n"
                    "2026-03-02 00:30,oops,0.4\n"
                    "2026-03-02 00:7x,2.0,0.3\n"
                    "2026-03-02 01:00,,0.2\n"
                    "2026-03-02 01:15,-5,0.1\n", encoding="utf-8")
    with db.session() as s:
        tenant = make_tenant(system(s), 3)
        _kvarh_points(s, tenant, 3)
        summary = import_readings(s, path, ImportOptions(mapping="kwh=c3.main.kwh,kvarh=c3.lag.kvarh",
                                                         ts_format="%Y-%m-%d %H:%M", label="end"))
        assert summary.readings == 10
        assert summary.accounted
        assert (summary.stored, summary.rejected) == (5, 5)
        assert [(i.row, i.column, i.value, i.code) for i in summary.issues] == [
            (3, "kwh", "oops", "not_a_number"), (4, "time", "2026-03-02 00:7x", "bad_timestamp"),
            (4, "time", "2026-03-02 00:7x", "bad_timestamp"), (5, "kwh", "", "empty_value"),
            (6, "kwh", "-5", "out_of_range")]  # the main meter accepts 0 … 1e6 kWh
        assert summary.reasons == {"bad_timestamp": 2, "not_a_number": 1, "empty_value": 1, "out_of_range": 1}
        assert "valid range" in summary.issues[-1].message
        assert summary.issues_frame()["row"].tolist() == [3, 4, 4, 5, 6]


def test_24_00_labels(db, tmp_path):
    path = tmp_path / "kepco.csv"
    path.write_text("일시,사용량\n2026-02-28 23:45,4\n2026-02-28 24:00,5\n2026-03-01 00:15,6\n", encoding="cp949")
    with db.session() as s:
        tenant = make_tenant(system(s), 4)
        summary = import_readings(s, path, ImportOptions(mapping="사용량=c4.main.kwh", ts_format="%Y-%m-%d %H:%M",
                                                         label="end"))
        assert summary.stored == 3
        stored = _readings(s, tenant.main_point_id)
        assert [dt.datetime.fromtimestamp(t, KST) for t in stored["ts"]] == [
            dt.datetime(2026, 2, 28, 23, 30, tzinfo=KST), dt.datetime(2026, 2, 28, 23, 45, tzinfo=KST),
            dt.datetime(2026, 3, 1, 0, 0, tzinfo=KST)]
        day = point_series(s, tenant.main_point_id, dt.datetime(2026, 2, 28, tzinfo=KST),
                           dt.datetime(2026, 3, 2, tzinfo=KST), "1d")
        assert day.frame["value"].tolist() == [9.0, 6.0]  # 24:00 closes 28 February


def test_reimport_is_all_duplicates_and_a_changed_value_is_a_conflict(db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("ts,kwh\n2026-03-02T00:00:00+09:00,1\n2026-03-02T00:15:00+09:00,2\n", encoding="utf-8")
    with db.session() as s:
        tenant = make_tenant(system(s), 5)
        options = ImportOptions(mapping=f"kwh={tenant.main_point_id}")  # a point by id
        assert import_readings(s, path, options).stored == 2
        again = import_readings(s, path, options)
        assert (again.stored, again.duplicate, again.issues) == (0, 2, [])
        path.write_text("ts,kwh\n2026-03-02T00:00:00+09:00,1\n2026-03-02T00:15:00+09:00,2.5\n", encoding="utf-8")
        changed = import_readings(s, path, options)
        assert (changed.duplicate, changed.conflict) == (1, 1)
        (issue,) = changed.issues
        assert (issue.row, issue.code, issue.value) == (3, "conflict", "2.5")
        assert "different value (2)" in issue.message
        assert _readings(s, tenant.main_point_id)["value"].tolist() == [1.0, 2.0]


def test_points_resolve_through_the_access_policy(db, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("ts,kwh\n2026-03-02T00:00:00+09:00,1\n", encoding="utf-8")
    with db.session() as s:
        mine = make_tenant(system(s), 6)
        other = make_tenant(s, 7)
        add_user(s, mine, Role.company_admin, "admin6@example.kr", token=False)
        user = s.query(User).filter_by(email="admin6@example.kr").one()
        s.info["principal"] = principal_for(s, user)
        assert import_readings(s, path, ImportOptions(mapping="kwh=c6.main.kwh")).stored == 1
        with pytest.raises(NotFound):
            import_readings(s, path, ImportOptions(mapping="kwh=c7.main.kwh"))
        with pytest.raises(NotFound):
            import_readings(s, path, ImportOptions(mapping=f"kwh={other.main_point_id}"))


def test_cli_imports_with_a_summary_and_a_rejects_file(tmp_path, monkeypatch):
    from sandan import cli
    from sandan.bootstrap import prepare_database
    from sandan.core.auth.policy import Principal
    from sandan.db import Database, get_database
    from sandan.settings import get_settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    prepare_database(url)
    database = Database(url)
    with database.session(principal=Principal.system("test")) as s:
        make_tenant(s, 8)
    database.engine.dispose()
    path = tmp_path / "m.csv"
    path.write_text("date,Usage_kWh\n01/03/2026 00:15,1\n01/03/2026 00:30,x\n01/03/2026 00:00,3\n", encoding="utf-8")
    monkeypatch.setenv("SANDAN_DATABASE_URL", url)
    monkeypatch.setenv("SANDAN_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    get_database.cache_clear()
    try:
        runner = CliRunner()
        args = ["import", "readings", str(path), "--map", "Usage_kWh=c8.main.kwh", "--ts-col", "date",
                "--ts-format", "%d/%m/%Y %H:%M", "--label", "end", "--midnight", "same-date",
                "--rejects", str(tmp_path / "rejects.csv")]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        assert "stored" in result.output
        assert "not_a_number" in result.output
        rejects = pd.read_csv(tmp_path / "rejects.csv", encoding="utf-8-sig")
        assert rejects[["row", "code"]].values.tolist() == [[3, "not_a_number"]]
        again = runner.invoke(cli.app, [*args[:-2], "--json"])
        assert again.exit_code == 0, again.output
        assert '"duplicate": 2' in again.output
        missing = runner.invoke(cli.app, ["import", "readings", str(path), "--map", "Usage_kWh=nope.kwh"])
        assert missing.exit_code == 1
        assert "point 'nope.kwh' not found" in missing.output
    finally:
        get_settings.cache_clear()
        get_database.cache_clear()
        get_database().engine.dispose()
        get_database.cache_clear()
