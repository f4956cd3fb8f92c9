"""Carbon use cases: the inventory of a company or site over a period, entered activity data,
contractual instruments, and the MRV workflow (reports, versions, findings, statements, ledger).

Readings come through :mod:`sandan.timeseries.service` (monthly rollups) and their quality flags
through :mod:`sandan.ingest.quality`; factor rows from :mod:`sandan.carbon.factors`; the arithmetic
is :mod:`sandan.carbon.inventory`, the integrity :mod:`sandan.carbon.mrv`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandan.carbon import allocation, cbam, factors, inventory, mrv
from sandan.carbon.factors import GwpSet
from sandan.carbon.inventory import Instrument, Line, ReadingsTrace
from sandan.carbon.models import (
    REPORT_SCOPE,
    ActivityEntry,
    ContractualInstrument,
    MrvAssignment,
    MrvFinding,
    MrvLedgerEntry,
    MrvReport,
    MrvStatement,
    MrvVersion,
    ProductionRecord,
)
from sandan.core.auth.models import Membership, Role, User
from sandan.core.auth.policy import Principal
from sandan.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sandan.core.tenancy.models import Company, Point, Site
from sandan.core.tenancy.service import get
from sandan.core.timeutil import now_utc
from sandan.core.units import convert
from sandan.ingest.quality import point_quality
from sandan.timeseries.meta import load_point_meta
from sandan.timeseries.models import GroupKind
from sandan.timeseries.service import point_series

FUEL_QUANTITIES = ("gas_volume", "fuel_volume")
CATEGORIES = ("fuel", "refrigerant", "process")
INSTRUMENT_KINDS = ("ppa", "rec", "supplier")


def _principal(session: Session) -> Principal:
    principal: Principal = session.info["principal"]
    return principal


# --- inventory -------------------------------------------------------------------------------------

def _sites(session: Session, company_id: int, site_id: int | None) -> list[Site]:
    get(session, Company, company_id)
    if site_id is not None:
        site = get(session, Site, site_id)
        if site.company_id != company_id:
            raise NotFound(f"site {site_id} not found")
        return [site]
    return list(session.execute(select(Site).where(Site.company_id == company_id).order_by(Site.id)).scalars())


def _metered_points(session: Session, sites: list[Site]) -> list[tuple[Point, str]]:
    """The points that make up each site's consumption (main meters win over sub-meters, the rule
    of the group totals): ``(point, "electricity" | fuel carrier)``."""
    site_ids = [s.id for s in sites]
    if not site_ids:
        return []
    points = list(session.execute(select(Point).where(Point.site_id.in_(site_ids)).order_by(Point.id)).scalars())
    fuels = {f.carrier for f in factors.fuel_factors()}
    wanted = [p for p in points if p.direction.value == "consumption" and (
        (p.quantity == "active_energy" and p.carrier.value == "electricity")
        or (p.quantity in FUEL_QUANTITIES and p.carrier.value in fuels))]
    meta = load_point_meta(session, [p.id for p in wanted], targets=True)
    return [(p, p.carrier.value) for p in wanted
            if p.id in meta and (int(GroupKind.site), p.site_id) in {(int(k), int(i)) for k, i in meta[p.id].targets}]


def _readings_trace(session: Session, point: Point, start: dt.datetime, end: dt.datetime, unit: str) -> ReadingsTrace:
    q = point_quality(session, point.id, start, end)
    return ReadingsTrace(point.id, point.code, unit, int(q["expected"]), int(q["present"]), int(q["estimated"]),
                         int(q["edited"]))


def _no_trace(point: Point, unit: str) -> ReadingsTrace:
    return ReadingsTrace(point.id, point.code, unit, 0, 0, 0, 0)


def compute_inventory(session: Session, company_id: int, period: str, gwp_set: str = "AR5", *,
                      site_id: int | None = None, grid_factor_id: str | None = None,
                      quality: bool = True) -> dict[str, Any]:
    """Scope 1 and scope 2 (location- and market-based) of a company, or one of its sites, over a
    month, quarter or year (Korean calendar), every figure with its trace.

    ``quality=False`` leaves out the readings' quality counts (for totals only, e.g. a trend): the
    lines then carry no readings trace and their data-quality score assumes complete measured data.
    """
    gwp: GwpSet = factors.check_gwp_set(gwp_set)
    start, end, kind = inventory.period_bounds(period)
    sites = _sites(session, company_id, site_id)
    day = start.date()
    grid = factors.grid_factor(day, "location", grid_factor_id)
    lines: list[Line] = []
    warnings: list[dict[str, Any]] = []
    basis_year = grid.valid_from.year
    if grid.valid_to is None and start.year > basis_year:
        warnings.append({"code": "grid_factor_not_yet_published",
                         "message": f"no grid factor for {start.year} is published yet; the latest "
                                    f"({grid.factor_id}) is used", "data": {"factor_id": grid.factor_id}})
    for point, carrier in _metered_points(session, sites):
        if carrier == "electricity":
            series = point_series(session, point.id, start, end, "1mo", unit="kWh")
            kwh = float(series.frame["value"].sum())
            trace = _readings_trace(session, point, start, end, "kWh") if quality else _no_trace(point, "kWh")
            gases, co2e, formula = inventory.electricity_location(kwh, grid, gwp)
            lines.append(Line(2, "purchased_electricity", point.code, kwh, "kWh", gases, co2e, formula,
                              [grid.trace()], gwp, method="location", site_id=point.site_id,
                              readings=trace if quality else None,
                              dq_score=inventory.dq_score(metered=True, estimated_share=trace.estimated_share,
                                                          completeness=trace.completeness,
                                                          factor_verified=grid.verified)))
        else:
            fuel = factors.fuel_factor(carrier, day)
            series = point_series(session, point.id, start, end, "1mo", unit=fuel.unit)
            amount = float(series.frame["value"].sum())
            trace = _readings_trace(session, point, start, end, fuel.unit) if quality else _no_trace(point, fuel.unit)
            gases, co2e, formula = inventory.combustion(amount, fuel, gwp)
            lines.append(Line(1, "stationary_combustion", point.code, amount, fuel.unit, gases, co2e, formula,
                              [fuel.trace()], gwp, site_id=point.site_id, readings=trace if quality else None,
                              dq_score=inventory.dq_score(metered=True, estimated_share=trace.estimated_share,
                                                          completeness=trace.completeness,
                                                          factor_verified=fuel.verified)))
    lines.extend(_entered_lines(session, sites, start, end, gwp))
    lines.extend(_market_lines(session, sites, lines, start, end, grid, gwp, warnings))
    totals = inventory.totals(lines)
    company = get(session, Company, company_id)
    return {"company_id": company_id, "company_name": company.name, "site_id": site_id,
            "sites": [{"id": s.id, "name": s.name} for s in sites], "period": period, "period_kind": kind,
            "start": start.isoformat(), "end": end.isoformat(), "gwp_set": gwp,
            "grid_factor": grid.factor_id, "lines": [line.to_dict() for line in lines],
            "totals_kg": totals, "totals_t": {k.replace("_kg", "_t"): v / 1000 for k, v in totals.items()},
            "dq_score": inventory.weighted_dq([line for line in lines if line.method != "market"]),
            "warnings": warnings}


LINE_COLUMNS = ["scope", "method", "category", "site_id", "source", "activity", "activity_unit", "co2e_kg",
                "tco2e", "gwp_set", "factor_ids", "readings_present", "readings_expected", "readings_estimated",
                "dq_score", "formula"]


def lines_frame(answer: dict[str, Any]) -> pd.DataFrame:
    """The lines of an inventory as a table (for CSV and XLSX), one row per figure."""
    rows = []
    for line in answer["lines"]:
        readings = line["readings"] or {}
        rows.append({**{k: line[k] for k in ("scope", "method", "category", "site_id", "source", "activity",
                                              "activity_unit", "co2e_kg", "gwp_set", "dq_score", "formula")},
                     "tco2e": line["co2e_kg"] / 1000,
                     "factor_ids": " ".join(str(f.get("factor_id") or f.get("table")) for f in line["factors"]),
                     "readings_present": readings.get("present"), "readings_expected": readings.get("expected"),
                     "readings_estimated": readings.get("estimated")})
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def _entered_lines(session: Session, sites: list[Site], start: dt.datetime, end: dt.datetime,
                   gwp: GwpSet) -> list[Line]:
    rows = session.execute(select(ActivityEntry).where(
        ActivityEntry.site_id.in_([s.id for s in sites]), ActivityEntry.occurred_on >= start.date(),
        ActivityEntry.occurred_on < end.date()).order_by(ActivityEntry.id)).scalars()
    out = []
    for row in rows:
        if row.category == "fuel":
            fuel = factors.fuel_factor(row.substance, row.occurred_on)
            amount = convert(row.amount, row.unit, fuel.unit)
            gases, co2e, formula = inventory.combustion(amount, fuel, gwp)
            out.append(Line(1, "stationary_combustion", f"entry {row.id}", amount, fuel.unit, gases, co2e, formula,
                            [fuel.trace()], gwp, site_id=row.site_id, entry_id=row.id,
                            dq_score=inventory.dq_score(metered=False, factor_verified=fuel.verified)))
        else:
            kg = convert(row.amount, row.unit, "kg")
            gases, co2e, formula = inventory.gas_release(kg, row.substance, gwp)
            category = "refrigerant" if row.category == "refrigerant" else "process"
            out.append(Line(1, category, f"entry {row.id}", kg, "kg", gases, co2e, formula,
                            [{"table": "gwp.csv", "gas": row.substance, "gwp_set": gwp}], gwp,
                            site_id=row.site_id, entry_id=row.id, dq_score=inventory.dq_score(metered=False)))
    return out


def _market_lines(session: Session, sites: list[Site], lines: list[Line], start: dt.datetime, end: dt.datetime,
                  grid: factors.GridFactor, gwp: GwpSet, warnings: list[dict[str, Any]]) -> list[Line]:
    residual = factors.electricity_tco2e_per_mwh(grid, gwp)
    out = []
    for site in sites:
        located = [line for line in lines if line.site_id == site.id and line.method == "location"]
        if not located:
            continue
        kwh = sum(line.activity for line in located)
        rows = list(session.execute(select(ContractualInstrument).where(
            ContractualInstrument.site_id == site.id, ContractualInstrument.period_start >= start.date(),
            ContractualInstrument.period_end <= end.date()).order_by(ContractualInstrument.id)).scalars())
        instruments = [Instrument(f"{r.kind} {r.reference or r.id}", r.mwh, r.factor_t_per_mwh) for r in rows]
        co2e, formula = inventory.electricity_market(kwh, instruments, residual)
        out.append(Line(2, "purchased_electricity", f"site {site.id}", kwh, "kWh", {}, co2e, formula,
                        [grid.trace(), *[{"table": "carbon_instruments", "id": r.id, "kind": r.kind, "mwh": r.mwh,
                                          "factor_t_per_mwh": r.factor_t_per_mwh, "reference": r.reference}
                                         for r in rows]], gwp, method="market", site_id=site.id,
                        dq_score=inventory.weighted_dq(located) or 1.0))
    if out:
        warnings.append({"code": "residual_mix_unavailable",
                         "message": "Korea publishes no residual mix: electricity not covered by an instrument "
                                    "is counted at the location-based grid factor (GHG Protocol Scope 2 Guidance "
                                    "allows this and asks to disclose it)", "data": {"factor_id": grid.factor_id}})
    return out


# --- entered data ------------------------------------------------------------------------------------

def _site_of(session: Session, company_id: int, site_id: int) -> Site:
    get(session, Company, company_id)
    site = get(session, Site, site_id)
    if site.company_id != company_id:
        raise InvalidInput(f"site {site_id} is not a site of company {company_id}", field="site_id")
    return site


def add_activity(session: Session, company_id: int, data: dict[str, Any]) -> ActivityEntry:
    """Record entered activity data; the substance and unit are checked before anything is written."""
    site = _site_of(session, company_id, data["site_id"])
    category = data["category"]
    if category not in CATEGORIES:
        raise InvalidInput(f"unknown category '{category}'; use {', '.join(CATEGORIES)}", field="category")
    if category == "fuel":
        fuel = factors.fuel_factor(data["substance"], data["occurred_on"])
        convert(1.0, data["unit"], fuel.unit)
    else:
        factors.gwp(data["substance"], "AR5")
        convert(1.0, data["unit"], "kg")
    row = ActivityEntry(company_id=company_id, site_id=site.id, occurred_on=data["occurred_on"], category=category,
                        substance=data["substance"], amount=data["amount"], unit=data["unit"],
                        evidence=data.get("evidence", ""))
    session.add(row)
    session.flush()
    return row


def list_activities(session: Session, company_id: int) -> list[ActivityEntry]:
    get(session, Company, company_id)
    return list(session.execute(select(ActivityEntry).where(ActivityEntry.company_id == company_id)
                                .order_by(ActivityEntry.occurred_on, ActivityEntry.id)).scalars())


def add_instrument(session: Session, company_id: int, data: dict[str, Any]) -> ContractualInstrument:
    site = _site_of(session, company_id, data["site_id"])
    if data["kind"] not in INSTRUMENT_KINDS:
        raise InvalidInput(f"unknown instrument '{data['kind']}'; use {', '.join(INSTRUMENT_KINDS)}", field="kind")
    if data["period_end"] <= data["period_start"]:
        raise InvalidInput("the period must end after it starts", field="period_end")
    row = ContractualInstrument(company_id=company_id, site_id=site.id, kind=data["kind"],
                                period_start=data["period_start"], period_end=data["period_end"], mwh=data["mwh"],
                                factor_t_per_mwh=data["factor_t_per_mwh"], reference=data.get("reference", ""))
    session.add(row)
    session.flush()
    return row


# --- MRV -----------------------------------------------------------------------------------------------

def _append(session: Session, report: MrvReport, event: str, payload: dict[str, Any]) -> MrvLedgerEntry:
    last = session.execute(select(MrvLedgerEntry).where(MrvLedgerEntry.report_id == report.id)
                           .order_by(MrvLedgerEntry.seq.desc()).limit(1)).scalar_one_or_none()
    seq = (last.seq if last else 0) + 1
    prev = last.entry_hash if last else mrv.GENESIS
    actor = _principal(session).name
    at = now_utc().isoformat()
    body = mrv.entry_body(seq, report.id, event, actor, at, payload)
    entry = MrvLedgerEntry(company_id=report.company_id, report_id=report.id, seq=seq, event=event, actor=actor,
                           at=at, payload=payload, prev_hash=prev, entry_hash=mrv.chain_hash(prev, body))
    session.add(entry)
    session.flush()
    return entry


def _ledger(session: Session, report_id: int) -> list[MrvLedgerEntry]:
    return list(session.execute(select(MrvLedgerEntry).where(MrvLedgerEntry.report_id == report_id)
                                .order_by(MrvLedgerEntry.seq)).scalars())


def status(session: Session, report_id: int) -> str:
    return mrv.status_of(e.event for e in _ledger(session, report_id))


def create_report(session: Session, company_id: int, period: str, gwp_set: str, site_id: int | None = None,
                  title: str = "") -> MrvReport:
    """A draft report of a company (or one of its sites) for a period."""
    factors.check_gwp_set(gwp_set)
    inventory.period_bounds(period)
    if site_id is not None:
        _site_of(session, company_id, site_id)
    else:
        get(session, Company, company_id)
    principal = _principal(session)
    report = MrvReport(company_id=company_id, site_id=site_id, period=period, gwp_set=gwp_set, title=title,
                       created_by=principal.user_id)
    session.add(report)
    session.flush()
    _append(session, report, "created", {"period": period, "gwp_set": gwp_set, "site_id": site_id})
    return report


def get_report(session: Session, report_id: int) -> MrvReport:
    return get(session, MrvReport, report_id)


def list_reports(session: Session) -> list[dict[str, Any]]:
    reports = list(session.execute(select(MrvReport).order_by(MrvReport.id)).scalars())
    return [report_summary(session, r) for r in reports]


def report_summary(session: Session, report: MrvReport) -> dict[str, Any]:
    versions = session.execute(select(func.max(MrvVersion.version)).where(MrvVersion.report_id == report.id)).scalar()
    assigned = session.execute(select(MrvAssignment.verifier_name).where(MrvAssignment.report_id == report.id)
                               .order_by(MrvAssignment.id)).scalars().all()
    return {"id": report.id, "company_id": report.company_id, "site_id": report.site_id, "period": report.period,
            "gwp_set": report.gwp_set, "title": report.title, "status": status(session, report.id),
            "latest_version": versions, "verifiers": list(assigned), "created_at": report.created_at.isoformat()}


def _versions(session: Session, report_id: int) -> list[MrvVersion]:
    return list(session.execute(select(MrvVersion).where(MrvVersion.report_id == report_id)
                                .order_by(MrvVersion.version)).scalars())


def submit(session: Session, report_id: int) -> MrvVersion:
    """Freeze the report's figures with their traces as a new version (hashed, recorded in the ledger).

    Allowed from draft and after corrections were requested; a submitted version is never edited.
    """
    report = get_report(session, report_id)
    current = status(session, report_id)
    if current not in ("draft", "corrections_requested"):
        raise Conflict(f"report {report_id} is {current}: a submitted report cannot be changed; a new version "
                       "may be submitted only after the verifier requests corrections")
    content = compute_inventory(session, report.company_id, report.period, report.gwp_set, site_id=report.site_id)
    number = len(_versions(session, report_id)) + 1
    content_hash = mrv.sha256_hex(content)
    version = MrvVersion(company_id=report.company_id, report_id=report.id, version=number, content=content,
                         content_hash=content_hash, submitted_by=_principal(session).name)
    session.add(version)
    session.flush()
    _append(session, report, "submitted", {"version": number, "version_hash": content_hash})
    return version


def _user_by_email(session: Session, email: str) -> tuple[int, str, bool]:
    """(user id, name, is a verifier) looked up with the system's rights: users are private rows."""
    previous = session.info.get("principal")
    session.info["principal"] = Principal.system("mrv")
    try:
        user = session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
        if user is None:
            user = session.execute(select(User).where(User.email == email.strip())).scalar_one_or_none()
        if user is None:
            raise InvalidInput(f"no user with the e-mail address {email}", field="verifier_email")
        is_verifier = session.execute(select(Membership.id).where(
            Membership.user_id == user.id, Membership.role == Role.verifier)).first() is not None
        return user.id, user.name or user.email, is_verifier
    finally:
        session.info["principal"] = previous


def assign_verifier(session: Session, report_id: int, verifier_email: str) -> MrvAssignment:
    """Assign a verifier (a user with the verifier role) to a report: the grant that lets them read it."""
    report = get_report(session, report_id)
    user_id, name, is_verifier = _user_by_email(session, verifier_email)
    if not is_verifier:
        raise InvalidInput(f"{verifier_email} is not a verifier of an accredited verification body",
                           field="verifier_email")
    exists = session.execute(select(MrvAssignment.id).where(MrvAssignment.report_id == report_id,
                                                            MrvAssignment.verifier_user_id == user_id)).first()
    if exists:
        raise Conflict(f"{verifier_email} is already assigned to report {report_id}")
    row = MrvAssignment(company_id=report.company_id, report_id=report.id, verifier_user_id=user_id,
                        verifier_name=name)
    session.add(row)
    session.flush()
    _append(session, report, "assigned", {"verifier_user_id": user_id, "verifier": name})
    return row


def _is_assigned(session: Session, report_id: int) -> bool:
    return (REPORT_SCOPE, report_id) in _principal(session).grants


def _add_finding(session: Session, report: MrvReport, *, role: str, text: str, reply_to: int | None,
                 requires_correction: bool) -> MrvFinding:
    if not text.strip():
        raise InvalidInput("the text may not be empty", field="text")
    versions = _versions(session, report.id)
    seq = (session.execute(select(func.max(MrvFinding.seq)).where(MrvFinding.report_id == report.id)).scalar() or 0) + 1
    if reply_to is not None and not (1 <= reply_to < seq):
        raise InvalidInput(f"there is no finding {reply_to} to answer", field="reply_to")
    finding = MrvFinding(company_id=report.company_id, report_id=report.id, seq=seq,
                         version=versions[-1].version if versions else 0, author_role=role,
                         author=_principal(session).name, reply_to=reply_to,
                         requires_correction=requires_correction, text=text.strip())
    session.add(finding)
    session.flush()
    event = "corrections_requested" if requires_correction else ("finding" if role == "verifier" else "answer")
    record = mrv.finding_record(finding_dict(finding))
    _append(session, report, event, {"seq": seq, "finding_hash": mrv.sha256_hex(record)})
    return finding


def raise_finding(session: Session, report_id: int, text: str, requires_correction: bool = False) -> MrvFinding:
    """A finding of the assigned verifier on the submitted report (``requires_correction`` asks for a new version)."""
    report = get_report(session, report_id)
    if not _is_assigned(session, report_id):
        raise Forbidden("only the verifier assigned to this report may raise findings")
    current = status(session, report_id)
    if current not in ("submitted", "under_review"):
        raise Conflict(f"report {report_id} is {current}: findings are raised on a submitted report under review")
    return _add_finding(session, report, role="verifier", text=text, reply_to=None,
                        requires_correction=requires_correction)


def answer(session: Session, report_id: int, text: str, reply_to: int | None = None) -> MrvFinding:
    """The company's answer to a finding (or a note to the verifier); the report's status stays."""
    report = get_report(session, report_id)
    principal = _principal(session)
    if not (principal.is_admin or report.company_id in principal.companies_admin):
        raise Forbidden("answers come from an admin of the reporting company")
    return _add_finding(session, report, role="company", text=text, reply_to=reply_to, requires_correction=False)


def finding_dict(f: MrvFinding) -> dict[str, Any]:
    return {"seq": f.seq, "version": f.version, "author_role": f.author_role, "author": f.author,
            "reply_to": f.reply_to, "requires_correction": f.requires_correction, "text": f.text,
            "created_at": f.created_at.isoformat() if f.created_at else None}


ASSURANCE = ("limited", "reasonable")
OPINIONS = ("unmodified", "qualified", "adverse", "disclaimer")


def issue_statement(session: Session, report_id: int, secret: str, *, assurance: str, opinion: str,
                    conclusion: str, materiality_pct: float = 5.0) -> MrvStatement:
    """The assigned verifier's statement on the latest version, signed with the verifier's Ed25519 key."""
    report = get_report(session, report_id)
    principal = _principal(session)
    if not _is_assigned(session, report_id) or principal.user_id is None:
        raise Forbidden("only the verifier assigned to this report may issue its verification statement")
    if assurance not in ASSURANCE:
        raise InvalidInput(f"assurance is {' or '.join(ASSURANCE)}", field="assurance")
    if opinion not in OPINIONS:
        raise InvalidInput(f"opinion is one of {', '.join(OPINIONS)}", field="opinion")
    current = status(session, report_id)
    if current not in ("submitted", "under_review"):
        raise Conflict(f"report {report_id} is {current}: a statement is issued on a submitted version under review")
    version = _versions(session, report_id)[-1]
    ledger = _ledger(session, report_id)
    key = mrv.signing_key(secret, principal.user_id)
    public = mrv.public_key_b64(key)
    content = version.content
    body = {"report_id": report.id, "company_id": report.company_id, "company_name": content.get("company_name"),
            "period": report.period, "gwp_set": report.gwp_set, "version": version.version,
            "content_hash": version.content_hash, "totals_t": content.get("totals_t"), "assurance": assurance,
            "materiality_pct": materiality_pct, "opinion": opinion, "conclusion": conclusion.strip(),
            "verifier": principal.name, "key_fingerprint": mrv.key_fingerprint(public),
            "ledger_head": ledger[-1].entry_hash, "issued_at": now_utc().isoformat(),
            "standard": "ISO 14064-3:2019"}
    signature = mrv.sign(key, body)
    statement = MrvStatement(company_id=report.company_id, report_id=report.id, version=version.version, body=body,
                             signature=signature, public_key=public)
    session.add(statement)
    session.flush()
    _append(session, report, "statement", {"version": version.version, "statement_hash": mrv.sha256_hex(
        statement_dict(statement))})
    return statement


def statement_dict(s: MrvStatement) -> dict[str, Any]:
    return {"body": s.body, "signature": s.signature, "public_key": s.public_key}


def bundle(session: Session, report_id: int) -> dict[str, Any]:
    """Everything needed to check a report offline: versions, findings, ledger, statement."""
    report = get_report(session, report_id)
    findings = session.execute(select(MrvFinding).where(MrvFinding.report_id == report_id)
                               .order_by(MrvFinding.seq)).scalars()
    statement = session.execute(select(MrvStatement).where(MrvStatement.report_id == report_id)
                                .order_by(MrvStatement.id.desc()).limit(1)).scalar_one_or_none()
    return {"format": mrv.BUNDLE_FORMAT,
            "report": {"id": report.id, "company_id": report.company_id, "site_id": report.site_id,
                       "period": report.period, "gwp_set": report.gwp_set, "title": report.title,
                       "status": status(session, report_id)},
            "versions": [{"version": v.version, "content": v.content, "content_hash": v.content_hash,
                          "submitted_by": v.submitted_by} for v in _versions(session, report_id)],
            "findings": [finding_dict(f) for f in findings],
            "ledger": [{"seq": e.seq, "report_id": e.report_id, "event": e.event, "actor": e.actor, "at": e.at,
                        "payload": e.payload, "prev_hash": e.prev_hash, "entry_hash": e.entry_hash}
                       for e in _ledger(session, report_id)],
            "statement": statement_dict(statement) if statement else None}


def verify_report(session: Session, report_id: int) -> dict[str, Any]:
    """The integrity check of a stored report (the same check ``sandan mrv verify`` runs offline)."""
    problems = mrv.verify_bundle(bundle(session, report_id))
    return {"report_id": report_id, "intact": not problems, "problems": problems}


# --- product carbon footprints -------------------------------------------------------------------------

def add_production(session: Session, company_id: int, data: dict[str, Any]) -> ProductionRecord:
    """Record what a site produced of one product in a period (the allocation bases with it)."""
    site = _site_of(session, company_id, data["site_id"])
    inventory.period_bounds(data["period"])
    row = ProductionRecord(company_id=company_id, site_id=site.id, period=data["period"],
                           product_code=data["product_code"], product_name=data.get("product_name", ""),
                           declared_unit=data["declared_unit"], quantity=data["quantity"],
                           mass_kg=data.get("mass_kg", 0.0), machine_hours=data.get("machine_hours", 0.0),
                           value_krw=data.get("value_krw", 0))
    session.add(row)
    session.flush()
    return row


def product_footprints(session: Session, company_id: int, period: str, *, gwp_set: str = "AR5",
                       basis: str = "mass", site_id: int | None = None, scope2: str = "location") -> dict[str, Any]:
    """Cradle-to-gate share of the site's (or company's) scope 1 + 2 for each product produced in the
    period, allocated on ``basis``; the products' figures add up exactly to the total (whole grams)."""
    if scope2 not in ("location", "market"):
        raise InvalidInput("scope2 is location or market", field="scope2")
    if basis not in allocation.BASES:
        raise InvalidInput(f"unknown allocation basis '{basis}'; use {', '.join(allocation.BASES)}", field="basis")
    answer = compute_inventory(session, company_id, period, gwp_set, site_id=site_id)
    total_kg = answer["totals_kg"][f"total_{scope2}_kg"]
    where = [ProductionRecord.company_id == company_id, ProductionRecord.period == period]
    if site_id is not None:
        where.append(ProductionRecord.site_id == site_id)
    rows = list(session.execute(select(ProductionRecord).where(*where).order_by(ProductionRecord.id)).scalars())
    warnings = list(answer["warnings"])
    products: list[dict[str, Any]] = []
    if rows:
        records: list[dict[str, float | str]] = [
            {"code": f"{r.site_id}:{r.product_code}", "quantity": r.quantity, "mass_kg": r.mass_kg,
             "machine_hours": r.machine_hours, "value_krw": r.value_krw} for r in rows]
        for row, share in zip(rows, allocation.footprints(total_kg, records, basis), strict=True):
            products.append({"product_code": row.product_code, "product_name": row.product_name,
                             "site_id": row.site_id, "declared_unit": row.declared_unit, "quantity": row.quantity,
                             **{k: v for k, v in share.items() if k != "code"}})
    else:
        warnings.append({"code": "no_production", "message": "no production is recorded for this period: nothing "
                         "to allocate to", "data": {"period": period}})
    return {"company_id": company_id, "site_id": site_id, "period": period, "gwp_set": answer["gwp_set"],
            "basis": basis, "scope2_method": scope2, "boundary": "cradle-to-gate, scope 1 and 2 of the site",
            "total_kg": total_kg, "total_g": round(total_kg * 1000),
            "allocated_g": sum(p["allocated_g"] for p in products), "dq_score": answer["dq_score"],
            "products": products, "warnings": warnings}


def cbam_embedded(session: Session, company_id: int, period: str, *, cn_code: str = "7208",
                  site_id: int | None = None, product_code: str | None = None) -> dict[str, Any]:
    """CBAM specific embedded emissions of the goods a site produced in a period, from its inventory:
    direct = scope 1, indirect = electricity [MWh] × the location grid factor, activity level = the
    recorded production mass [t] (of ``product_code``, else of every product).  No precursors (they
    are entered by the importer's template, not here); emissions of a site making several goods are
    attributed by mass."""
    answer = compute_inventory(session, company_id, period, "AR5", site_id=site_id)
    where = [ProductionRecord.company_id == company_id, ProductionRecord.period == period]
    if site_id is not None:
        where.append(ProductionRecord.site_id == site_id)
    records = list(session.execute(select(ProductionRecord).where(*where)).scalars())
    total_t = sum(r.mass_kg for r in records) / 1000
    chosen = [r for r in records if product_code is None or r.product_code == product_code]
    good_t = sum(r.mass_kg for r in chosen) / 1000
    electricity = [ln for ln in answer["lines"] if ln["method"] == "location"]
    mwh = sum(ln["activity"] for ln in electricity) / 1000
    grid = factors.grid_factor(inventory.period_bounds(period)[0].date(), "location", answer["grid_factor"])
    warnings = list(answer["warnings"])
    result: dict[str, Any] | None = None
    if good_t > 0 and total_t > 0:
        share = good_t / total_t
        see = cbam.specific_embedded_emissions(cn_code, good_t, answer["totals_kg"]["scope1_kg"] / 1000 * share,
                                               mwh * share, factors.electricity_tco2e_per_mwh(grid, "AR5"))
        result = see.to_dict()
    else:
        warnings.append({"code": "no_production_mass", "message": "no production mass is recorded for this period: "
                         "the activity level of the good is unknown", "data": {"period": period}})
    return {"company_id": company_id, "site_id": site_id, "period": period, "cn_code": cn_code,
            "product_code": product_code, "grid_factor": grid.factor_id, "electricity_mwh": mwh,
            "production_t": good_t, "all_production_t": total_t, "embedded": result, "warnings": warnings}
