"""MRV workflow through the API: submit (frozen, hashed), only the assigned verifier reads, findings and
corrections as new versions, an Ed25519-signed statement, an append-only hash chain, offline checks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from sandan.carbon import mrv, service
from sandan.carbon.models import MrvVersion
from sandan.cli import app as sandan_app
from sandan.core.errors import Conflict
from tests.api.support import connection_of
from tests.carbon.conftest import Case
from tests.factories import system

API = "/api/v1"


def _submitted(case: Case) -> int:
    created = case.call("admin", "POST", f"/carbon/companies/{case.plant.company_id}/reports",
                        {"period": "2023-03", "gwp_set": "AR5", "title": "March"})
    assert created.status_code == 201, created.text
    report_id = int(created.json()["id"])
    assert case.call("admin", "POST", f"/carbon/reports/{report_id}/submit").status_code == 201
    return report_id


def test_full_workflow_and_offline_verification(case: Case, tmp_path: Path) -> None:
    report_id = _submitted(case)
    # nobody assigned yet: neither verifier reads the report, and their queues are empty
    for who in ("verifier", "other_verifier"):
        assert case.call(who, "GET", f"/carbon/reports/{report_id}").status_code == 404
        assert case.call(who, "GET", "/carbon/reports").json()["items"] == []
    assigned = case.call("admin", "POST", f"/carbon/reports/{report_id}/assignment",
                         {"verifier_email": "kim@verifier.kr"})
    assert assigned.status_code == 201, assigned.text
    # the assigned verifier reads it (with the full trace); the other one still cannot
    report = case.call("verifier", "GET", f"/carbon/reports/{report_id}")
    assert report.status_code == 200, report.text
    assert report.json()["status"] == "submitted"
    lines = report.json()["versions"][0]["content"]["lines"]
    assert {ln["source"] for ln in lines} >= {"p7.kwh", "p7.gas"}
    assert all(ln["formula"] and ln["factors"] for ln in lines)
    assert [r["id"] for r in case.call("verifier", "GET", "/carbon/reports").json()["items"]] == [report_id]
    assert case.call("other_verifier", "GET", f"/carbon/reports/{report_id}").status_code == 404
    assert case.call("other_verifier", "GET", f"/carbon/reports/{report_id}/bundle").status_code == 404
    assert case.call("other_verifier", "POST", f"/verification/reports/{report_id}/findings",
                     {"text": "x"}).status_code == 404
    # a submitted report cannot be submitted again (edited) until corrections are requested
    again = case.call("admin", "POST", f"/carbon/reports/{report_id}/submit")
    assert again.status_code == 409, again.text
    # the company's own admin cannot raise findings or sign
    assert case.call("admin", "POST", f"/verification/reports/{report_id}/findings",
                     {"text": "x"}).status_code == 403
    finding = case.call("verifier", "POST", f"/verification/reports/{report_id}/findings",
                        {"text": "Diesel purchases of March are missing.", "requires_correction": True})
    assert finding.status_code == 201, finding.text
    assert case.call("admin", "GET", f"/carbon/reports/{report_id}").json()["status"] == "corrections_requested"
    # a verifier cannot sign while corrections are pending
    assert case.call("verifier", "POST", f"/verification/reports/{report_id}/statement", {
        "assurance": "limited", "opinion": "unmodified", "conclusion": "ok"}).status_code == 409
    answer = case.call("admin", "POST", f"/carbon/reports/{report_id}/answers",
                       {"text": "Added 50 L of diesel.", "reply_to": 1})
    assert answer.status_code == 201, answer.text
    activity = case.call("admin", "POST", f"/carbon/companies/{case.plant.company_id}/activities", {
        "site_id": case.plant.site_id, "occurred_on": "2023-03-20", "category": "fuel", "substance": "diesel",
        "amount": 50, "unit": "L"})
    assert activity.status_code == 201, activity.text
    assert case.call("admin", "POST", f"/carbon/reports/{report_id}/submit").status_code == 201
    detail = case.call("verifier", "GET", f"/carbon/reports/{report_id}").json()
    v1, v2 = detail["versions"]
    # the old version is kept unchanged; the new one adds 50 L diesel:
    # 50 × 35.3 = 1,765 MJ = 0.001765 TJ → CO2 130.7865 + CH4 0.005295 × 28 + N2O 0.001059 × 265 = 131.21547 kg
    diff = v2["content"]["totals_kg"]["scope1_kg"] - v1["content"]["totals_kg"]["scope1_kg"]
    assert diff == pytest.approx(130.7865 + 0.005295 * 28 + 0.001059 * 265)
    assert v1["content_hash"] != v2["content_hash"]
    statement = case.call("verifier", "POST", f"/verification/reports/{report_id}/statement", {
        "assurance": "reasonable", "materiality_pct": 5, "opinion": "unmodified",
        "conclusion": "In our opinion the March 2023 emissions are fairly stated."})
    assert statement.status_code == 201, statement.text
    body = statement.json()["body"]
    assert body["version"] == 2
    assert body["content_hash"] == v2["content_hash"]
    assert case.call("admin", "GET", f"/carbon/reports/{report_id}").json()["status"] == "verified"
    check = case.call("admin", "GET", f"/carbon/reports/{report_id}/verification").json()
    assert check == {"report_id": report_id, "intact": True, "problems": []}
    # offline: the downloaded bundle verifies with the CLI, pinned to the verifier's key fingerprint
    bundle = case.call("admin", "GET", f"/carbon/reports/{report_id}/bundle").json()
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    ok = CliRunner().invoke(sandan_app, ["mrv", "verify", str(path), "--key", body["key_fingerprint"]])
    assert ok.exit_code == 0, ok.output
    assert "OK: intact" in ok.output
    # the bare statement verifies too; any change to it does not
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(statement.json()), encoding="utf-8")
    assert CliRunner().invoke(sandan_app, ["mrv", "verify", str(bare)]).exit_code == 0
    forged = copy.deepcopy(statement.json())
    forged["body"]["totals_t"]["scope1_t"] = 0.0
    bare.write_text(json.dumps(forged), encoding="utf-8")
    assert CliRunner().invoke(sandan_app, ["mrv", "verify", str(bare)]).exit_code == 1
    # a statement signed by another key is refused when the trusted key is pinned
    wrong_key = CliRunner().invoke(sandan_app, ["mrv", "verify", str(path), "--key", "0" * 16])
    assert wrong_key.exit_code == 1


def _tamper(bundle: dict[str, Any], where: str) -> dict[str, Any]:
    """A copy of ``bundle`` with one stored value changed."""
    out = copy.deepcopy(bundle)
    if where == "version content":
        out["versions"][0]["content"]["totals_kg"]["scope1_kg"] *= 0.9
    elif where == "version hash and content together":
        content = out["versions"][0]["content"]
        content["totals_kg"]["scope1_kg"] *= 0.9
        out["versions"][0]["content_hash"] = mrv.sha256_hex(content)
    elif where == "finding text":
        out["findings"][0]["text"] = "No findings."
    elif where == "ledger payload":
        out["ledger"][1]["payload"]["verifier"] = "someone else"
    elif where == "ledger entry removed":
        del out["ledger"][2]
    elif where == "ledger entry rehashed":
        entry = out["ledger"][1]
        entry["actor"] = "mallory"
        entry["entry_hash"] = mrv.chain_hash(entry["prev_hash"], mrv.entry_body(
            entry["seq"], entry["report_id"], entry["event"], entry["actor"], entry["at"], entry["payload"]))
    elif where == "statement body":
        out["statement"]["body"]["opinion"] = "qualified"
    elif where == "statement signature":
        sig = out["statement"]["signature"]
        out["statement"]["signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    else:
        raise AssertionError(where)
    return out


TAMPERING = ["version content", "version hash and content together", "finding text", "ledger payload",
             "ledger entry removed", "ledger entry rehashed", "statement body", "statement signature"]


def _signed(case: Case) -> int:
    report_id = _submitted(case)
    case.call("admin", "POST", f"/carbon/reports/{report_id}/assignment", {"verifier_email": "kim@verifier.kr"})
    case.call("verifier", "POST", f"/verification/reports/{report_id}/findings", {"text": "Meter p7.gas checked."})
    signed = case.call("verifier", "POST", f"/verification/reports/{report_id}/statement", {
        "assurance": "limited", "opinion": "unmodified", "conclusion": "Nothing came to our attention."})
    assert signed.status_code == 201, signed.text
    return report_id


def test_tampering_with_any_record_is_detected_offline(case: Case) -> None:
    report_id = _signed(case)
    bundle = case.call("admin", "GET", f"/carbon/reports/{report_id}/bundle").json()
    assert mrv.verify_bundle(bundle) == []
    for where in TAMPERING:
        assert mrv.verify_bundle(_tamper(bundle, where)), f"tampering with the {where} went unnoticed"


DATABASE_TAMPERING = [("mrv_versions", "content_hash", "'" + "0" * 64 + "'"),
                      ("mrv_findings", "text", "'nothing to see'"),
                      ("mrv_ledger", "actor", "'mallory'"),
                      ("mrv_statements", "signature", "'" + "A" * 88 + "'")]


def test_tampering_in_the_database_is_detected(case: Case) -> None:
    report_id = _signed(case)
    conn = connection_of(case.db)
    for table, column, value in DATABASE_TAMPERING:
        savepoint = conn.begin_nested()
        # behind the application's back: straight SQL on the stored rows
        conn.execute(text(f"UPDATE {table} SET {column} = {value} WHERE report_id = :r"), {"r": report_id})
        check = case.call("admin", "GET", f"/carbon/reports/{report_id}/verification").json()
        savepoint.rollback()
        assert check["intact"] is False, (table, check)
        assert check["problems"], table
    assert case.call("admin", "GET", f"/carbon/reports/{report_id}/verification").json()["intact"] is True


def test_submitted_records_are_append_only(case: Case) -> None:
    report_id = _submitted(case)
    with case.db.session() as s:
        system(s)
        version = s.execute(select(MrvVersion).where(MrvVersion.report_id == report_id)).scalar_one()
        version.content = {"totals_kg": {}}
        with pytest.raises(Conflict, match="append-only"):
            s.flush()
        s.rollback()
    # the company member may not submit or assign (admins only), and nobody edits through the API
    assert case.call("member", "POST", f"/carbon/reports/{report_id}/submit").status_code in (403, 409)
    assert case.call("member", "POST", f"/carbon/reports/{report_id}/assignment",
                     {"verifier_email": "kim@verifier.kr"}).status_code == 403


def test_only_verifiers_can_be_assigned(case: Case) -> None:
    report_id = _submitted(case)
    refused = case.call("admin", "POST", f"/carbon/reports/{report_id}/assignment",
                        {"verifier_email": "member@plant7.kr"})
    assert refused.status_code == 422
    assert "not a verifier" in refused.json()["detail"]
    missing = case.call("admin", "POST", f"/carbon/reports/{report_id}/assignment",
                        {"verifier_email": "nobody@nowhere.kr"})
    assert missing.status_code == 422


def test_signing_key_is_derived_per_verifier() -> None:
    a, b = mrv.signing_key("s" * 48, 1), mrv.signing_key("s" * 48, 2)
    assert mrv.public_key_b64(a) != mrv.public_key_b64(b)
    assert mrv.public_key_b64(a) == mrv.public_key_b64(mrv.signing_key("s" * 48, 1))
    sig = mrv.sign(a, {"x": 1})
    assert mrv.signature_valid(mrv.public_key_b64(a), sig, {"x": 1})
    assert not mrv.signature_valid(mrv.public_key_b64(b), sig, {"x": 1})
    assert not mrv.signature_valid(mrv.public_key_b64(a), sig, {"x": 2})
    assert service.status  # the status of a report is its ledger's last event
    assert mrv.status_of(["created", "submitted", "finding", "answer"]) == "under_review"
