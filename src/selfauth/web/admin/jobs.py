"""The dashboard's jobs section (/admin/jobs): user imports and exports through the job queue
the Management API uses, a job's page with its live progress, errors and download.

An import's upload is streamed to the job's file by web/multipart.py, as POST
/api/v2/jobs/users-imports does: never held in memory, whatever its size. Its CSRF token is
a form field read from the same stream, so it is checked once the body is read; a refused
upload is deleted before anything is queued. An export is CreateExport's body and rules; its
file is downloaded through the API's signed link (download_router), freshly made per click."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from selfauth.domain.connections.model import Connection
from selfauth.domain.jobs.model import COMPLETED, EXPORT, IMPORT, PENDING, Job
from selfauth.domain.jobs.views import job_view
from selfauth.errors import InvalidBody, NotFound, SelfauthError
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import CSRF_FIELD, CSRF_HEADER, Admin, CsrfRefused, signed_in
from selfauth.web.body import validate
from selfauth.web.management.jobs import CreateExport, form_flag
from selfauth.web.multipart import stream_form

router = APIRouter(include_in_schema=False)

RECENT = 50
# The export's fields when the form names none: the profile's usual columns.
DEFAULT_EXPORT_FIELDS = "user_id, email, email_verified, name, created_at"


def percentage(job: Job) -> int:
    """The bar's value: 100 once the job ended well, the view's estimate while it runs."""
    if job.status == COMPLETED:
        return 100
    if job.status == PENDING or job.progress_total <= 0:
        return 0
    return min(99, int(100 * job.progress_done / job.progress_total))


def progress_of(job: Job, admin: Admin) -> dict[str, Any]:
    """What assets/jobs.js reads each second (the page's own JSON, not the API's view)."""
    view = job_view(job, admin.services.clock())
    return {
        "id": job.id,
        "status": job.status,
        "finished": job.finished,
        "percentage": percentage(job),
        "summary": view.get("summary"),
        "status_details": job.status_details,
    }


async def _connections(admin: Admin) -> list[Connection]:
    return sorted(await admin.services.connections.all(), key=lambda c: c.name.lower())


async def _jobs_page(
    request: Request,
    admin: Admin,
    *,
    import_error: str | None = None,
    export_error: str | None = None,
    export_values: dict[str, str] | None = None,
    import_values: dict[str, str] | None = None,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    connections = await _connections(admin)
    jobs = await admin.services.jobs.recent(RECENT)
    return admin_page(
        request,
        admin,
        "jobs/list.html",
        title="Jobs",
        status=status,
        problem=problem,
        databases=[c for c in connections if c.is_database],
        connections=connections,
        jobs=jobs,
        percentage=percentage,
        import_error=import_error,
        export_error=export_error,
        import_values=import_values or {},
        export_values=export_values
        or {"format": "json", "fields": DEFAULT_EXPORT_FIELDS, "connection_id": ""},
    )


@router.get("/admin/jobs")
async def jobs_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    return await _jobs_page(request, admin)


@router.post("/admin/jobs/import")
async def start_import(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    queue = found.jobs
    upload = queue.upload_path()
    try:
        form = await stream_form(
            request,
            file_name="users",
            target=upload,
            max_file_bytes=found.settings.max_import_bytes,
        )
    except SelfauthError as exc:
        return await _jobs_page(
            request, admin, import_error=exc.message, status=400, problem="No import was started."
        )
    presented = form.fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER, "")
    if not found.admin_sessions.csrf_matches(admin.token, presented):
        upload.unlink(missing_ok=True)
        raise CsrfRefused
    kept = {k: form.fields.get(k, "") for k in ("connection_id", "upsert", "send_completion_email")}
    try:
        if not form.file_bytes:
            raise InvalidBody("Choose a JSON file of users to import.")
        # The API's flags are the strings "true"/"false"; a checkbox sends "on" or nothing.
        flags = {
            name: "true" if form.fields.get(name) == "on" else "false"
            for name in ("upsert", "send_completion_email")
        }
        upsert = form_flag(flags, "upsert")
        send_email = form_flag(flags, "send_completion_email")
        connection = await queue.database_connection(
            connection_id=form.fields.get("connection_id") or "", name=None
        )
    except BaseException as exc:
        upload.unlink(missing_ok=True)
        if isinstance(exc, SelfauthError):
            return await _jobs_page(
                request,
                admin,
                import_error=exc.message,
                import_values=kept,
                status=400,
                problem="No import was started.",
            )
        raise
    try:
        job = await queue.create_import(
            upload,
            connection,
            upsert=upsert,
            external_id=None,
            send_completion_email=send_email,
        )
    except SelfauthError as exc:  # an unreadable file, too many imports running (429)
        return await _jobs_page(
            request,
            admin,
            import_error=exc.message,
            import_values=kept,
            status=exc.status_code,
            problem="No import was started.",
        )
    return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)


def export_body(fields: dict[str, str]) -> dict[str, Any]:
    """The JSON body POST /api/v2/jobs/users-exports would carry for this form."""
    body: dict[str, Any] = {"format": fields.get("format", "json")}
    if fields.get("connection_id"):
        body["connection_id"] = fields["connection_id"]
    names = [n.strip() for n in fields.get("fields", "").replace("\n", ",").split(",")]
    if any(names):
        body["fields"] = [{"name": n} for n in names if n]
    limit = fields.get("limit", "").strip()
    if limit:
        body["limit"] = int(limit) if limit.isdigit() else limit
    return body


@router.post("/admin/jobs/export")
async def start_export(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    found = admin.services
    try:
        body = validate(CreateExport, export_body(fields))
        connection = None
        if body.connection_id is not None:
            connection = await found.connections.get(body.connection_id)
            if connection is None:
                raise InvalidBody("The connection does not exist.")
        chosen = [f.model_dump(exclude_none=True) for f in body.fields] if body.fields else None
        job = await found.jobs.create_export(connection, body.format, body.limit, chosen)
    except SelfauthError as exc:
        return await _jobs_page(
            request,
            admin,
            export_error=exc.message,
            export_values={k: fields.get(k, "") for k in ("format", "fields", "connection_id")},
            status=400,
            problem="No export was started.",
        )
    return RedirectResponse(f"/admin/jobs/{job.id}", status_code=303)


async def _job(admin: Admin, job_id: str) -> Job:
    return await admin.services.jobs.get(job_id)  # NotFound: the dashboard's 404 page


@router.get("/admin/jobs/{job_id}")
async def job_page(job_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    job = await _job(admin, job_id)
    errors: list[dict[str, Any]] = []
    if job.type == IMPORT:
        errors = await admin.services.jobs.errors(job.id)
    return admin_page(
        request,
        admin,
        "jobs/job.html",
        title="Import" if job.type == IMPORT else "Export" if job.type == EXPORT else "Job",
        job=job,
        progress=progress_of(job, admin),
        errors=errors,
        downloadable=job.type == EXPORT and admin.services.jobs.location(job) is not None,
    )


@router.get("/admin/jobs/{job_id}/progress")
async def job_progress(job_id: str, admin: Admin = Depends(signed_in)) -> Response:
    try:
        job = await _job(admin, job_id)
    except NotFound as exc:
        return JSONResponse({"error": exc.message}, status_code=404)
    return JSONResponse(progress_of(job, admin), headers={"Cache-Control": "no-store"})


@router.get("/admin/jobs/{job_id}/download")
async def job_download(job_id: str, admin: Admin = Depends(signed_in)) -> Response:
    """A fresh signed link to the export (the API's download), valid a minute."""
    job = await _job(admin, job_id)
    location = admin.services.jobs.location(job)
    if location is None:
        raise NotFound("This job has no file to download (not a finished export, or expired).")
    return RedirectResponse(location, status_code=303)
