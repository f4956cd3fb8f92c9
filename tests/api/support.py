"""Support of the API tests: a small world of three tenants in two complexes, a token for every
role, a test client that insists every error is problem+json, and table snapshots.

The world (``world`` fixture):

* complex GY (gwangyang): company A (the callers' own) and company B (a neighbour);
* complex CW (changwon): company C;
* each company has a site, an area, a line, a spare equipment asset (no children, no points),
  three points with a day of readings on the main meter, a quarantined reading, a Sparkplug edge
  node with a device, and a second user with a token;
* each main meter is allow-listed for control (0..100) with one requested command, addressed to the
  gateway of company A's device account (tests/commands/world.py);
* each company has a draft MRV report (carbon) for March 2026, no verifier assigned;
* each company has circular rows (tests/circular/world.py): an offered and a wanted stream, a
  permit, and one side of a recommendation;
* one token per role: platform_admin, complex_operator of GY, company_admin / company_member /
  device / auditor of A, auditor of complex GY, verifier, programme officer, reviewer;
* the programme office's calls, applications and review assignments (tests/programs/world.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from sandan.app import create_app
from sandan.bootstrap import create_user_with_role
from sandan.carbon.service import create_report
from sandan.core.auth.models import Role
from sandan.core.auth.service import create_token
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Complex
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.ingest.pipeline import RawReading, ingest
from sandan.ingest.sparkplug.models import SparkplugDevice, SparkplugNode
from sandan.settings import Settings
from sandan.timeseries.store import write_readings
from tests.circular.world import add_circular
from tests.commands.world import add_controls
from tests.factories import Tenant, make_tenant, system
from tests.grid.world import add_ders
from tests.market.world import add_ppas
from tests.programs.world import ProgrammeWorld, add_programmes

API = "/api/v1"
PROBLEM = "application/problem+json"
#: An id no row has: the answer for it is what a foreign id must look like.
NONEXISTENT = 987_654_321
#: Roles the isolation matrix acts as; all but the first two are bound to company A or complex GY.
ROLES = ("platform_admin", "complex_operator", "company_admin", "company_member", "device", "auditor",
         "complex_auditor", "verifier", "programme_officer", "reviewer")
DAY0 = dt.datetime(2026, 3, 2, tzinfo=KST)
SERIES_RANGE = {"start": "2026-03-01T00:00:00+09:00", "end": "2026-03-04T00:00:00+09:00"}


def api_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "test", "secret_key": "api-tests-" + "s" * 40,
                              "login_rate_per_minute": 1000}
    values.update(overrides)
    return Settings(**values)


# --- problem+json ------------------------------------------------------------------------------

def assert_problem(response: Any, status: int | None = None) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem: the media type, the four members, status matching."""
    assert response.headers.get("content-type", "").startswith(PROBLEM), (
        f"{response.request.method} {response.request.url} answered {response.status_code} "
        f"as {response.headers.get('content-type')!r}, not problem+json: {response.text[:300]}")
    body = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, f"problem without '{member}': {body}"
    assert body["status"] == response.status_code, body
    assert isinstance(body["detail"], str), body
    assert body["detail"].strip(), body
    if status is not None:
        assert response.status_code == status, f"expected {status}, got {response.status_code}: {body}"
    assert response.status_code < 500, f"server error: {body}"
    return body  # type: ignore[no-any-return]


class ApiClient(TestClient):
    """A TestClient that checks every error response it sees is problem+json (and never a 5xx)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        if response.status_code >= 400:
            assert_problem(response)
        return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- snapshots ---------------------------------------------------------------------------------

def connection_of(db: Database) -> Connection:
    """The test's outer connection that every session of ``db`` joins."""
    return db.sessionmaker.kw["bind"]  # type: ignore[no-any-return]


_TABLES: dict[int, list[str]] = {}


def table_names(conn: Connection) -> list[str]:
    """Every table (read once per connection; PostgreSQL's monthly partitions of readings are
    covered by their parent)."""
    key = id(conn)
    if key not in _TABLES:
        names = inspect(conn).get_table_names()
        _TABLES[key] = sorted(n for n in names if n != "alembic_version" and not n.startswith("readings_y"))
    return _TABLES[key]


def snapshot(conn: Connection) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table (the audit log included).

    On PostgreSQL the digests are computed by the server, every table in one statement (each row's
    text form hashed, the hashes sorted and hashed again); on SQLite from the rows in Python.
    """
    if conn.dialect.name == "postgresql":
        parts = [f"SELECT '{name}' AS t, count(*) AS n, md5(coalesce(string_agg(md5(x::text), '' "
                 f"ORDER BY md5(x::text)), '')) AS d FROM \"{name}\" x" for name in table_names(conn)]
        return {t: (int(n), str(d)) for t, n, d in conn.execute(text(" UNION ALL ".join(parts))).all()}
    out: dict[str, tuple[int, str]] = {}
    for name in table_names(conn):
        rows = conn.execute(text(f"SELECT * FROM {name}")).all()
        digest = hashlib.sha256(repr(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()
        out[name] = (len(rows), digest)
    return out


def changed_tables(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))


@contextmanager
def rolled_back(conn: Connection) -> Iterator[None]:
    """Run a block in a savepoint that is undone afterwards, so every case starts from the same data."""
    savepoint = conn.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()


# --- the world ---------------------------------------------------------------------------------

@dataclass
class World:
    db: Database
    client: ApiClient
    complexes: dict[str, int]                       # GY, CW
    tenants: dict[str, Tenant]                      # A, B, C
    spare_asset: dict[str, int]                     # a childless, pointless equipment asset per tenant
    peer_token_id: dict[str, int]                   # a token of another user of each tenant
    tokens: dict[str, str] = field(default_factory=dict)       # role -> bearer token
    own_token_id: dict[str, int] = field(default_factory=dict)  # role -> id of that token
    commands: dict[str, int] = field(default_factory=dict)      # a requested control command per tenant
    reports: dict[str, int] = field(default_factory=dict)       # a draft MRV report per tenant
    ders: dict[str, int] = field(default_factory=dict)          # a PV plant per tenant (grid)
    ppas: dict[str, int] = field(default_factory=dict)          # a draft direct PPA offered by each tenant
    circular: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> tenant -> circular row id
    programmes: ProgrammeWorld | None = None                     # calls, applications, reviews

    @property
    def conn(self) -> Connection:
        return connection_of(self.db)

    def as_(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    def company_of(self, company_id: int) -> str | None:
        for name, tenant in self.tenants.items():
            if tenant.company_id == company_id:
                return name
        return None


def _user(session: Any, role: Role, email: str, *, company_id: int | None = None,
          complex_id: int | None = None) -> tuple[str, int]:
    """A user without a password (no Argon2 cost) and a bearer token for them."""
    system(session)
    user = create_user_with_role(session, email, email.split("@")[0], None, role, company_id=company_id,
                                 complex_id=complex_id)
    token, plain = create_token(session, user, "api-test")
    return plain, token.id


def build_world(db: Database, settings: Settings | None = None) -> World:
    from sqlalchemy import select

    with db.session() as s:
        system(s)
        complexes = {code: s.execute(select(Complex.id).where(Complex.code == name)).scalar_one()
                     for code, name in (("GY", "gwangyang"), ("CW", "changwon"))}
        tenants = {"A": make_tenant(s, 1), "B": make_tenant(s, 2), "C": make_tenant(s, 3, "changwon")}
        spare: dict[str, int] = {}
        peer: dict[str, int] = {}
        for name, tenant in tenants.items():
            spare[name] = service.create_asset(s, schemas.AssetCreate(
                site_id=tenant.site_id, parent_id=tenant.line_id, level=AssetLevel.equipment,
                name="예비 설비")).id
            _, peer[name] = _user(s, Role.company_member, f"peer@{name.lower()}.kr", company_id=tenant.company_id)
            t0 = to_epoch_s(DAY0)
            write_readings(s, pd.DataFrame({"point_id": tenant.main_point_id,
                                            "ts": [t0 + i * 900 for i in range(96)],
                                            "value": [10.0 + i % 7 for i in range(96)]}))
            # one quarantined reading per tenant (a negative interval total), for the quarantine routes
            ingest(s, [RawReading(point=tenant.main_point_id, ts=t0 + 96 * 900, value=-1.0)], source="test")
            # a Sparkplug edge node with one device per tenant, for GET /sparkplug/nodes
            node = SparkplugNode(company_id=tenant.company_id, group_id=str(tenant.company_id), edge_node="gw-1",
                                 online=True, bd_seq=0, last_seq=3)
            s.add(node)
            s.flush()
            s.add(SparkplugDevice(company_id=tenant.company_id, node_id=node.id, device="meter-1", online=True))
        commands = add_controls(s, tenants)
        reports = {name: create_report(s, t.company_id, "2026-03", "AR5").id for name, t in tenants.items()}
        ders = add_ders(s, tenants)
        ppas = add_ppas(s, tenants)
        circular = add_circular(s, tenants)
        a = tenants["A"].company_id
        who = {"platform_admin": dict(role=Role.platform_admin),
               "complex_operator": dict(role=Role.complex_operator, complex_id=complexes["GY"]),
               "company_admin": dict(role=Role.company_admin, company_id=a),
               "company_member": dict(role=Role.company_member, company_id=a),
               "device": dict(role=Role.device, company_id=a),
               "auditor": dict(role=Role.auditor, company_id=a),
               "complex_auditor": dict(role=Role.auditor, complex_id=complexes["GY"]),
               "verifier": dict(role=Role.verifier)}
        tokens: dict[str, str] = {}
        own: dict[str, int] = {}
        for role, kw in who.items():
            tokens[role], own[role] = _user(s, kw.pop("role"), f"{role}@sandan.test", **kw)
        programmes = add_programmes(s, tenants)
        for role, user in (("programme_officer", programmes.officer), ("reviewer", programmes.reviewer_user)):
            token, tokens[role] = create_token(s, user, "api-test")
            own[role] = token.id
    app = create_app(db, settings or api_settings())
    client = ApiClient(app, raise_server_exceptions=False)
    client.__enter__()  # one event loop for all requests, not a new thread and loop for each
    return World(db, client, complexes, tenants, spare, peer, tokens, own, commands, reports, ders, ppas, circular,
                 programmes)
