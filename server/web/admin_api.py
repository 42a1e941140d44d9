"""The REST API's administration: reps, queues, policies and the audit log,
for admins (``auth="admin"``, checked on every request by `Api`). Each change
goes through `server.web.admin`, as the admin pages' do."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from starlette.requests import Request

from ..mail import is_email
from ..store import Account
from . import admin
from .api import AccountOut, Body, IntakeIn, QueueOut, account_out, api, queue_out, relay_of
from .openapi import ApiError


class RepIn(Body):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    password: Annotated[str | None, Field(default=None, min_length=8, max_length=1024)] = None
    is_admin: bool = False
    is_supervisor: bool = False
    queue_rep: bool = False
    max_customers: Annotated[int, Field(ge=1, le=50)] = 1
    multi_session: bool = False
    queues: list[str] = []


class RepPatch(Body):
    name: Annotated[str | None, Field(default=None, min_length=1, max_length=80)] = None
    password: Annotated[str | None, Field(default=None, min_length=8, max_length=1024)] = None
    is_admin: bool | None = None
    is_supervisor: bool | None = None
    queue_rep: bool | None = None
    max_customers: Annotated[int | None, Field(default=None, ge=1, le=50)] = None
    multi_session: bool | None = None
    queues: list[str] | None = None
    active: bool | None = None


class RepCreated(Body):
    account: AccountOut
    password: str | None
    """The generated password, when none was given (shown once)."""


class RepList(Body):
    reps: list[AccountOut]


@api.route("GET", "/api/admin/reps", summary="All rep accounts", auth="admin", response=RepList, tag="admin")
async def admin_reps(request: Request, account: Account):
    return RepList(reps=[account_out(a) for a in await relay_of(request).store.list_accounts()])


@api.route("POST", "/api/admin/reps", summary="Create a rep", auth="admin", body=RepIn,
           response=RepCreated, status=201, tag="admin")
async def admin_create_rep(request: Request, body: RepIn, account: Account):
    if not is_email(body.email):
        raise ApiError(422, "invalid", f"{body.email!r} is not an email address")
    created, generated = await admin.create_rep(relay_of(request), account.id, **body.model_dump())
    return RepCreated(account=account_out(created), password=generated)


@api.route("PATCH", "/api/admin/reps/{rep:int}", summary="Change a rep's settings", auth="admin",
           body=RepPatch, response=AccountOut, tag="admin")
async def admin_update_rep(request: Request, rep: int, body: RepPatch, account: Account):
    fields = body.model_dump(exclude_none=True)
    if rep == account.id and (fields.get("is_admin") is False or fields.get("active") is False):
        raise ApiError(409, "conflict", "you cannot remove your own admin access")
    return account_out(await admin.update_rep(relay_of(request), account.id, rep, **fields))


class QueueIn(Body):
    name: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")]
    title: Annotated[str, Field(min_length=1, max_length=80)]
    routing: Literal["manual", "automatic"] = "manual"
    offer_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    consent: Literal["view_on_accept", "ask_first"] = "view_on_accept"
    intake: IntakeIn | None = None


class QueuePatch(Body):
    title: Annotated[str | None, Field(default=None, min_length=1, max_length=80)] = None
    routing: Literal["manual", "automatic"] | None = None
    offer_timeout: Annotated[float | None, Field(default=None, gt=0, le=600)] = None
    consent: Literal["view_on_accept", "ask_first"] | None = None
    intake: IntakeIn | None = None


@api.route("POST", "/api/admin/queues", summary="Create a queue", auth="admin", body=QueueIn,
           response=QueueOut, status=201, tag="admin")
async def admin_create_queue(request: Request, body: QueueIn, account: Account):
    relay = relay_of(request)
    return queue_out(relay, await admin.create_queue(relay, account.id, **body.model_dump()))


@api.route("PATCH", "/api/admin/queues/{name}", summary="Change a queue", auth="admin", body=QueuePatch,
           response=QueueOut, tag="admin")
async def admin_update_queue(request: Request, name: str, body: QueuePatch, account: Account):
    relay = relay_of(request)
    return queue_out(relay, await admin.update_queue(relay, account.id, name, **body.model_dump(exclude_none=True)))


@api.route("DELETE", "/api/admin/queues/{name}", summary="Delete a queue", auth="admin", tag="admin")
async def admin_delete_queue(request: Request, name: str, account: Account):
    if not await admin.delete_queue(relay_of(request), account.id, name):
        raise ApiError(404, "not_found", f"no queue {name!r}")
    return {"deleted": name}


class Policies(Body):
    auto_record: bool | None = None
    grant_timeout: Annotated[int | None, Field(default=None, ge=5, le=600)] = None
    """Seconds before a request nobody answers expires (view, control, files)."""
    chat_with_customers: bool | None = None
    """False: customers cannot chat, reps chat among themselves only."""
    recording_retention_days: Annotated[int | None, Field(default=None, ge=0, le=3650)] = None
    """Recordings older than this are deleted; 0 keeps them forever."""
    assist_approval: bool | None = None
    """True: a rep who assists by session number waits for the primary's approval."""


@api.route("GET", "/api/admin/policies", summary="Session policies", auth="admin", response=Policies, tag="admin")
async def admin_policies(request: Request, account: Account):
    return Policies(**await admin.policies(relay_of(request)))


@api.route("PUT", "/api/admin/policies", summary="Change session policies", auth="admin", body=Policies,
           response=Policies, tag="admin")
async def admin_set_policies(request: Request, body: Policies, account: Account):
    return Policies(**await admin.set_policies(relay_of(request), account.id, body.model_dump(exclude_none=True)))


@api.route("GET", "/api/admin/audit", summary="The audit log (optionally of one session)", auth="admin",
           tag="admin")
async def admin_audit(request: Request, account: Account):
    relay = relay_of(request)
    await relay.drain()
    return {"entries": await relay.store.audit_log(request.query_params.get("session"), limit=500)}


routes = api.routes(__name__)
