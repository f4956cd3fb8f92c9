"""KEPCO 파워플래너 (PowerPlanner) 15-minute export: the column layout as we understand it.

No sample file could be downloaded; the layout follows what KEPCO customers describe and what
the portal shows on screen for the 15-minute usage of a high-voltage customer (see
docs/ingest.md, "KEPCO 파워플래너"):

* optional title rows above the header (customer number, period …);
* a date column (``일자``/``날짜``/``년월일``: ``2026-11-25``, ``2026.11.25``, ``2026/11/25`` or
  ``20261125``) and a time column (``시간``/``시각``: ``00:15`` … ``24:00``) labelling the **end**
  of each 15-minute interval, midnight written ``24:00`` of the day it closes;
* value columns ``유효전력량(kWh)`` (also ``사용량(kWh)``), ``지상무효전력량(kvarh)``,
  ``진상무효전력량(kvarh)``, ``최대수요전력(kW)``, ``역률(%)``, ``CO2(tCO2)`` — spaces and the
  ``무효전력량``/``무효`` spelling vary and are normalised.

:func:`kepco_table` turns such a table into the importer's shape: one ``일시`` column
``YYYY-MM-DD HH:MM`` (end label, ``24:00`` kept) and the value columns under their canonical
names.  Pure: a table in, a table out.
"""

from __future__ import annotations

import re

import pandas as pd

from sandan.core.errors import InvalidInput

TS_COLUMN = "일시"
TS_FORMAT = "%Y-%m-%d %H:%M"
DATE_NAMES = ("일자", "날짜", "년월일", "일시", "date")
TIME_NAMES = ("시간", "시각", "time")
#: canonical value columns and the spellings that mean them (compared without spaces)
VALUE_COLUMNS = {
    "유효전력량(kWh)": ("유효전력량(kWh)", "사용량(kWh)", "유효전력(kWh)", "전력사용량(kWh)"),
    "지상무효전력량(kvarh)": ("지상무효전력량(kvarh)", "지상무효(kvarh)", "지상무효전력량(kVarh)", "지상무효(kVarh)"),
    "진상무효전력량(kvarh)": ("진상무효전력량(kvarh)", "진상무효(kvarh)", "진상무효전력량(kVarh)", "진상무효(kVarh)"),
    "최대수요전력(kW)": ("최대수요전력(kW)", "최대수요(kW)", "수요전력(kW)"),
    "역률(%)": ("역률(%)", "지상역률(%)"),
    "CO2(tCO2)": ("CO2(tCO2)", "탄소배출량(tCO2)"),
}
_SPACES = re.compile(r"\s+")


def _key(name: object) -> str:
    return _SPACES.sub("", str(name)).lower()


def _find_header(table: pd.DataFrame) -> pd.DataFrame:
    """Use the first row naming a date and a time column as the header (title rows above it)."""
    wanted_date = {_key(n) for n in DATE_NAMES}
    wanted_time = {_key(n) for n in TIME_NAMES}
    names = {_key(c) for c in table.columns}
    if names & wanted_date and names & wanted_time:
        return table
    for i in range(min(10, len(table))):
        row = [_key(c) for c in table.iloc[i].tolist()]
        if set(row) & wanted_date and set(row) & wanted_time:
            body = table.iloc[i + 1:].reset_index(drop=True)
            body.columns = [str(c).strip() for c in table.iloc[i].tolist()]
            return body
    raise InvalidInput("not a KEPCO 15-minute export: no header row with a date (일자) and a time (시간) column",
                       field="layout")


def _date_text(cell: object) -> str:
    text = str(cell).strip()
    if hasattr(cell, "strftime"):
        return str(cell.strftime("%Y-%m-%d"))  # an XLSX date cell
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 8:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    return text


def _time_text(cell: object) -> str:
    if hasattr(cell, "strftime"):
        return str(cell.strftime("%H:%M"))
    text = str(cell).strip()
    match = re.fullmatch(r"(\d{1,2}):?(\d{2})(?::00)?", text)
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else text


def kepco_table(table: pd.DataFrame) -> pd.DataFrame:
    """A KEPCO 15-minute export as the importer's table: ``일시`` and the canonical value columns."""
    table = _find_header(table)
    by_key = {_key(c): c for c in table.columns}
    date_col = next(by_key[_key(n)] for n in DATE_NAMES if _key(n) in by_key)
    time_col = next(by_key[_key(n)] for n in TIME_NAMES if _key(n) in by_key)
    out = pd.DataFrame({TS_COLUMN: [f"{_date_text(d)} {_time_text(t)}"
                                    for d, t in zip(table[date_col], table[time_col], strict=True)]})
    for canonical, spellings in VALUE_COLUMNS.items():
        for spelling in spellings:
            if _key(spelling) in by_key:
                out[canonical] = table[by_key[_key(spelling)]].to_numpy()
                break
    blank = out[TS_COLUMN].str.strip().isin(["", "nan nan", "None None"])
    return out[~blank].reset_index(drop=True)


__all__ = ["TS_COLUMN", "TS_FORMAT", "VALUE_COLUMNS", "kepco_table"]
