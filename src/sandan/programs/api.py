"""HTTP API of the programs domain, mounted under ``/api/v1`` by :mod:`sandan.app`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["programs"])
