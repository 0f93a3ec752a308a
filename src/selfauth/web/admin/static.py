"""The dashboard's static files (/admin/assets/<name>): its stylesheet, its scripts and the
vendored editor, read once at start and served only by name from this folder."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import Response

router = APIRouter(include_in_schema=False)

_FOLDER = Path(__file__).parent / "assets"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_FILES = {
    path.relative_to(_FOLDER).as_posix(): (path.read_bytes(), _TYPES[path.suffix])
    for path in sorted(_FOLDER.rglob("*"))
    if path.is_file() and path.suffix in _TYPES
}


@router.get("/admin/assets/{name:path}")
async def asset(name: str) -> Response:
    found = _FILES.get(name)
    if found is None:
        raise HTTPException(404)
    body, media_type = found
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
