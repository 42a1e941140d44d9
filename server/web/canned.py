"""Canned replies: texts an admin writes once and reps insert into the chat.

    GET    /api/canned               any signed-in rep: the list, by title
    POST   /api/admin/canned         admin: add one
    PATCH  /api/admin/canned/{id}    admin: change one
    DELETE /api/admin/canned/{id}    admin: remove one
    /admin/canned                    the admin page (forms, CSRF-checked)

Every change is audited.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..i18n import translator
from ..relay import Relay
from ..store import Account, CannedReply, NotFound
from .api import Body, api, relay_of
from .openapi import ApiError
from .pages import admin_only, csrf_checked, language, render, see_other

TITLE_MAX, TEXT_MAX = 80, 4000


class CannedIn(Body):
    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX)]
    text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class CannedOut(Body):
    id: int
    title: str
    text: str


class CannedList(Body):
    replies: list[CannedOut]


def canned_out(c: CannedReply) -> CannedOut:
    return CannedOut(id=c.id, title=c.title, text=c.text)


async def create(relay: Relay, by: int, title: str, text: str) -> CannedReply:
    reply = await relay.store.create_canned(title[:TITLE_MAX], text[:TEXT_MAX])
    await relay.store.audit("canned.created", actor=f"rep:{by}", data={"id": reply.id, "title": reply.title})
    return reply


async def change(relay: Relay, by: int, id: int, title: str, text: str) -> CannedReply:
    reply = await relay.store.update_canned(id, title[:TITLE_MAX], text[:TEXT_MAX])
    await relay.store.audit("canned.updated", actor=f"rep:{by}", data={"id": id, "title": reply.title})
    return reply


async def remove(relay: Relay, by: int, id: int) -> bool:
    deleted = await relay.store.delete_canned(id)
    if deleted:
        await relay.store.audit("canned.deleted", actor=f"rep:{by}", data={"id": id})
    return deleted


# --- API ------------------------------------------------------------------------

@api.route("GET", "/api/canned", summary="Canned replies for the chat", auth="rep", response=CannedList, tag="reps")
async def list_canned(request: Request, account: Account):
    return CannedList(replies=[canned_out(c) for c in await relay_of(request).store.list_canned()])


@api.route("POST", "/api/admin/canned", summary="Add a canned reply", auth="admin", body=CannedIn,
           response=CannedOut, status=201, tag="admin")
async def admin_create_canned(request: Request, body: CannedIn, account: Account):
    return canned_out(await create(relay_of(request), account.id, body.title, body.text))


@api.route("PATCH", "/api/admin/canned/{reply:int}", summary="Change a canned reply", auth="admin", body=CannedIn,
           response=CannedOut, tag="admin")
async def admin_update_canned(request: Request, reply: int, body: CannedIn, account: Account):
    return canned_out(await change(relay_of(request), account.id, reply, body.title, body.text))


@api.route("DELETE", "/api/admin/canned/{reply:int}", summary="Remove a canned reply", auth="admin", tag="admin")
async def admin_delete_canned(request: Request, reply: int, account: Account):
    if not await remove(relay_of(request), account.id, reply):
        raise ApiError(404, "not_found", f"no canned reply {reply}")
    return {"deleted": reply}


# --- admin page -----------------------------------------------------------------

async def _page(request: Request, status: int = 200, error: str | None = None) -> Response:
    relay: Relay = request.app.state.relay
    return await render(request, "admin_canned.html", status, replies=await relay.store.list_canned(),
                        error=error, title_max=TITLE_MAX, text_max=TEXT_MAX, user=request.state.user)


@admin_only
async def canned_page(request: Request) -> Response:
    return await _page(request)


def _fields(data) -> tuple[str, str]:
    return str(data.get("title", "")).strip(), str(data.get("text", "")).strip()


@csrf_checked
@admin_only
async def canned_create(request: Request, data) -> Response:
    try:
        await create(request.app.state.relay, request.state.user.id, *_fields(data))
    except ValueError:
        return await _page(request, 400, error=translator(language(request))("admin.canned.error.empty"))
    return see_other("/admin/canned")


@csrf_checked
@admin_only
async def canned_update(request: Request, data) -> Response:
    try:
        await change(request.app.state.relay, request.state.user.id, request.path_params["reply"], *_fields(data))
    except ValueError:
        return await _page(request, 400, error=translator(language(request))("admin.canned.error.empty"))
    except NotFound:
        return await _page(request, 404, error=translator(language(request))("admin.canned.error.gone"))
    return see_other("/admin/canned")


@csrf_checked
@admin_only
async def canned_delete(request: Request, data) -> Response:
    await remove(request.app.state.relay, request.state.user.id, request.path_params["reply"])
    return see_other("/admin/canned")


routes = [
    *api.routes(__name__),
    Route("/admin/canned", canned_page, methods=["GET"]),
    Route("/admin/canned", canned_create, methods=["POST"]),
    Route("/admin/canned/{reply:int}", canned_update, methods=["POST"]),
    Route("/admin/canned/{reply:int}/delete", canned_delete, methods=["POST"]),
]
