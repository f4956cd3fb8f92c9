"""Tenant isolation, route by route and role by role.

Every route of the app under ``/api/v1`` is found in ``app.routes`` and classified by rules, not
by a list: a path, query or body parameter named ``<thing>_id`` says which kind of row it points
at, the method says read or write, the first path segment says which write rule applies.  A new
route is covered without editing this file; a route the rules cannot place (an unknown id name,
a write without an example body, an unauthenticated route not declared public) fails
:func:`test_every_route_is_classified`.

Each route is then called as every role with the ids of three tenants:

* A — the company the company-bound roles belong to (complex GY);
* B — another company in the same complex;
* C — a company in another complex (CW).

What a role may see and change is written out below from the table in
``sandan.core.auth.policy`` (not computed by it).  For each case:

* a row the role may not see answers 404, and that answer is the same, byte for byte after the id
  is replaced, as the answer for an id that does not exist — nothing tells a foreign row apart;
* lists hold exactly the rows of the companies the role may see (JSON and CSV);
* a refused write (404 or 403) changes nothing: every table and the audit log are compared
  before and after;
* a write the role may make succeeds; each write case runs in a savepoint that is undone.

The world is built once per module and database (``module_world``); every write runs in a
savepoint that is undone, so each case starts from the same data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from sandan.app import create_app
from sandan.db import Database
from tests.api.support import (
    API,
    NONEXISTENT,
    ROLES,
    SERIES_RANGE,
    World,
    api_settings,
    changed_tables,
    rolled_back,
    snapshot,
)

APP = create_app(Database("sqlite:///:memory:"), api_settings())
SPEC = APP.openapi()
TENANTS = ("A", "B", "C")
COMPLEX_OF = {"A": "GY", "B": "GY", "C": "CW"}

#: Routes that answer without signing in.
PUBLIC = {("GET", f"{API}/health"), ("GET", f"{API}/openapi.json"), ("GET", f"{API}/docs"),
          ("POST", f"{API}/auth/token")}
#: Routes about the caller only: no ids, nothing of another tenant in reach.
SELF = {("GET", f"{API}/me"), ("GET", f"{API}/tokens"), ("POST", f"{API}/tokens"),
        # readings in: points named by code, each answered alone; a foreign point answers exactly like
        # a missing one (tests/ingest/test_http.py)
        ("POST", f"{API}/ingest"),
        # a gateway's poll: the confirmed commands addressed to the calling device account, nothing
        # for anyone else (tests/commands)
        ("GET", f"{API}/gateway/commands"),
        # the emission-factor library: reference data, the same answer for everyone
        ("GET", f"{API}/carbon/factors"),
        # public reference tables of the circular domain (waste codes, factors): nothing of any tenant
        ("GET", f"{API}/circular/reference/codes"), ("GET", f"{API}/circular/reference/factors")}

#: Which row an id parameter points at (``parent_id`` of a new asset is an area, ``asset_id`` an
#: equipment asset without children or points, so that deleting it is allowed).
ID_KINDS = {"complex_id": "complex", "company_id": "company", "site_id": "site", "asset_id": "asset",
            "parent_id": "area", "point_id": "point", "token_id": "token", "group_id": "group",
            "command_id": "command", "report_id": "report", "der_id": "der", "ppa_id": "ppa",
            "stream_id": "stream", "permit_id": "permit", "recommendation_id": "recommendation",
            # the programme office: calls and programmes are public notices (the call in evaluation;
            # the open programme without applications), applications and review assignments are
            # per tenant (tests/programs/world.py)
            "call_id": "call", "programme_id": "programme", "application_id": "application",
            "assignment_id": "assignment", "project_id": "project"}

# --- the policy, written out (sandan.core.auth.policy's table) ----------------------------------

ALL = frozenset(TENANTS)
#: Companies whose rows each role reads.
READS: dict[str, frozenset[str]] = {
    "platform_admin": ALL, "complex_operator": frozenset("AB"), "company_admin": frozenset("A"),
    "company_member": frozenset("A"), "device": frozenset("A"), "auditor": frozenset("A"),
    "complex_auditor": frozenset("AB"), "verifier": frozenset(), "programme_officer": frozenset(),
    "reviewer": frozenset()}
#: Kinds every signed-in principal reads.
PUBLIC_KINDS = {"complex", "call", "programme"}
#: Kinds read by other rules than their company's (the programme office's tables).
KIND_READS: dict[str, dict[str, frozenset[str]]] = {
    # applications: the company's readers, all for the programme office; the world's reviewer is
    # assigned to A's submitted application, not to the drafts the application ids point at
    "application": {**READS, "programme_officer": ALL},
    # review assignments: the platform, the programme office, and the reviewer assigned (to A's)
    "assignment": {"platform_admin": ALL, "programme_officer": ALL, "reviewer": frozenset("A")},
    # awarded projects: the company's readers and the programme office
    "project": {**READS, "programme_officer": ALL},
}
#: Lists read by other rules than their company's: whose rows each role finds in them.
LIST_READS: dict[str, dict[str, frozenset[str]]] = {
    "applications": {**READS, "programme_officer": ALL, "reviewer": frozenset("A")},
    "reviews": {role: KIND_READS["assignment"].get(role, frozenset()) for role in READS},
    "projects": KIND_READS["project"],
}
#: Complexes whose energy totals each role reads.
COMPLEX_TOTALS: dict[str, frozenset[str]] = {
    "platform_admin": frozenset({"GY", "CW"}), "complex_operator": frozenset({"GY"}),
    "complex_auditor": frozenset({"GY"})}
#: Companies each role may change, by the first path segment of the route.
WRITES: dict[str, dict[str, frozenset[str]]] = {
    "companies": {"platform_admin": ALL, "complex_operator": frozenset("AB"), "company_admin": frozenset("A")},
    "sites": {"platform_admin": ALL, "company_admin": frozenset("A")},
    "assets": {"platform_admin": ALL, "company_admin": frozenset("A")},
    "points": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # the tokens in reach belong to other users: only the platform admin sees (and revokes) them
    "tokens": {"platform_admin": ALL},
    # replaying quarantined readings: company admins of the company, and the platform
    "quarantine": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # the allow-list of controllable points, and requesting and confirming commands: admins only
    "controls": {"platform_admin": ALL, "company_admin": frozenset("A")},
    "commands": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # a company's KEPCO supply contract (PUT /energy/contracts/{company_id}): its admins and the platform
    "energy": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # acknowledgements come from the gateway a command was sent to; the world's commands are only
    # requested, so every role is refused here (the acknowledged path is tested in tests/commands)
    "gateway": {},
    # the carbon domain's company side (entered data, reports, submission, assignment, answers): admins
    "carbon": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # the verifier's side: only the verifier assigned to a report; the world assigns none, so every
    # role is refused here (the assigned path is tested in tests/carbon)
    "verification": {},
    # the DER registry (grid): company admins of the owner, and the platform
    "ders": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # the market: a complex's set-up and clearings are its operators' (the target is the complex, see
    # CREATES_IN_COMPLEX); bids and offers are company admins'
    "complexes": {"platform_admin": ALL, "complex_operator": frozenset("AB")},
    "market": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # direct PPAs: drafted and signed by the admins of a party (the world's drafts have a seller only)
    "ppas": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # streams, permits and decisions on recommendations: admins of the company (the policy's rule for
    # company rows); matching runs name a complex, so CREATES_IN_COMPLEX decides them
    "circular": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # the programme office moves calls through their lifecycle, assigns panels, runs the selection
    "calls": {"platform_admin": ALL, "programme_officer": ALL},
    "programmes": {"platform_admin": ALL, "programme_officer": ALL},
    # disbursements to awarded projects: the programme office
    "projects": {"platform_admin": ALL, "programme_officer": ALL},
    # applications: the applicant company's admins (and the platform)
    "applications": {"platform_admin": ALL, "company_admin": frozenset("A")},
    # score sheets and declared conflicts: only the reviewer assigned (the world's reviewer: A's)
    "reviews": {"reviewer": frozenset("A")},
}


#: Who may create a company in a complex (the target of ``POST /companies`` is the complex).
CREATES_IN_COMPLEX: dict[str, frozenset[str]] = {"platform_admin": ALL, "complex_operator": frozenset("AB")}


def may_read(role: str, kind: str, tenant: str, group_kind: str | None = None) -> bool:
    if kind == "group" and group_kind == "complex":
        return COMPLEX_OF[tenant] in COMPLEX_TOTALS.get(role, frozenset())
    if kind in PUBLIC_KINDS:
        return True  # complexes, calls and programmes are public
    if kind == "token":
        return role == "platform_admin"
    return tenant in KIND_READS.get(kind, READS).get(role, frozenset())


def may_write(role: str, resource: str, first_kind: str, tenant: str) -> bool:
    rule = CREATES_IN_COMPLEX if first_kind == "complex" else WRITES[resource]
    return tenant in rule.get(role, frozenset())


# --- routes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    method: str
    path: str
    spec: dict[str, Any] | None  # the OpenAPI operation; None when the route is not in the document

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def resource(self) -> str:
        return self.path[len(API):].strip("/").split("/")[0]

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in (self.spec or {}).get("parameters", []) if p["in"] == where]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        content = (self.spec or {}).get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return None
        return _resolve(schema)

    @property
    def body_ids(self) -> list[str]:
        schema = self.body_schema or {}
        return [name for name in schema.get("properties", {}) if name.endswith("_id")]

    @property
    def path_ids(self) -> list[str]:
        return [p["name"] for p in self.params("path") if p["name"] != "kind"]

    @property
    def group_kinds(self) -> list[str | None]:
        kinds = [p for p in self.params("path") if p["name"] == "kind"]
        return list(_resolve(kinds[0]["schema"])["enum"]) if kinds else [None]

    @property
    def is_public(self) -> bool:
        return self.spec is None or not self.spec.get("security")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return schema


def api_routes() -> Iterator[Route]:
    for context in iter_route_contexts(APP.routes):
        if not (context.path or "").startswith(API):
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            path = context.path or ""
            yield Route(method, path, SPEC["paths"].get(path, {}).get(method.lower()))


ROUTES = list(api_routes())


def classify(route: Route) -> str:
    """``public``, ``self``, ``read``, ``list`` or ``write``; AssertionError says what is missing."""
    key = (route.method, route.path)
    if key in PUBLIC:
        return "public"
    assert not route.is_public, (f"{route.label} does not declare bearer security: make it depend on "
                                 "SessionDep, or add it to PUBLIC if it must answer without signing in")
    if key in SELF:
        return "self"
    named = route.path_ids + [p["name"] for p in route.params("query")] + route.body_ids
    for name in named:
        if name.endswith("_id"):
            assert name in ID_KINDS, f"{route.label}: classify id parameter '{name}' in ID_KINDS"
    if route.method == "GET":
        return "read" if route.path_ids else "list"
    assert route.resource in WRITES, f"{route.label}: add the write rule of '{route.resource}' to WRITES"
    assert route.path_ids or route.body_ids, (f"{route.label}: a write that names no row; add it to SELF if "
                                              "it only touches the caller's own rows")
    if route.body_schema is not None:
        assert route.body_schema.get("examples"), (f"{route.label}: declare an example body on its schema "
                                                   "(model_config json_schema_extra examples)")
    return "write"


def test_every_route_is_classified() -> None:
    kinds = {route.label: classify(route) for route in ROUTES}
    assert len(kinds) >= 27, kinds  # the routes of the foundation at least
    assert {"public", "self", "read", "list", "write"} <= set(kinds.values())


# --- helpers -----------------------------------------------------------------------------------

def target_id(world: World, kind: str, tenant: str, group_kind: str | None = None) -> int:
    t = world.tenants[tenant]
    programmes = world.programmes
    assert programmes is not None
    if kind == "group":
        kind = group_kind or "company"
    return {"complex": lambda: world.complexes[COMPLEX_OF[tenant]], "company": lambda: t.company_id,
            "site": lambda: t.site_id, "asset": lambda: world.spare_asset[tenant], "area": lambda: t.area_id,
            "line": lambda: t.line_id,
            "point": lambda: t.main_point_id, "token": lambda: world.peer_token_id[tenant],
            "command": lambda: world.commands[tenant], "report": lambda: world.reports[tenant],
            "der": lambda: world.ders[tenant], "ppa": lambda: world.ppas[tenant],
            "stream": lambda: world.circular["stream"][tenant], "permit": lambda: world.circular["permit"][tenant],
            "recommendation": lambda: world.circular["recommendation"][tenant],
            "call": lambda: programmes.eval_call_id, "programme": lambda: programmes.new_programme_id,
            "application": lambda: programmes.drafts[tenant],
            "assignment": lambda: programmes.assignments[tenant],
            "project": lambda: programmes.projects[tenant]}[kind]()


def build_url(route: Route, ids: dict[str, int], group_kind: str | None) -> str:
    url = route.path.replace("{kind}", group_kind or "")
    for name, value in ids.items():
        url = url.replace("{" + name + "}", str(value))
    return url


def example_body(route: Route) -> dict[str, Any] | None:
    schema = route.body_schema
    if schema is None:
        return None
    return dict(schema["examples"][0])


def send(world: World, route: Route, role: str, url: str, body: dict[str, Any] | None,
         query: dict[str, Any] | None = None) -> Any:
    return world.client.request(route.method, url, headers=world.as_(role), json=body, params=query)


def normalised(response: Any, foreign_id: int) -> tuple[int, str, str]:
    text = re.sub(rf"\b{foreign_id}\b", "{id}", response.text)
    return response.status_code, response.headers.get("content-type", ""), text


def same_as_nonexistent(world: World, route: Route, role: str, response: Any, make: Any,
                        foreign_id: int) -> str | None:
    """None if ``response`` (for a foreign id) equals the answer for a nonexistent id, else why not."""
    url, body, query = make(NONEXISTENT)
    with rolled_back(world.conn):
        missing = send(world, route, role, url, body, query)
    got, want = normalised(response, foreign_id), normalised(missing, NONEXISTENT)
    if got != want:
        return f"answer differs from a nonexistent id: {got} vs {want}"
    return None


def query_for(route: Route) -> dict[str, Any]:
    names = {p["name"] for p in route.params("query")}
    return {k: v for k, v in SERIES_RANGE.items() if k in names}


# --- the matrix --------------------------------------------------------------------------------

def _routes_of(kind: str) -> list[Route]:
    found = []
    for route in ROUTES:
        try:
            if classify(route) == kind:
                found.append(route)
        except AssertionError:
            continue  # reported by test_every_route_is_classified
    return found


@pytest.mark.parametrize("route", _routes_of("read"), ids=lambda r: r.label)
def test_reads_of_foreign_ids_are_not_found(module_world: World, route: Route) -> None:
    world = module_world
    failures: list[str] = []
    before = snapshot(world.conn)
    (id_name,) = route.path_ids
    for group_kind in route.group_kinds:
        kind = ID_KINDS[id_name]
        for role in ROLES:
            for tenant in TENANTS:
                foreign = target_id(world, kind, tenant, group_kind)
                query = query_for(route)

                def make(value: int, _q: dict[str, Any] = query, _g: str | None = group_kind) -> tuple[Any, ...]:
                    return build_url(route, {id_name: value}, _g), None, _q

                url, _, _ = make(foreign)
                response = send(world, route, role, url, None, query)
                case = f"{role} → {tenant} {url}"
                if may_read(role, kind, tenant, group_kind):
                    if response.status_code != 200:
                        failures.append(f"{case}: visible, expected 200, got {response.status_code} {response.text}")
                elif response.status_code != 404:
                    failures.append(f"{case}: foreign, expected 404, got {response.status_code} {response.text}")
                elif why := same_as_nonexistent(world, route, role, response, make, foreign):
                    failures.append(f"{case}: {why}")
    assert changed_tables(before, snapshot(world.conn)) == [], "a read changed stored data"
    assert not failures, "\n".join(failures)


def _owners(world: World, route: Route, items: list[dict[str, Any]], role: str) -> set[str] | None:
    """The tenants the listed rows belong to (None for public or per-user lists)."""
    if route.resource in ("complexes", "calls"):
        return None
    out = set()
    for item in items:
        company_id = item.get("company_id", item.get("id") if route.resource == "companies" else None)
        assert company_id is not None, f"{route.label}: cannot tell whose row {item} is; teach _owners"
        out.add(world.company_of(int(company_id)) or f"unknown company {company_id}")
    return out


def _csv_items(text: str) -> list[dict[str, Any]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.parametrize("route", _routes_of("list"), ids=lambda r: r.label)
def test_lists_hold_only_visible_rows(module_world: World, route: Route) -> None:
    world = module_world
    failures: list[str] = []
    before = snapshot(world.conn)
    filters = [p["name"] for p in route.params("query") if p["name"].endswith("_id")]
    formats = [None]
    if any(p["name"] == "format" for p in route.params("query")):
        formats.append("csv")
    for role in ROLES:
        for fmt in formats:
            query: dict[str, Any] = {"format": fmt} if fmt else {}
            response = send(world, route, role, route.path, None, query)
            if response.status_code != 200:
                failures.append(f"{role} {route.path} {query}: {response.status_code} {response.text}")
                continue
            items = _csv_items(response.text) if fmt else response.json()["items"]
            owners = _owners(world, route, items, role)
            expected = LIST_READS.get(route.resource, READS).get(role, frozenset())
            if owners is None:
                if route.resource == "complexes":
                    assert len(items) == 24, f"{role}: every designated complex is listed"
            elif owners != set(expected):
                failures.append(f"{role} {route.path} {query}: rows of {sorted(owners)}, "
                                f"the policy says {sorted(expected)}")
            for name in filters:
                for tenant in TENANTS:
                    # filter by the line asset, which carries a point (the spare asset carries none)
                    value = target_id(world, "line" if ID_KINDS[name] == "asset" else ID_KINDS[name], tenant)
                    filtered = send(world, route, role, route.path, None, {**query, name: value})
                    rows = _csv_items(filtered.text) if fmt else filtered.json()["items"]
                    got = _owners(world, route, rows, role)
                    if got is None:
                        continue
                    same = (lambda t, _t=tenant: COMPLEX_OF[t] == COMPLEX_OF[_t]) if ID_KINDS[name] == "complex" \
                        else (lambda t, _t=tenant: t == _t)
                    want = {t for t in READS[role] if same(t)}
                    if got != want:
                        failures.append(f"{role} {route.path}?{name}={value} ({tenant}): rows of {sorted(got)}")
    assert changed_tables(before, snapshot(world.conn)) == [], "a list changed stored data"
    assert not failures, "\n".join(failures)


def _write_cases(route: Route, role: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(label, id name → tenant) for a write: every id from one tenant, then (for creates with
    several ids) the caller's own company with one id swapped for another tenant's."""
    names = route.path_ids + route.body_ids
    for tenant in TENANTS:
        yield tenant, dict.fromkeys(names, tenant)
    if len(names) > 1:
        for swapped in names[1:]:
            for tenant in ("B", "C"):
                yield f"A with {swapped} of {tenant}", {**dict.fromkeys(names, "A"), swapped: tenant}


@pytest.mark.parametrize("route", _routes_of("write"), ids=lambda r: r.label)
def test_writes_with_foreign_ids_change_nothing(module_world: World, route: Route) -> None:
    world = module_world
    failures: list[str] = []
    conn = world.conn
    before = snapshot(conn)  # every case starts from this state: each runs in a savepoint undone after it
    for role in ROLES:
        for label, tenants in _write_cases(route, role):
            ids = {name: target_id(world, ID_KINDS[name], tenant) for name, tenant in tenants.items()}
            hidden = [n for n, t in tenants.items() if not may_read(role, ID_KINDS[n], t)]
            first_kind = ID_KINDS[next(iter(tenants))]
            writable = all(may_write(role, route.resource, first_kind, t) for t in tenants.values())

            def make(value: int | None, _ids: dict[str, int] = ids, _hidden: list[str] = hidden) -> tuple[Any, ...]:
                chosen = {n: (value if value is not None and n == _hidden[0] else v) for n, v in _ids.items()}
                body = example_body(route)
                if body is not None:
                    body.update({n: v for n, v in chosen.items() if n in route.body_ids})
                return build_url(route, chosen, None), body, None

            url, body, _ = make(None)
            case = f"{role} → {label}: {route.method} {url} {body if route.body_ids else ''}"
            with rolled_back(conn):
                response = send(world, route, role, url, body)
                changed = changed_tables(before, snapshot(conn))
            if hidden:
                if response.status_code != 404:
                    failures.append(f"{case}: hidden {hidden}, expected 404, got {response.status_code} "
                                    f"{response.text}")
                elif why := same_as_nonexistent(world, route, role, response, make, ids[hidden[0]]):
                    failures.append(f"{case}: {why}")
            elif not writable:
                # ids that are all visible but do not fit together (a parent of another site) may be
                # refused as invalid before the write is refused: nothing is revealed either way
                refusals = (403, 404, 422) if "with" in label else (403, 404)
                if response.status_code not in refusals:
                    failures.append(f"{case}: may not write, expected 403, got {response.status_code} "
                                    f"{response.text}")
            elif not 200 <= response.status_code < 300 and not ("with" in label and response.status_code == 422):
                failures.append(f"{case}: allowed, expected success, got {response.status_code} {response.text}")
            if response.status_code >= 400 and changed:
                failures.append(f"{case}: refused with {response.status_code} but changed {changed}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("route", _routes_of("self"), ids=lambda r: r.label)
def test_routes_about_the_caller_show_only_the_caller(module_world: World, route: Route) -> None:
    world = module_world
    for role in ROLES:
        body = example_body(route)
        with rolled_back(world.conn):
            response = send(world, route, role, route.path, body)
        if role == "device" and route.path.endswith("/tokens") and route.method == "POST":
            assert response.status_code == 403, response.text  # devices never mint tokens
            continue
        assert response.status_code in (200, 201), (role, response.text)
        data = response.json()
        if route.path.endswith("/tokens") and route.method == "GET":
            assert [t["id"] for t in data] == [world.own_token_id[role]], (role, data)
        if route.path.endswith("/me"):
            by_complex = role in ("complex_operator", "complex_auditor")
            want = set() if by_complex or role == "platform_admin" else {
                world.tenants[t].company_id for t in READS[role]}
            assert set(data["companies"]) == want, (role, data)
            assert data["complexes"] == ([world.complexes["GY"]] if by_complex else []), (role, data)
            assert data["is_admin"] == (role == "platform_admin"), (role, data)


@pytest.mark.parametrize("route", [r for r in ROUTES if (r.method, r.path) not in PUBLIC], ids=lambda r: r.label)
def test_signed_in_routes_refuse_anonymous_callers(module_world: World, route: Route) -> None:
    world = module_world
    url = route.path
    for name in re.findall(r"{(\w+)}", route.path):
        url = url.replace("{" + name + "}", "company" if name == "kind" else "1")
    before = snapshot(world.conn)
    with rolled_back(world.conn):
        response = world.client.request(route.method, url, json=example_body(route))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert changed_tables(before, snapshot(world.conn)) == []
