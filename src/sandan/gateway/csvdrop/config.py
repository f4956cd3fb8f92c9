"""Configuration of a CSV drop folder."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CsvDrop(BaseModel):
    """A folder other software writes CSV files into (columns ``point,ts,value[,unit]``, header row)."""

    model_config = ConfigDict(extra="forbid")

    protocol: Literal["csv"]
    name: str = Field(min_length=1)
    folder: Path
    pattern: str = "*.csv"
    timezone: str = Field("Asia/Seoul", description="zone of timestamps written without an offset")
    scan_interval_s: float = Field(10.0, gt=0)
    settle_s: float = Field(2.0, ge=0, description="a file must be unchanged this long before it is read")
    encoding: str = "utf-8-sig"
