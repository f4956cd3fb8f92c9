"""FastAPI app factory: mounts every domain's router under ``/api/v1`` and the web pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

import sandan
from sandan.carbon.api import router as carbon_router
from sandan.circular.api import router as circular_router
from sandan.core import audit
from sandan.core.auth import policy
from sandan.core.auth.api import router as auth_router
from sandan.core.http import BodyLimit, RateLimiter, RefuseNul, install_problem_handlers, install_problem_schema
from sandan.core.tenancy.api import router as tenancy_router
from sandan.db import Database, get_database
from sandan.energy.api import router as energy_router
from sandan.grid.api import router as grid_router
from sandan.grid.market.api import router as market_router
from sandan.ingest.api import router as ingest_router
from sandan.ingest.control.api import router as control_router
from sandan.ingest.sparkplug.api import router as sparkplug_router
from sandan.programs.api import router as programs_router
from sandan.settings import Settings, get_settings
from sandan.timeseries.api import router as timeseries_router

API = "/api/v1"


def create_app(db: Database | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = db or get_database()
    policy.install()
    audit.install()
    app = FastAPI(title="sandan", version=sandan.__version__,
                  description="Open platform for a Korean smart green industrial complex (스마트그린산단).",
                  openapi_url=f"{API}/openapi.json", docs_url=f"{API}/docs", redoc_url=None)
    app.state.db = db
    app.state.settings = settings
    app.state.login_limiter = RateLimiter(settings.login_rate_per_minute)
    install_problem_handlers(app)
    install_problem_schema(app)

    api = APIRouter(prefix=API)

    @api.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        """Liveness and database reachability (no sign-in needed)."""
        with db.session() as session:  # the app's own connections (in tests: the test's transaction)
            session.connection().execute(text("SELECT 1"))
        return {"status": "ok", "version": sandan.__version__, "database": db.engine.dialect.name}

    api.include_router(auth_router)
    api.include_router(tenancy_router)
    api.include_router(timeseries_router)
    api.include_router(ingest_router)
    api.include_router(control_router)
    api.include_router(sparkplug_router)
    for domain_router in (energy_router, carbon_router, grid_router, market_router, circular_router,
                          programs_router):
        api.include_router(domain_router)
    app.include_router(api)

    from sandan.web.pages import install as install_web

    install_web(app)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="sandan_session",
                       max_age=settings.session_max_age_s, same_site="lax",
                       https_only=settings.environment == "production")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RefuseNul)
    return app
