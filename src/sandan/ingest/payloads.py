"""Parsing HTTP ingest bodies (JSON and CSV) into :class:`RawReading` records, no database.

A body that cannot be read as a whole (not UTF-8, not JSON, no ``readings`` list, a CSV without
the ``point,ts,value`` header) raises :class:`InvalidInput` and nothing is ingested.  A reading
that is wrong on its own (not an object, a missing field, a value that is not a number) becomes
a record that the pipeline rejects with a reason; the others go through.

JSON::

    {"readings": [{"point": "c1.main.kwh", "ts": "2026-11-25T10:15:00+09:00", "value": 1.2,
                   "unit": "kWh", "quality": "measured"}], "source_ref": "gateway-7"}

CSV (``text/csv``, UTF-8, header row)::

    point,ts,value,unit,quality
    c1.main.kwh,2026-11-25T10:15:00+09:00,1.2,kWh,measured
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from sandan.core.errors import InvalidInput
from sandan.ingest.pipeline import RawReading

CSV_COLUMNS = ("point", "ts", "value")
CSV_OPTIONAL = ("unit", "quality")
_FIELDS = {"point", "point_id", "ts", "value", "unit", "quality"}


@dataclass(frozen=True)
class Batch:
    readings: list[RawReading]
    source_ref: str | None = None


class TooLarge(InvalidInput):
    """More readings in one request than a batch may hold."""

    status = 413
    type_slug = "too-large"
    title = "Request body too large"


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the body is not UTF-8 text (byte {exc.start})", field="body") from None


def _check_size(n: int, max_readings: int) -> None:
    if n > max_readings:
        raise TooLarge(f"{n} readings in one request; send at most {max_readings} per batch", field="readings")


def parse_json_batch(body: bytes, *, max_readings: int = 50_000) -> Batch:
    """A JSON batch: an object with a ``readings`` list (or a bare list of readings)."""
    try:
        document = json.loads(_text(body))
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {str(exc)[:200]}", field="body") from None
    source_ref = None
    if isinstance(document, dict):
        readings = document.get("readings")
        ref = document.get("source_ref")
        if ref is not None and not isinstance(ref, str):
            raise InvalidInput("source_ref must be text", field="source_ref")
        source_ref = ref
    else:
        readings = document
    if not isinstance(readings, list):
        raise InvalidInput('the body needs a "readings" list: {"readings": [{"point": "…", "ts": "…", '
                           '"value": 1.0}]}', field="readings")
    _check_size(len(readings), max_readings)
    return Batch([_from_object(item) for item in readings], source_ref)


def _from_object(item: Any) -> RawReading:
    if not isinstance(item, dict):
        return RawReading(raw=item)  # names no point: rejected as bad_payload
    point = item.get("point", item.get("point_id"))
    return RawReading(point=point, ts=item.get("ts"), value=item.get("value"), unit=item.get("unit"),
                      quality=item.get("quality"), raw=item)


def parse_csv_batch(body: bytes, *, max_readings: int = 50_000) -> Batch:
    """A CSV batch with a header row naming ``point``, ``ts``, ``value`` and optionally ``unit`` and
    ``quality`` (in any order; other columns are kept in the raw payload only)."""
    text = _text(body)
    if "\x00" in text:
        raise InvalidInput("the body holds NUL characters; it is not CSV text", field="body")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"the body is not CSV: {exc}", field="body") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InvalidInput("the CSV body is empty; send a header row point,ts,value[,unit,quality]", field="header")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(f"the CSV header lacks {', '.join(missing)}; it needs point,ts,value[,unit,quality]",
                           field="header")
    _check_size(len(rows) - 1, max_readings)
    at = {name: header.index(name) for name in (*CSV_COLUMNS, *CSV_OPTIONAL) if name in header}
    out = []
    for line, row in enumerate(rows[1:], start=2):
        raw = {"line": line, "row": row}
        if len(row) != len(header):
            out.append(RawReading(raw=raw))
            continue
        cells = {name: row[i].strip() for name, i in at.items()}
        out.append(RawReading(point=cells["point"] or None, ts=cells["ts"], value=cells["value"],
                              unit=cells.get("unit") or None, quality=cells.get("quality") or None, raw=raw))
    return Batch(out)


__all__ = ["CSV_COLUMNS", "Batch", "TooLarge", "parse_csv_batch", "parse_json_batch"]
