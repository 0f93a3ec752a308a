"""`/api/v2/jobs`: user imports and exports, their status and errors; and the download of an
export through its signed link (`/jobs/{id}/download`, no bearer token)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import FileResponse, Response

from selfauth.domain.jobs.model import COMPLETED, EXPORT, IMPORT
from selfauth.domain.jobs.views import job_view
from selfauth.errors import InvalidBody, OperationNotSupported
from selfauth.flows.jobs.queue import JobQueue, job_not_found
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.context import services_of
from selfauth.web.errors import management_error
from selfauth.web.json import JSONResponse
from selfauth.web.multipart import stream_form
from selfauth.web.security import Caller, require

router = APIRouter()
download_router = APIRouter()

READ = ("create:users", "read:users")


class ExportField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    export_as: str | None = None


class CreateExport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str | None = None
    format: Literal["json", "csv"] = "json"
    limit: int | None = Field(default=None, ge=1)
    fields: list[ExportField] | None = None


def _queue(caller: Caller) -> JobQueue:
    queue: JobQueue = caller.services.jobs
    return queue


def form_flag(form: dict[str, str], name: str) -> bool:
    value = form.get(name, "false").strip().lower()
    if value not in ("true", "false"):
        raise InvalidBody(f"Payload validation error: 'Expected type boolean' on property {name}.")
    return value == "true"


# Auth0 accepts an import with 202 and an export with 200 (its recorded answers).
@router.post(
    "/jobs/users-imports",
    status_code=202,
    responses=openapi.management(ok=(202, openapi.OBJECT)),
    openapi_extra=openapi.USERS_IMPORT,
)
async def create_import(request: Request, caller: Caller = Depends(require("create:users"))) -> Any:
    queue = _queue(caller)
    upload = queue.upload_path()
    settings = caller.services.settings
    form = await stream_form(
        request, file_name="users", target=upload, max_file_bytes=settings.max_import_bytes
    )
    try:
        if form.file_bytes is None:
            raise InvalidBody("Payload validation error: 'Missing required property: users'.")
        connection_id = form.fields.get("connection_id")
        if not connection_id:
            raise InvalidBody(
                "Payload validation error: 'Missing required property: connection_id'."
            )
        upsert = form_flag(form.fields, "upsert")
        send_email = form_flag(form.fields, "send_completion_email")
        connection = await queue.database_connection(connection_id=connection_id, name=None)
    except BaseException:
        upload.unlink(missing_ok=True)
        raise
    job = await queue.create_import(
        upload,
        connection,
        upsert=upsert,
        external_id=form.fields.get("external_id") or None,
        send_completion_email=send_email,
    )
    return JSONResponse(job_view(job, caller.services.clock()), status_code=202)


@router.post(
    "/jobs/users-exports",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateExport),
)
async def create_export(request: Request, caller: Caller = Depends(require("read:users"))) -> Any:
    body = validate(
        CreateExport, await read_json_object(request, caller.services.settings.max_body_bytes)
    )
    queue = _queue(caller)
    connection = None
    if body.connection_id is not None:
        connection = await caller.services.connections.get(body.connection_id)
        if connection is None:
            raise InvalidBody("The connection does not exist.", error_code="inexistent_connection")
    fields = [f.model_dump(exclude_none=True) for f in body.fields] if body.fields else None
    job = await queue.create_export(connection, body.format, body.limit, fields)
    return JSONResponse(job_view(job, caller.services.clock()))


@router.get("/jobs/{job_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_job(job_id: str, caller: Caller = Depends(require(*READ))) -> Any:
    queue = _queue(caller)
    job = await queue.get(job_id)
    return JSONResponse(job_view(job, caller.services.clock(), queue.location(job)))


@router.get("/jobs/{job_id}/errors", responses=openapi.management(404, ok=(200, {})))
async def get_errors(job_id: str, caller: Caller = Depends(require(*READ))) -> Any:
    queue = _queue(caller)
    job = await queue.get(job_id)
    if job.type != IMPORT:
        raise InvalidBody("Only import jobs report errors per user.")
    found = await queue.errors(job_id)
    if not found and job.status_details is not None:
        # A job that failed as a whole answers with itself, as Auth0 does.
        return JSONResponse(job_view(job, caller.services.clock()))
    return JSONResponse(found)


@download_router.get("/jobs/{job_id}/download", include_in_schema=False)
async def download(request: Request, job_id: str, expires: int = 0, sig: str = "") -> Response:
    found = services_of(request)
    queue: JobQueue = found.jobs
    if not sig or not queue.link_is_valid(job_id, expires, sig):
        return management_error(403, "The download link is not valid.", "invalid_signature")
    if expires < found.clock().timestamp():
        return management_error(
            410,
            "The download link has expired; GET /api/v2/jobs/{id} gives a fresh one.",
            "link_expired",
        )
    job = await queue.find(job_id)
    if job is None or job.type != EXPORT or job.status != COMPLETED or not job.file_path:
        return management_error(404, job_not_found().message, "inexistent_job")
    extension = "csv" if job.format == "csv" else "json"
    return FileResponse(
        job.file_path,
        media_type="application/gzip",
        filename=f"selfauth-users.{extension}.gz",
        headers={"cache-control": "no-store"},
    )


class VerificationEmailJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: str = Field(min_length=1)
    client_id: str | None = Field(default=None, min_length=1)
    organization_id: str | None = None
    identity: dict[str, str] | None = None


# Auth0 answers 201; the job is done once its mail is queued (the outbox sends it).
@router.post(
    "/jobs/verification-email",
    status_code=201,
    responses=openapi.management(404, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(VerificationEmailJob),
)
async def create_verification_email(
    request: Request, caller: Caller = Depends(require("update:users"))
) -> Response:
    found = caller.services
    body = validate(
        VerificationEmailJob, await read_json_object(request, found.settings.max_body_bytes)
    )
    if body.organization_id is not None:
        raise OperationNotSupported("Organizations are not supported.")
    if body.client_id is not None:
        await found.clients.get(body.client_id)  # 404 inexistent_client
    user = await found.users.get(body.user_id)  # 404 inexistent_user
    if not user.email:
        raise InvalidBody("The user does not have an email address.")
    job = await found.account_mails.verification_job(user, body.client_id)
    return JSONResponse(job_view(job, found.clock()), status_code=201)
