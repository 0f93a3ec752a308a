"""`/docs`: Swagger UI served entirely from selfauth, so the page works offline and loads no
script from a third party. Its files come from the pinned `swagger-ui-py` package (Swagger UI
5, which reads FastAPI's OpenAPI 3.1 document; `swagger-ui-bundle` ships 4.x, which cannot)."""

from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from selfauth.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS_PREFIX = "/docs/assets/"


def _static_dir() -> Path:
    """swagger-ui-py's folder of Swagger UI files, found without importing the package (its
    own code adapts frameworks; only the files are used)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(spec.origin).parent / "static"


_ASSET_DIR = _static_dir()
# Only the files the page uses, each with its type: nothing else in the package is served.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs")
async def docs_page() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="selfauth - API docs",
        swagger_js_url=f"{ASSETS_PREFIX}swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PREFIX}swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PREFIX}favicon-32x32.png",
        oauth2_redirect_url=None,
    )
    # FastAPI writes one inline script (the UI's start-up call): it alone gets the nonce.
    nonce = secrets.token_urlsafe(16)
    html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">', 1)
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            # Swagger UI sets inline style attributes and draws icons from data: URIs.
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )


@router.get(ASSETS_PREFIX + "{name}")
async def docs_asset(name: str) -> FileResponse:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFound("Not Found")
    return FileResponse(
        _ASSET_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
