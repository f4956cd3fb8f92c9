"""Picks up CSV files from a drop folder: buffer every row, then move the file to ``done/``.

A file is moved only after its readings are committed to the queue, so a crash in between reads
it again on restart, and the queue's (point, ts) key keeps that from adding anything twice.  Rows
that cannot be read go to ``done/<name>.rejected.csv`` with the reason; a file that cannot be read
at all goes to ``failed/`` with ``<name>.error.txt``.
"""

from __future__ import annotations

import asyncio
import csv
import math
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sandan.gateway.csvdrop.config import CsvDrop
from sandan.gateway.outlet import Outlet
from sandan.gateway.records import Reading

REQUIRED = ("point", "ts", "value")


@dataclass(frozen=True)
class Rejected:
    line: int
    row: dict[str, str]
    reason: str


def parse_rows(lines: list[str], zone: ZoneInfo) -> tuple[list[Reading], list[Rejected]]:
    """Readings from CSV text with a header ``point,ts,value[,unit]``; times without offset are in ``zone``."""
    reader = csv.DictReader(lines)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValueError(f"the header must name the columns point, ts, value (missing: {', '.join(missing)})")
    reader.fieldnames = header
    readings: list[Reading] = []
    rejected: list[Rejected] = []
    for row in reader:
        line = reader.line_num
        try:
            point = (row.get("point") or "").strip()
            if not point:
                raise ValueError("empty point")
            ts = datetime.fromisoformat((row.get("ts") or "").strip())
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=zone)
            value = float((row.get("value") or "").strip())
            if not math.isfinite(value):
                raise ValueError("value is not a finite number")
            unit = (row.get("unit") or "").strip() or None
            readings.append(Reading(point, ts, value, unit))
        except ValueError as error:
            rejected.append(Rejected(line, {k: v or "" for k, v in row.items() if k is not None}, str(error)))
    return readings, rejected


class CsvDropSource:
    def __init__(self, drop: CsvDrop) -> None:
        self.drop = drop
        self.name = drop.name
        self.zone = ZoneInfo(drop.timezone)

    async def run(self, outlet: Outlet) -> None:
        self.drop.folder.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                await self.scan(outlet)
            except OSError as error:
                outlet.problem(self.name, f"cannot scan {self.drop.folder}: {error}")
            await asyncio.sleep(self.drop.scan_interval_s)

    async def scan(self, outlet: Outlet) -> int:
        """Buffer every settled file in the folder; returns the number of files handled."""
        handled = 0
        now = time.time()
        for path in sorted(self.drop.folder.glob(self.drop.pattern)):
            if not path.is_file() or now - path.stat().st_mtime < self.drop.settle_s:
                continue
            await self._take(path, outlet)
            handled += 1
        return handled

    async def _take(self, path: Path, outlet: Outlet) -> None:
        try:
            lines = path.read_text(encoding=self.drop.encoding).splitlines()
            readings, rejected = parse_rows(lines, self.zone)
        except (ValueError, UnicodeDecodeError, csv.Error) as error:
            failed = self.drop.folder / "failed"
            failed.mkdir(exist_ok=True)
            target = _free_name(failed / path.name)
            (failed / f"{target.name}.error.txt").write_text(f"{error}\n", encoding="utf-8")
            path.replace(target)
            outlet.problem(self.name, f"{path.name} cannot be read ({error}); moved to failed/")
            return
        await outlet.put(readings)  # committed before the file moves
        done = self.drop.folder / "done"
        done.mkdir(exist_ok=True)
        target = _free_name(done / path.name)
        if rejected:
            with (done / f"{target.stem}.rejected.csv").open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["line", "point", "ts", "value", "reason"])
                for item in rejected:
                    writer.writerow([item.line, item.row.get("point", ""), item.row.get("ts", ""),
                                     item.row.get("value", ""), item.reason])
            outlet.problem(self.name, f"{path.name}: {len(rejected)} rows rejected, "
                                      f"see done/{target.stem}.rejected.csv")
        path.replace(target)


def _free_name(path: Path) -> Path:
    if not path.exists():
        return path
    for n in range(1, 10_000):
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise OSError(f"too many files named like {path.name}")
