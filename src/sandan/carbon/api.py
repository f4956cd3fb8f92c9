"""HTTP API of the carbon domain, mounted under ``/api/v1`` by :mod:`sandan.app`.

``/carbon/…`` is the reporting company's side (inventory, entered data, reports); ``/verification/…``
the assigned verifier's (findings, the signed statement).  Reads of reports answer whoever the
policy lets read them: the company, its complex's operator and auditors, the assigned verifier.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from sandan.carbon import factors, service
from sandan.carbon.schemas import (
    ActivityCreate,
    AnswerCreate,
    AssignmentCreate,
    FindingCreate,
    GwpChoice,
    InstrumentCreate,
    ProductionCreate,
    ReportCreate,
    StatementCreate,
)
from sandan.core.http import (
    BODY_PROBLEMS,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    IdPath,
    IdQuery,
    SessionDep,
    export_frame,
)
from sandan.core.timeutil import KST, now_utc

router = APIRouter(tags=["carbon"], responses=SIGNED_IN_PROBLEMS)

PeriodQuery = Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$",
                                          description="2026, 2026-Q1 or 2026-03 (default: this year)")]
GridQuery = Annotated[str | None, Query(max_length=60, description="a grid factor id (default: the one valid "
                                                                   "at the start of the period)")]


@router.get("/carbon/factors")
def list_factors(session: SessionDep) -> Any:
    """The emission-factor library (reference data, the same for everyone)."""
    return {"grid_electricity": [r.trace() for r in factors.grid_factors()],
            "fuels": [r.trace() for r in factors.fuel_factors()],
            "gwp": factors.gwp_table(), "refrigerant_blends": factors.refrigerant_blends()}


@router.get("/carbon/companies/{company_id}/inventory", responses=FILE_RESPONSES)
def get_inventory(session: SessionDep, company_id: IdPath, period: PeriodQuery = None, gwp_set: GwpChoice = "AR5",
                  site_id: IdQuery = None, grid_factor: GridQuery = None,
                  format: Literal["json", "csv", "xlsx"] = "json") -> Any:
    """Scope 1 and 2 (location- and market-based) with every figure's calculation trace; ``csv`` and
    ``xlsx`` give the lines as a table."""
    label = period or str(now_utc().astimezone(KST).year)
    answer = service.compute_inventory(session, company_id, label, gwp_set, site_id=site_id,
                                       grid_factor_id=grid_factor)
    if format == "json":
        return answer
    return export_frame(service.lines_frame(answer), format, f"inventory-{company_id}-{label}")


def _activity(row: Any) -> dict[str, Any]:
    return {"id": row.id, "company_id": row.company_id, "site_id": row.site_id,
            "occurred_on": row.occurred_on.isoformat(), "category": row.category, "substance": row.substance,
            "amount": row.amount, "unit": row.unit, "evidence": row.evidence}


@router.get("/carbon/companies/{company_id}/activities")
def list_activities(session: SessionDep, company_id: IdPath) -> Any:
    return {"items": [_activity(r) for r in service.list_activities(session, company_id)]}


@router.post("/carbon/companies/{company_id}/activities", status_code=201, responses=BODY_PROBLEMS)
def add_activity(session: SessionDep, company_id: IdPath, data: ActivityCreate) -> Any:
    return _activity(service.add_activity(session, company_id, data.model_dump()))


@router.post("/carbon/companies/{company_id}/instruments", status_code=201, responses=BODY_PROBLEMS)
def add_instrument(session: SessionDep, company_id: IdPath, data: InstrumentCreate) -> Any:
    row = service.add_instrument(session, company_id, data.model_dump())
    return {"id": row.id, "company_id": row.company_id, "site_id": row.site_id, "kind": row.kind,
            "period_start": row.period_start.isoformat(), "period_end": row.period_end.isoformat(),
            "mwh": row.mwh, "factor_t_per_mwh": row.factor_t_per_mwh, "reference": row.reference}


@router.post("/carbon/companies/{company_id}/reports", status_code=201, responses=BODY_PROBLEMS)
def create_report(session: SessionDep, company_id: IdPath, data: ReportCreate) -> Any:
    report = service.create_report(session, company_id, data.period, data.gwp_set, data.site_id, data.title)
    return service.report_summary(session, report)


@router.get("/carbon/reports")
def list_reports(session: SessionDep) -> Any:
    """The reports the caller may read, with their status (the verifier's queue is this list)."""
    return {"items": service.list_reports(session)}


@router.get("/carbon/reports/{report_id}")
def get_report(session: SessionDep, report_id: IdPath) -> Any:
    bundle = service.bundle(session, report_id)
    return {**service.report_summary(session, service.get_report(session, report_id)),
            "versions": bundle["versions"], "findings": bundle["findings"], "ledger": bundle["ledger"],
            "statement": bundle["statement"]}


@router.get("/carbon/reports/{report_id}/bundle")
def get_bundle(session: SessionDep, report_id: IdPath) -> Any:
    """Everything ``sandan mrv verify`` needs to check the report offline."""
    return service.bundle(session, report_id)


@router.get("/carbon/reports/{report_id}/verification")
def check_report(session: SessionDep, report_id: IdPath) -> Any:
    """Hashes, chain and signature of the stored report checked now."""
    return service.verify_report(session, report_id)


@router.post("/carbon/reports/{report_id}/submit", status_code=201)
def submit_report(session: SessionDep, report_id: IdPath) -> Any:
    """Freeze the figures as a new version; refused once submitted unless corrections were requested."""
    version = service.submit(session, report_id)
    return {"report_id": report_id, "version": version.version, "content_hash": version.content_hash}


@router.post("/carbon/reports/{report_id}/assignment", status_code=201, responses=BODY_PROBLEMS)
def assign_verifier(session: SessionDep, report_id: IdPath, data: AssignmentCreate) -> Any:
    row = service.assign_verifier(session, report_id, data.verifier_email)
    return {"report_id": report_id, "company_id": row.company_id, "verifier": row.verifier_name}


@router.post("/carbon/reports/{report_id}/answers", status_code=201, responses=BODY_PROBLEMS)
def answer_finding(session: SessionDep, report_id: IdPath, data: AnswerCreate) -> Any:
    return service.finding_dict(service.answer(session, report_id, data.text, data.reply_to))


@router.post("/verification/reports/{report_id}/findings", status_code=201, responses=BODY_PROBLEMS)
def raise_finding(session: SessionDep, report_id: IdPath, data: FindingCreate) -> Any:
    return service.finding_dict(service.raise_finding(session, report_id, data.text, data.requires_correction))


@router.post("/verification/reports/{report_id}/statement", status_code=201, responses=BODY_PROBLEMS)
def issue_statement(request: Request, session: SessionDep, report_id: IdPath, data: StatementCreate) -> Any:
    statement = service.issue_statement(session, report_id, request.app.state.settings.secret_key,
                                        assurance=data.assurance, opinion=data.opinion, conclusion=data.conclusion,
                                        materiality_pct=data.materiality_pct)
    return service.statement_dict(statement)


@router.post("/carbon/companies/{company_id}/production", status_code=201, responses=BODY_PROBLEMS)
def add_production(session: SessionDep, company_id: IdPath, data: ProductionCreate) -> Any:
    row = service.add_production(session, company_id, data.model_dump())
    return {"id": row.id, "company_id": row.company_id, "site_id": row.site_id, "period": row.period,
            "product_code": row.product_code, "quantity": row.quantity, "declared_unit": row.declared_unit}


@router.get("/carbon/companies/{company_id}/footprints")
def get_footprints(session: SessionDep, company_id: IdPath, period: PeriodQuery = None, gwp_set: GwpChoice = "AR5",
                   basis: Literal["mass", "machine_hours", "economic_value"] = "mass", site_id: IdQuery = None,
                   scope2: Literal["location", "market"] = "location") -> Any:
    """Product carbon footprints: the site's scope 1 + 2 allocated to its products (sums exactly)."""
    label = period or str(now_utc().astimezone(KST).year)
    return service.product_footprints(session, company_id, label, gwp_set=gwp_set, basis=basis, site_id=site_id,
                                      scope2=scope2)


CnCode = Annotated[str, Query(pattern=r"^\d{4}(\d{2}){0,3}$", description="CN code of the good (4 to 10 digits)")]


@router.get("/carbon/companies/{company_id}/cbam")
def get_cbam(session: SessionDep, company_id: IdPath, period: PeriodQuery = None, cn_code: CnCode = "7208",
             site_id: IdQuery = None,
             product_code: Annotated[str | None, Query(max_length=80)] = None) -> Any:
    """CBAM specific embedded emissions (direct and indirect, tCO2e per tonne) of the goods produced."""
    label = period or str(now_utc().astimezone(KST).year)
    return service.cbam_embedded(session, company_id, label, cn_code=cn_code, site_id=site_id,
                                 product_code=product_code)
