"""Meter exports (CSV, XLSX) into readings: mapping, timestamps and values, no database.

One I/O function reads a file (:func:`read_table`); everything else is pure: a table of cells
in, a frame of readings ``point_id, ts [epoch s, UTC, interval start], value [point unit]`` and
a list of :class:`Issue` out.  Nothing is dropped silently: every cell that does not become a
reading comes back as an issue with its file row, column, raw text and reason.

Timestamps follow :func:`sandan.core.timeutil.parse_local_label`, vectorised: a wall-clock
label in ``tz`` (Asia/Seoul by default), ``24:00`` as midnight at the end of the written date,
and ``midnight="same-date"`` for exports that write the interval ending at midnight as ``00:00``
of the date it ends.  End-labelled intervals are moved back by the point's interval.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd

from sandan.core.errors import InvalidInput

Label = Literal["start", "end"]
Midnight = Literal["next-day", "same-date"]
FILE_TYPES = (".csv", ".txt", ".xlsx", ".xlsm")
#: the header is row 1 of the file, so data row i (0-based) is file row i + 2
FIRST_DATA_ROW = 2

_HOUR_24 = re.compile(r"(?<!\d)24:00(:00)?")


@dataclass(frozen=True)
class MapEntry:
    """One ``column=point[@unit]`` pair of a mapping; ``point`` is a point code or, all digits, an id."""

    column: str
    point: str
    unit: str | None = None

    @property
    def point_id(self) -> int | None:
        return int(self.point) if self.point.isdigit() else None


def parse_mapping(text: str) -> list[MapEntry]:
    """Parse ``"Usage_kWh=dw.main.kwh,Lagging_Current_Reactive_Power_kVarh=dw.main.kvarh"``.

    A pair may name the unit of the file's values after ``@`` (``Usage_MWh=dw.main.kwh@MWh``).
    Column names may contain ``=`` and parentheses; point codes never contain ``=`` or ``@``.
    """
    entries: list[MapEntry] = []
    for raw in (part.strip() for part in (text or "").split(",")):
        if not raw:
            continue
        column, sep, target = raw.rpartition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise InvalidInput(f"'{raw}' is not a column=point pair (for example Usage_kWh=dw.main.kwh)",
                               field="map")
        point, _, unit = target.partition("@")
        entries.append(MapEntry(column, point.strip(), unit.strip() or None))
    if not entries:
        raise InvalidInput("the mapping is empty; give column=point pairs separated by commas", field="map")
    columns = [e.column for e in entries]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise InvalidInput(f"column(s) {', '.join(repeated)} mapped more than once", field="map")
    return entries


@dataclass(frozen=True)
class TimeSpec:
    """How the timestamp column is written.

    ``fmt`` is a ``strptime`` format (``"%d/%m/%Y %H:%M"``), or None for ISO 8601 (a written
    offset wins over ``tz``).  ``label`` says whether a row's time is the start or the end of
    its interval; ``midnight`` how ``00:00`` is meant (see :func:`parse_local_label`).
    """

    column: str
    fmt: str | None = None
    tz: str = "Asia/Seoul"
    label: Label = "start"
    midnight: Midnight = "next-day"

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone '{self.tz}' (for example Asia/Seoul or UTC)", field="tz") from exc


@dataclass(frozen=True)
class ColumnSpec:
    """A mapped column resolved to its point.

    ``interval_s`` is the point's nominal interval [s] (end labels move back by it); ``factor``
    turns the file's unit into the point's unit; ``valid_min``/``valid_max`` bound accepted
    values [point unit].
    """

    column: str
    point_id: int
    interval_s: int = 900
    factor: float = 1.0
    valid_min: float | None = None
    valid_max: float | None = None


@dataclass(frozen=True)
class Issue:
    """A cell that did not become a reading: ``status`` is ``rejected`` or ``conflict``."""

    row: int
    column: str
    value: str
    code: str
    message: str
    status: str = "rejected"


@dataclass
class ParsedReadings:
    """Readings parsed from a table: ``frame`` holds ``point_id, ts, value, row`` (file row)."""

    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    candidates: int = 0
    duplicates_in_file: int = 0


# --- reading files -----------------------------------------------------------------------------

def read_table(path: str | Path, *, sheet: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX export as a table of raw cells (text for CSV; XLSX cells as stored).

    CSV encodings: UTF-8 (with or without BOM) is tried first, then CP949 (EUC-KR), which
    Korean spreadsheet exports often use; ``encoding`` forces one.
    """
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"file {path} not found", field="file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        except ValueError as exc:  # an unknown sheet name
            raise InvalidInput(f"cannot read sheet {sheet!r} of {path.name}: {exc}", field="sheet") from exc
    if suffix not in (".csv", ".txt"):
        raise InvalidInput(f"unsupported file type '{suffix}'; use one of {', '.join(FILE_TYPES)}", field="file")
    if sheet:
        raise InvalidInput("--sheet only applies to XLSX files", field="sheet")
    for candidate in [encoding] if encoding else ["utf-8-sig", "cp949"]:
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=candidate,
                                skipinitialspace=True)
        except UnicodeDecodeError:
            continue
        table.columns = [str(c).strip() for c in table.columns]
        return table
    raise InvalidInput(f"{path.name} is neither UTF-8 nor CP949 text; give --encoding", field="encoding")


def check_columns(table: pd.DataFrame, wanted: list[str]) -> None:
    """Raise ``InvalidInput`` naming the missing columns and the ones the file has."""
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InvalidInput(f"column(s) {', '.join(missing)} not in the file; it has: "
                           f"{', '.join(map(str, table.columns))}", field="map")


# --- timestamps --------------------------------------------------------------------------------

def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def parse_labels(cells: pd.Series, spec: TimeSpec) -> tuple[npt.NDArray[np.int64], list[str | None]]:
    """Epoch seconds [UTC] of each row's label, and per row None or the reason it failed.

    Cells may be text (CSV) or datetimes (XLSX date cells).
    """
    zone = spec.zone()
    n = len(cells)
    out = np.zeros(n, dtype=np.int64)
    errors: list[str | None] = [None] * n
    raw = cells.to_numpy(dtype=object)
    naive = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    end_of_day = np.zeros(n, dtype=bool)
    aware = np.zeros(n, dtype=bool)

    texts: dict[int, str] = {}
    for i, cell in enumerate(raw):
        if isinstance(cell, dt.datetime):  # pd.Timestamp is a datetime too
            if cell.tzinfo is not None:
                out[i] = int(cell.timestamp())
                aware[i] = True
            else:  # spreadsheet clocks drift by microseconds (00:14:59.999999): round to the second
                naive[i] = np.datetime64(pd.Timestamp(cell).round("s").to_pydatetime(), "s")
        else:
            text = _cell_text(cell)
            if not text:
                errors[i] = "empty timestamp"
                continue
            if _HOUR_24.search(text):
                text = _HOUR_24.sub("00:00", text)
                end_of_day[i] = True
            texts[i] = text

    if texts:
        index = np.fromiter(texts.keys(), dtype=np.int64, count=len(texts))
        values = list(texts.values())
        if spec.fmt is not None:
            parsed = pd.to_datetime(pd.Series(values, dtype=object), format=spec.fmt, errors="coerce")
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # the format has %z
                utc = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
                ok = ~np.isnat(utc)
                out[index[ok]] = utc[ok].astype(np.int64)
                aware[index[ok]] = True
            else:
                naive[index] = parsed.to_numpy(dtype="datetime64[s]")
            for i in index.tolist():
                if not aware[i] and np.isnat(naive[i]):
                    errors[i] = f"'{cells.iloc[i]}' does not match the time format '{spec.fmt}'"
        else:
            for i, text in zip(index.tolist(), values, strict=True):
                try:
                    value = dt.datetime.fromisoformat(text)
                except ValueError:
                    errors[i] = f"'{cells.iloc[i]}' is not an ISO 8601 timestamp (or give --ts-format)"
                    continue
                if value.tzinfo is not None:
                    out[i] = int(value.timestamp())
                    aware[i] = True
                else:
                    naive[i] = np.datetime64(value.replace(microsecond=0), "s")

    local = ~np.isnat(naive)
    if spec.midnight == "same-date":
        seconds_of_day = (naive[local].astype(np.int64) % 86400)
        midnight = np.zeros(n, dtype=bool)
        midnight[np.flatnonzero(local)] = seconds_of_day == 0
        end_of_day |= midnight
    shifted = naive + np.where(end_of_day, np.timedelta64(1, "D"), np.timedelta64(0, "D"))
    if local.any():
        stamps = pd.DatetimeIndex(shifted[local]).tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        positions = np.flatnonzero(local)
        bad = np.asarray(stamps.isna())
        out[positions[~bad]] = stamps[~bad].as_unit("s").asi8
        for i in positions[bad].tolist():
            errors[i] = f"'{cells.iloc[i]}' does not exist or is ambiguous in {spec.tz} (daylight saving)"
    # end-labelled intervals are moved back per point, by the caller, once the interval is known
    return out, errors


# --- values ------------------------------------------------------------------------------------

def parse_values(cells: pd.Series) -> tuple[npt.NDArray[np.float64], list[str | None]]:
    """Numbers of a value column [file unit], and per row None or why it is not a number.

    Text cells may carry thousands separators (``1,234.5``) and surrounding spaces.
    """
    raw = cells.to_numpy(dtype=object)
    n = len(raw)
    values = np.full(n, np.nan, dtype=np.float64)
    errors: list[str | None] = [None] * n
    # fast path: text cells that are plain numbers (the usual CSV); the rest one by one below
    texts = pd.Series(raw, dtype=object).map(lambda c: c if isinstance(c, str) else None)
    quick = pd.to_numeric(texts.str.replace(",", "", regex=False).str.strip(), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    done = np.isfinite(quick)
    values[done] = quick[done]
    for i in np.flatnonzero(~done).tolist():
        cell = raw[i]
        if isinstance(cell, bool):
            errors[i] = f"'{cell}' is not a number"
        elif isinstance(cell, int | float | np.integer | np.floating):
            if math.isnan(float(cell)):
                errors[i] = "empty value"
            elif not math.isfinite(float(cell)):
                errors[i] = f"'{cell}' is not a finite number"
            else:
                values[i] = float(cell)
        else:
            text = _cell_text(cell).replace(",", "").replace(" ", "")
            if not text:
                errors[i] = "empty value"
                continue
            try:
                number = float(text)
            except ValueError:
                errors[i] = f"'{_cell_text(cell)}' is not a number"
                continue
            if not math.isfinite(number):
                errors[i] = f"'{_cell_text(cell)}' is not a finite number"
            else:
                values[i] = number
    return values, errors


# --- readings ----------------------------------------------------------------------------------

def _code_of(message: str) -> str:
    if message == "empty value":
        return "empty_value"
    if message == "empty timestamp":
        return "empty_timestamp"
    if "finite" in message:
        return "not_finite"
    if "not a number" in message:
        return "not_a_number"
    return "bad_timestamp"


def parse_readings(table: pd.DataFrame, columns: list[ColumnSpec], time: TimeSpec) -> ParsedReadings:
    """Turn a table of raw cells into readings, one per row and mapped column.

    Returns a :class:`ParsedReadings` whose frame holds ``point_id``, ``ts`` [epoch s, interval
    start, UTC], ``value`` [point unit] and ``row`` (file row, header = 1).  Every other cell is
    an issue; rows repeated in the file with the same value count as duplicates, with another
    value as conflicts (the first row wins, as the store would decide).
    """
    check_columns(table, [time.column] + [c.column for c in columns])
    n = len(table)
    rows = np.arange(n, dtype=np.int64) + FIRST_DATA_ROW
    labels, ts_errors = parse_labels(table[time.column], time)
    ts_ok = np.array([e is None for e in ts_errors], dtype=bool)
    issues: list[Issue] = []
    parts: list[pd.DataFrame] = []
    for spec in columns:
        cells = table[spec.column]
        values, value_errors = parse_values(cells)
        value = values * spec.factor
        ok = ts_ok & np.array([e is None for e in value_errors], dtype=bool)
        low = ok & (value < spec.valid_min) if spec.valid_min is not None else np.zeros(n, dtype=bool)
        high = ok & (value > spec.valid_max) if spec.valid_max is not None else np.zeros(n, dtype=bool)
        for i in np.flatnonzero(~ok).tolist():
            message = ts_errors[i] or value_errors[i] or "unreadable"
            raw_text = _cell_text(table[time.column].iloc[i] if ts_errors[i] else cells.iloc[i])
            issues.append(Issue(int(rows[i]), time.column if ts_errors[i] else spec.column, raw_text,
                                _code_of(message), message))
        for i in np.flatnonzero(low | high).tolist():
            issues.append(Issue(int(rows[i]), spec.column, _cell_text(cells.iloc[i]), "out_of_range",
                                f"{value[i]:g} is outside the point's valid range "
                                f"[{spec.valid_min}, {spec.valid_max}]"))
        keep = ok & ~low & ~high
        shift = spec.interval_s if time.label == "end" else 0
        parts.append(pd.DataFrame({"point_id": np.full(int(keep.sum()), spec.point_id, dtype=np.int64),
                                   "ts": labels[keep] - shift, "value": value[keep], "row": rows[keep],
                                   "column": spec.column}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["point_id", "ts", "value", "row", "column"])
    parsed = ParsedReadings(frame, issues, rows=n, candidates=n * len(columns))
    return _drop_in_file_repeats(parsed)


def _drop_in_file_repeats(parsed: ParsedReadings) -> ParsedReadings:
    frame = parsed.frame
    repeated = frame.duplicated(["point_id", "ts"], keep="first").to_numpy()
    if not repeated.any():
        return parsed
    first = frame[~repeated].set_index(["point_id", "ts"])[["value", "row"]]
    later = frame[repeated]
    keys = pd.MultiIndex.from_arrays([later["point_id"], later["ts"]])
    kept_value = first["value"].reindex(keys).to_numpy()
    kept_row = first["row"].reindex(keys).to_numpy()
    same = np.isclose(later["value"].to_numpy(), kept_value, rtol=1e-12, atol=1e-9)
    parsed.duplicates_in_file = int(same.sum())
    for (_, r), old, old_row in zip(later[~same].iterrows(), kept_value[~same], kept_row[~same], strict=True):
        stamp = dt.datetime.fromtimestamp(int(r["ts"]), dt.UTC).isoformat()
        parsed.issues.append(Issue(int(r["row"]), str(r["column"]), f"{r['value']:g}", "conflict_in_file",
                                   f"row {int(old_row)} gives another value ({old:g}) for this point at "
                                   f"{stamp} (interval start); the first row is kept", status="conflict"))
    parsed.frame = frame[~repeated].reset_index(drop=True)
    return parsed


__all__ = ["ColumnSpec", "Issue", "MapEntry", "ParsedReadings", "TimeSpec", "parse_labels", "parse_mapping",
           "parse_readings", "parse_values", "read_table"]
