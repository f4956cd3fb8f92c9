"""Web pages (server-rendered Jinja2)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the web pages and static files on the app."""
