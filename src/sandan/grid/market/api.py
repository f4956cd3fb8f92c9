"""HTTP API of the complex power market, mounted under ``/api/v1`` by :mod:`sandan.app`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["market"])
