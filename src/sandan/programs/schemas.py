"""API shapes of the programme office: calls, programmes, applications, reviews, results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.schemas import RowId, UtcDatetime, WriteModel
from sandan.programs.calls import CallStatus

KRW = Field(ge=0, le=10**13, description="[KRW]")


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int
    code: str
    area: str
    name_ko: str
    name_en: str
    awards: int
    award_unit: str
    budget_per_award_krw: int
    year_caps_krw: dict[str, list[int]]
    budget_by_year_krw: list[int]
    eligibility_rule: str
    eligibility_text: str
    max_national_share_pct: int
    max_per_region: int | None
    panel_size: int
    trim_min_panel: int | None
    indicators: list[dict[str, Any]]
    source: str


class CallRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    year: int
    title_ko: str
    title_en: str
    status: CallStatus
    opens_at: UtcDatetime
    closes_at: UtcDatetime
    announced_at: UtcDatetime | None
    source: str
    programmes: list[ProgrammeRead] = []


class CallPage(BaseModel):
    items: list[CallRead]
    next_cursor: str | None = None


class ProgrammeSettings(WriteModel):
    """The programme office's evaluation settings of a programme (only the fields sent change)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"max_per_region": 2,
                                                                                "trim_min_panel": 5}]})

    max_per_region: int | None = Field(None, ge=1, le=100, description="awards per mega-region")
    panel_size: int | None = Field(None, ge=1, le=15, description="reviewers per application")
    trim_min_panel: int | None = Field(None, ge=3, le=15,
                                       description="drop the highest and lowest score from this panel size on")


class Transition(WriteModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "selection"}]})

    to: CallStatus = Field(description="the next status of the lifecycle")


class Member(WriteModel):
    """A consortium member: the complex management body, a local government, an institute or a company."""

    kind: Literal["complex_body", "local_government", "institute", "company"]
    name: str = Field(min_length=1, max_length=200)
    company_id: RowId | None = Field(None, description="the member's company on the platform, if it is one")


class BudgetLine(WriteModel):
    year: int = Field(ge=1, le=10, description="project year, from 1")
    national_krw: int = KRW
    local_krw: int = KRW
    private_krw: int = KRW


class Document(WriteModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["plan", "budget", "consortium_agreement", "other"] = "other"
    sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")


_APPLICATION_EXAMPLE: dict[str, Any] = {
    "title": "광양 AX 실증 컨소시엄", "summary": "공정 데이터 기반 에너지 절감",
    "members": [{"kind": "local_government", "name": "광양시"}, {"kind": "institute", "name": "한국에너지공과대학교"}],
    "budget": [{"year": 1, "national_krw": 100_000_000, "local_krw": 50_000_000, "private_krw": 50_000_000},
               {"year": 2, "national_krw": 100_000_000, "local_krw": 50_000_000, "private_krw": 50_000_000}],
    "documents": [{"name": "사업계획서.pdf", "kind": "plan"}]}


class ApplicationUpdate(WriteModel):
    """The editable content of an application (the whole of it, replaced)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False,
                              json_schema_extra={"examples": [_APPLICATION_EXAMPLE]})

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=5000)
    members: list[Member] = Field(default_factory=list, max_length=50)
    budget: list[BudgetLine] = Field(default_factory=list, max_length=10)
    documents: list[Document] = Field(default_factory=list, max_length=50)


class ApplicationCreate(ApplicationUpdate):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [
        {"programme_id": 1, "company_id": 1, **_APPLICATION_EXAMPLE}]})

    programme_id: RowId
    company_id: RowId = Field(description="the applicant company (its admins apply)")


class Finding(BaseModel):
    code: str
    message: str
    data: dict[str, Any] = {}


class ResultRead(BaseModel):
    """An application's own result: the panel's totals (anonymous, sorted), bonus, final score."""

    model_config = ConfigDict(from_attributes=True)

    eligible: bool
    sheet_totals: list[float]
    indicator_means: dict[str, float]
    trimmed: bool
    average: float
    bonus: float
    bonus_reasons: list[str]
    bonus_table_version: str
    final: float
    rank: int | None
    selected: bool
    explanation: list[Finding]
    published_at: UtcDatetime | None


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    company_id: int
    programme_id: int
    complex_id: int
    title: str
    applicant_name: str
    summary: str
    members: list[dict[str, Any]]
    budget: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    status: str
    receipt_no: str | None
    submitted_at: UtcDatetime | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    findings: list[Finding] = Field(default=[], description="what must be fixed before submission")
    result: ResultRead | None = None


class ApplicationPage(BaseModel):
    items: list[ApplicationRead]
    next_cursor: str | None


class Receipt(BaseModel):
    application_id: int
    receipt_no: str
    submitted_at: UtcDatetime
    submitted_at_kst: str


class ScoreSheetPut(WriteModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "scores": {"plan": 20, "capability": 16, "outcome": 15, "regional_balance": 12, "spillover": 16},
        "comment": "지역 파급효과가 구체적임"}]})

    scores: dict[str, float] = Field(description="points per indicator code, 0..weight",
                                     max_length=30)
    comment: str = Field("", max_length=5000)


class ConflictDeclare(WriteModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "신청기관 자문 이력"}]})

    reason: str = Field(min_length=1, max_length=300)


class AssignmentRead(BaseModel):
    """A reviewer's assignment: the application to score and the reviewer's own sheet (if any)."""

    id: int
    application_id: int
    company_id: int
    programme_id: int
    application_title: str
    applicant_name: str
    withdrawn: bool
    scores: dict[str, float] | None
    total: float | None
    comment: str


class AssignmentPage(BaseModel):
    items: list[AssignmentRead]
    next_cursor: str | None


class ProgrammeRun(BaseModel):
    programme_id: int
    code: str
    assigned: int = 0
    short: dict[str, int] = {}
    selected: list[int] = []
    scored: int = 0


class CallRun(BaseModel):
    call_id: int
    programmes: list[ProgrammeRun]


class RankingRow(BaseModel):
    application_id: int
    company_id: int
    programme_id: int
    final: float
    rank: int | None
    selected: bool
    explanation: list[Finding]


class Ranking(BaseModel):
    items: list[RankingRow]


class DisbursementCreate(WriteModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "year": 1, "amount_krw": 50_000_000, "note": "1차년도 1회차"}]})

    year: int = Field(ge=1, le=10, description="project year, from 1")
    amount_krw: int = Field(ge=1, le=10**13, description="[KRW]")
    note: str = Field("", max_length=300)


class DisbursementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    amount_krw: int
    note: str
    paid_at: UtcDatetime


class ProjectRead(BaseModel):
    """An awarded project: schedule by project year and what was paid [KRW]."""

    id: int
    company_id: int
    application_id: int
    programme_id: int
    title: str
    schedule_krw: list[int]
    paid_krw: list[int]
    agreement_no: str | None
    disbursements: list[DisbursementRead]


class ProjectPage(BaseModel):
    items: list[ProjectRead]
    next_cursor: str | None
