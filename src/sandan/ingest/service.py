"""File import use case: resolve the mapping through the access policy, parse, store in batches.

``import_readings`` = :func:`prepare_import` (read the file, resolve each mapped point by code
or id on behalf of the session's principal, parse) + :func:`store_import` (send the readings
through the ingest pipeline, :func:`sandan.ingest.pipeline.ingest_frame`, in batches — VEE,
store, quarantine, event — and account for every cell; cells the reader refused are
quarantined as well).

The summary closes: ``stored + duplicate + replaced + conflict + rejected == readings`` (one
reading per data row and mapped column), and every conflict and rejection comes with its file
row, column, raw text and reason.  A re-import of the same file stores nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from sandan.core import audit
from sandan.core.errors import InvalidInput
from sandan.core.tenancy.models import Point, PointKind
from sandan.core.tenancy.service import get, point_by_code
from sandan.core.timeutil import from_epoch_s
from sandan.core.units import conversion_factor, convert
from sandan.ingest import kepco
from sandan.ingest.files import (
    ColumnSpec,
    Issue,
    Label,
    MapEntry,
    Midnight,
    ParsedReadings,
    TimeSpec,
    parse_mapping,
    parse_readings,
    read_table,
)
from sandan.ingest.kepco import kepco_table
from sandan.ingest.pipeline import ingest_frame, quarantine_rows
from sandan.timeseries.store import CONFLICT, DUPLICATE, REJECTED, REPLACED, STORED

DEFAULT_BATCH = 20_000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file.  ``mapping`` is ``"column=point[@unit],…"`` (points by code or id);
    ``ts_col`` None means the first column; ``unit`` is the unit of the file's values when it
    differs from the points' units; ``company_id`` narrows point codes that repeat across companies."""

    mapping: str | tuple[MapEntry, ...]
    ts_col: str | None = None
    ts_format: str | None = None
    tz: str = "Asia/Seoul"
    label: Label = "start"
    midnight: Midnight = "next-day"
    unit: str | None = None
    company_id: int | None = None
    sheet: str | None = None
    encoding: str | None = None
    batch_size: int = DEFAULT_BATCH
    #: a known export layout: ``kepco-15min`` (KEPCO 파워플래너 15-minute export, see ingest/kepco.py)
    layout: str | None = None


@dataclass(frozen=True)
class MappedPoint:
    column: str
    point_id: int
    code: str
    company_id: int
    unit: str
    source_unit: str


@dataclass
class PreparedImport:
    """A parsed file ready to store: readings frame, issues so far, and the resolved points."""

    file: str
    parsed: ParsedReadings
    points: list[MappedPoint]


@dataclass
class ImportSummary:
    """What an import did.  ``issues`` holds every conflicting or rejected reading with its reason."""

    file: str
    rows: int
    readings: int
    points: list[MappedPoint]
    stored: int = 0
    duplicate: int = 0
    replaced: int = 0
    conflict: int = 0
    rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    first_ts: dt.datetime | None = None
    last_ts: dt.datetime | None = None
    #: readings filled in by interpolation (quality *estimated*), besides the file's own
    estimated: int = 0

    @property
    def reasons(self) -> dict[str, int]:
        """Count of conflicts and rejections by reason code."""
        return dict(Counter(i.code for i in self.issues).most_common())

    @property
    def accounted(self) -> bool:
        """Whether every reading of the file is counted exactly once."""
        return (self.stored + self.duplicate + self.replaced + self.conflict + self.rejected) == self.readings

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "readings": self.readings, "stored": self.stored, "duplicate": self.duplicate,
                "replaced": self.replaced, "conflict": self.conflict, "rejected": self.rejected}

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, **self.counts(), "reasons": self.reasons,
                "first_ts": self.first_ts.isoformat() if self.first_ts else None,
                "last_ts": self.last_ts.isoformat() if self.last_ts else None,
                "points": [vars(p) for p in self.points],
                "issues": [vars(i) for i in self.issues]}

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table (row, column, value, status, code, message) for CSV/XLSX export."""
        return pd.DataFrame([{"row": i.row, "column": i.column, "value": i.value, "status": i.status,
                              "code": i.code, "message": i.message} for i in self.issues],
                            columns=["row", "column", "value", "status", "code", "message"])


def _entries(mapping: str | tuple[MapEntry, ...]) -> list[MapEntry]:
    return parse_mapping(mapping) if isinstance(mapping, str) else list(mapping)


def resolve_point(session: Session, entry: MapEntry, company_id: int | None) -> Point:
    """The mapped point, looked up on behalf of the session's principal (NotFound if not visible)."""
    point_id = entry.point_id
    if point_id is None:
        return point_by_code(session, entry.point, company_id)
    point = get(session, Point, point_id)
    if company_id is not None and point.company_id != company_id:
        raise InvalidInput(f"point {point_id} belongs to another company than {company_id}", field="map")
    return point


def _factor(source_unit: str, point: Point) -> float:
    if convert(0.0, source_unit, point.unit) != 0.0:
        raise InvalidInput(f"{source_unit} → {point.unit} is not a plain scaling (an offset unit such as degC); "
                           "convert the column first", field="unit")
    return conversion_factor(source_unit, point.unit)


def prepare_import(session: Session, path: str | Path, options: ImportOptions) -> PreparedImport:
    """Read and parse a file against its mapping; nothing is written yet."""
    entries = _entries(options.mapping)
    table = read_table(path, sheet=options.sheet, encoding=options.encoding)
    if table.empty and len(table.columns) == 0:
        raise InvalidInput(f"{Path(path).name} has no header row", field="file")
    if options.layout is not None:
        if options.layout != "kepco-15min":
            raise InvalidInput(f"unknown layout '{options.layout}'; known: kepco-15min", field="layout")
        table = kepco_table(table)
        options = replace(options, ts_col=kepco.TS_COLUMN, ts_format=kepco.TS_FORMAT, label="end",
                          midnight="next-day")
    ts_col = options.ts_col or str(table.columns[0])
    columns: list[ColumnSpec] = []
    points: list[MappedPoint] = []
    for entry in entries:
        point = resolve_point(session, entry, options.company_id)
        source_unit = entry.unit or options.unit or point.unit
        columns.append(ColumnSpec(
            column=entry.column, point_id=point.id,
            # only interval totals have an interval to move back by; a sample or register is read at its time
            interval_s=point.interval_s if point.kind == PointKind.interval else 0,
            factor=_factor(source_unit, point), valid_min=point.valid_min, valid_max=point.valid_max))
        points.append(MappedPoint(entry.column, point.id, point.code, point.company_id, point.unit, source_unit))
    time = TimeSpec(ts_col, options.ts_format, options.tz, options.label, options.midnight)
    parsed = parse_readings(table, columns, time)
    return PreparedImport(Path(path).name, parsed, points)


def store_import(session: Session, prepared: PreparedImport, *, batch_size: int = DEFAULT_BATCH,
                 progress: Progress | None = None) -> ImportSummary:
    """Write the parsed readings in batches and account for every one of them."""
    parsed = prepared.parsed
    frame = parsed.frame
    summary = ImportSummary(prepared.file, parsed.rows, parsed.candidates, prepared.points,
                            duplicate=parsed.duplicates_in_file, issues=list(parsed.issues))
    summary.conflict = sum(1 for i in parsed.issues if i.status == "conflict")
    summary.rejected = sum(1 for i in parsed.issues if i.status != "conflict")
    if len(frame):
        summary.first_ts = from_epoch_s(int(frame["ts"].min()))
        summary.last_ts = from_epoch_s(int(frame["ts"].max()))
    total = len(frame)
    if progress:
        progress(0, total)
    step = max(1, int(batch_size))
    for lo in range(0, total, step):
        batch = frame.iloc[lo:lo + step].reset_index(drop=True)
        raw = [{"row": int(r), "column": str(c), "value": float(v)}
               for r, c, v in zip(batch["row"].tolist(), batch["column"].tolist(), batch["value"].tolist(),
                                  strict=True)]
        result = ingest_frame(session, batch[["point_id", "ts", "value"]], source="file", source_ref=prepared.file,
                              raw=raw)
        summary.stored += result.count(STORED)
        summary.duplicate += result.count(DUPLICATE)
        summary.replaced += result.count(REPLACED)
        summary.conflict += result.count(CONFLICT)
        summary.rejected += result.count(REJECTED)
        summary.estimated += result.estimated
        for i in sorted(result.codes):
            row = batch.iloc[i]
            conflict = result.status[i] == CONFLICT
            summary.issues.append(Issue(int(row["row"]), str(row["column"]), f"{row['value']:g}", result.codes[i],
                                        result.reasons.get(i, ""), status="conflict" if conflict else "rejected"))
        if progress:
            progress(min(lo + step, total), total)
    _quarantine_parse_issues(session, prepared, parsed.issues)
    summary.issues.sort(key=lambda i: (i.row, i.column))
    for company_id in sorted({p.company_id for p in prepared.points}):
        audit.record(session, action="import", entity="readings", entity_id=prepared.file[:60],
                     company_id=company_id, after=summary.counts(),
                     reason=f"file import of {prepared.file}")
    return summary


def _quarantine_parse_issues(session: Session, prepared: PreparedImport, issues: list[Issue]) -> None:
    """Cells the file reader could not turn into readings go to the quarantine too (nothing is lost)."""
    by_column = {p.column: p for p in prepared.points}
    rows = []
    for issue in issues:
        point = by_column.get(issue.column)
        rows.append({"company_id": point.company_id if point else None, "point_id": point.point_id if point else None,
                     "point_ref": point.code if point else issue.column, "status": issue.status,
                     "unit": point.source_unit if point else None, "reason_code": issue.code, "reason": issue.message,
                     "raw": {"row": issue.row, "column": issue.column, "value": issue.value}})
    quarantine_rows(session, rows, source="file", source_ref=prepared.file)


def import_readings(session: Session, path: str | Path, options: ImportOptions, *,
                    progress: Progress | None = None) -> ImportSummary:
    """Import one CSV or XLSX file of readings on behalf of the session's principal."""
    prepared = prepare_import(session, path, options)
    return store_import(session, prepared, batch_size=options.batch_size, progress=progress)


__all__ = ["ImportOptions", "ImportSummary", "MappedPoint", "PreparedImport", "import_readings", "prepare_import",
           "resolve_point", "store_import"]
