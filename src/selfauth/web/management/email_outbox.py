"""`GET /api/v2/emails/outbox` (our addition; Auth0 has no such endpoint): the mails the server
queued, newest first, with their delivery status, the SMTP server's last answer, and their
bodies. With no email provider enabled (the `make run` default) mails are kept there as
"not sent: no provider", so a developer can follow a verification link without SMTP.

Its scope, `read:email_outbox`, is ours too: the bodies hold live links (a password reset),
which not every holder of `read:email_provider` should read.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.emails.outbox import mail_view
from selfauth.web import openapi
from selfauth.web.json import JSONResponse
from selfauth.web.query import FieldSelection, Paging
from selfauth.web.security import Caller, require

router = APIRouter()


@router.get(
    "/emails/outbox",
    responses=openapi.management(ok=(200, openapi.listing("mails"))),
    openapi_extra=openapi.query(*openapi.PAGING, *openapi.FIELDS, "recipient", "status"),
)
async def list_outbox(
    request: Request, caller: Caller = Depends(require("read:email_outbox"))
) -> Response:
    query = request.query_params
    paging = Paging.parse(query)
    selection = FieldSelection.parse(query)
    mails, total = await caller.services.mail_outbox.listing(
        status=query.get("status") or None,
        recipient=query.get("recipient") or None,
        offset=paging.offset,
        limit=paging.per_page,
    )
    items = [selection.apply(mail_view(mail)) for mail in mails]
    return JSONResponse(paging.wrap("mails", items, total))
