"""HTTP API of the grid domain, mounted under ``/api/v1`` by :mod:`sandan.app`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["grid"])
