"""The exit survey: a customer rates the session (1 to 5, optional comment).

    POST /api/sessions/{session}/rating    Authorization: Bearer <capability token>

The customer's capability token authorises it, also after the session ended
(the token is then no longer good for `/ws`, but still names the customer),
for `RATING_WINDOW` seconds from when it was issued. One rating per customer
and session; the reports show it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request

from ..auth import BadToken
from ..store import NotFound
from .api import Body, api, relay_of
from .openapi import ApiError

RATING_WINDOW = 7 * 24 * 3600.0
COMMENT_MAX = 1000


class RatingIn(Body):
    score: Annotated[int, Field(ge=1, le=5, strict=True)]
    comment: Annotated[str, Field(default="", max_length=COMMENT_MAX)] = ""


class RatingOut(Body):
    session: str
    score: int
    comment: str


@api.route("POST", "/api/sessions/{session}/rating",
           summary="Customer: rate the session when it ends (exit survey; the customer's capability token)",
           body=RatingIn, response=RatingOut, status=201, tag="customers")
async def rate_session(request: Request, session: str, body: RatingIn):
    relay = relay_of(request)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    try:
        session_id, pid, role = relay.tokens.read_capability(token, RATING_WINDOW)
    except BadToken:
        raise ApiError(401, "unauthorized", "the customer's session token is needed (or it has expired)") from None
    if role != "customer":
        raise ApiError(403, "not_allowed", "only customers rate sessions")
    if session_id != session:
        raise ApiError(403, "not_allowed", "this token belongs to another session")
    await relay.drain()  # the customer's join may still be on its way to the store
    comment = body.comment.strip()
    try:
        await relay.store.add_rating(session, pid, body.score, comment)
    except NotFound:
        raise ApiError(404, "not_found", "no such customer in this session") from None
    await relay.store.audit("session.rated", actor=pid, session_id=session, data={"score": body.score})
    return RatingOut(session=session, score=body.score, comment=comment)


routes = api.routes(__name__)  # declared on the main `api`: they are in the OpenAPI document
