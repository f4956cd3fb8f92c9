"""Schemathesis against ``/api/v1/openapi.json``: no 5xx, and every answer is one the document
declares (status code, media type, body schema).

Each operation gets a few generated requests as a company admin and as the platform admin, on
SQLite and PostgreSQL: valid ones (half with the path ids of real rows, so bodies and queries
reach the services) and invalid ones (which must be refused with a declared 4xx).  A fixed number
of requests per run is spread over the operations, so the runs stay well under a minute together
as the API grows; each run draws new examples, and a failure prints the request to reproduce it.
"""

from __future__ import annotations

import time
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.support import API, World, rolled_back

#: Requests per role and database, spread evenly over the operations (at least two each).
VALID_REQUESTS = 160
INVALID_REQUESTS = 60
ROLES = ("company_admin", "platform_admin")
#: Both roles on one database: a run that takes longer has grown; lower the requests or look for a slow route.
#: (About 150 operations since the domains came, at least four requests each per role: 40-46 s measured
#: beside the rest of the suite on the 2-core machine.)
BUDGET_S = 90.0
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Checks for invalid requests: no 5xx and a declared status (the body of a refusal is problem+json,
#: which the suite's client asserts for every error).
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


def _real_ids(world: World) -> dict[str, int]:
    a = world.tenants["A"]
    return {"complex_id": world.complexes["GY"], "company_id": a.company_id, "site_id": a.site_id,
            "asset_id": world.spare_asset["A"], "point_id": a.main_point_id, "group_id": a.company_id,
            "token_id": world.peer_token_id["A"], **_programme_ids(world)}


def _programme_ids(world: World) -> dict[str, int]:
    pw = world.programmes
    assert pw is not None
    return {"call_id": pw.eval_call_id, "programme_id": pw.new_programme_id, "application_id": pw.drafts["A"],
            "assignment_id": pw.assignments["A"], "project_id": pw.projects["A"]}


class _Run:
    """Failures (one per operation and kind) and the number of requests of one fuzz run."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.failures: dict[tuple[str, str], str] = {}
        self.calls = 0

    def fuzz(self, label: str, strategy: Any, mode: str, examples: int, checks: list[Any]) -> None:
        @given(case=strategy)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            self.calls += 1
            try:
                response = case.call(headers=self.headers)
            except Exception as exc:  # the app raised: a 500 that escaped the handlers
                self.failures.setdefault((label, type(exc).__name__), f"{mode}: {exc!r}")
                return
            try:
                case.validate_response(response, checks=checks, headers=self.headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    self.failures.setdefault((label, failure.title), (
                        f"{mode}: {failure.title}: {response.status_code} {response.text[:300]}\n    "
                        f"{case.as_curl_command(headers=self.headers)}"))

        try:
            call()
        except Unsatisfiable:
            if mode == "valid":
                raise
            # nothing in this operation can be made invalid (no parameters, no body)


def _run(world: World, role: str) -> _Run:
    schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", world.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    valid_each = max(2, VALID_REQUESTS // len(operations))
    invalid_each = max(2, INVALID_REQUESTS // len(operations))
    run = _Run(world.as_(role))
    real = _real_ids(world)
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        fixed = {name: value for name, value in real.items() if name in names}
        valid = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        if fixed:
            valid.append(operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed))
        run.fuzz(operation.label, st.one_of(valid), "valid", valid_each, CHECKS)
        run.fuzz(operation.label, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), "invalid",
                 invalid_each, NEGATIVE_CHECKS)
    return run


def test_openapi_conformance(world: World) -> None:
    started = time.monotonic()
    failures: list[str] = []
    calls = 0
    for role in ROLES:
        with rolled_back(world.conn):
            run = _run(world, role)
        calls += run.calls
        failures += [f"{role}: {label} — {why}" for (label, _), why in sorted(run.failures.items())]
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} failures in {calls} requests:\n" + "\n".join(failures)
    assert calls >= 2 * (VALID_REQUESTS + INVALID_REQUESTS) * 0.8, f"only {calls} requests were generated"
    assert elapsed < BUDGET_S, f"the fuzz runs took {elapsed:.1f} s (budget {BUDGET_S} s)"
