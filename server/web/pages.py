"""HTML pages: Join, the help-link landing, the customer's session page,
rep sign-in, invite links and the demo shop; the helpers every page uses
(`render`, `message`, `csrf_checked`, `admin_only`). The admin pages are in
`server.web.admin_pages`.

Strings come from the catalogs (`server/locales`) in the browser's language.
Every form carries a CSRF field bound to the browser's CSRF cookie and to its
sign-in cookie (`Tokens.form`); `server.web.origins.CsrfGuard` also refuses form
posts from other origins."""

from __future__ import annotations

import math
import secrets
import time
from functools import wraps

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import SERVER_DIR
from .. import protocol as p
from ..auth import BadToken, TokenExpired
from ..core.errors import CoreError, Invalid
from ..core.intake import JOIN_FORM
from ..core.session import format_number
from ..i18n import LANGUAGES, pick_language, strings, translator
from ..relay import Relay
from . import download
from .intake_forms import customer_answers, posted_values
from .signin import COOKIE, SignInError, client_address, current_account, sign_in

CSRF_COOKIE = "tandem_csrf"
DEMO_QUEUE = "demo"

env = Environment(loader=FileSystemLoader(SERVER_DIR / "templates"),
                  autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
env.globals["intake_limits"] = p.INTAKE_LIMITS  # maxlength of the intake fields, as the relay checks them
env.filters["datetime"] = lambda t: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else pick_language(request.headers.get("accept-language"))


async def render(request: Request, template: str, status: int = 200, *, retry_after: float | None = None,
                 **context) -> HTMLResponse:
    """``template`` in the visitor's language; a refusal for too many tries
    (429) says when to try again in ``Retry-After`` too, for scripts."""
    lang = language(request)
    nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(16)
    relay: Relay = request.app.state.relay
    csrf = relay.tokens.form(nonce, request.cookies.get(COOKIE, ""))
    if "user" not in context:
        context["user"] = await current_account(request)
    html = env.get_template(template).render(
        _=translator(lang), lang=lang, site_name=relay.settings.site_name, languages=LANGUAGES,
        csrf=csrf, **context)
    response = HTMLResponse(html, status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if request.cookies.get(CSRF_COOKIE) != nonce:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict")
    return response


async def message(request: Request, title_key: str, message_key: str, status: int, *,
                  retry_after: float | None = None, **kw) -> HTMLResponse:
    _ = translator(language(request))
    return await render(request, "message.html", status, retry_after=retry_after, title=_(title_key),
                        message=_(message_key, **kw))


async def form(request: Request) -> dict:
    """The posted form, after the CSRF check; raises PermissionError."""
    data = await request.form()
    relay: Relay = request.app.state.relay
    if not relay.tokens.check_form(data.get("csrf"), request.cookies.get(CSRF_COOKIE, ""),
                                   request.cookies.get(COOKIE, "")):
        raise PermissionError("csrf")
    return data


def csrf_checked(handler):
    @wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            data = await form(request)
        except PermissionError:
            return await message(request, "error.title", "error.csrf", 403)
        return await handler(request, data)
    return wrapper


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303)


# --- public pages ---------------------------------------------------------------

async def home(request: Request) -> Response:
    return await render(request, "home.html")


async def join_page(request: Request) -> Response:
    return await render(request, "join.html", error=None, number=request.query_params.get("number", "")[:15],
                        intake=JOIN_FORM, values={})


@csrf_checked
async def join_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    number, name = str(data.get("number", ""))[:15], str(data.get("name", ""))[:p.INTAKE_NAME_MAX]
    description, _fields = customer_answers(data, JOIN_FORM)
    _ = translator(language(request))
    again = {"number": number, "intake": JOIN_FORM, "values": posted_values(data)}
    wait = await relay.join_wait(client_address(request))
    if wait:
        return await render(request, "join.html", 429, retry_after=wait, error=_("join.error.rate", seconds=wait),
                            **again)
    try:
        JOIN_FORM.answer(description)
    except Invalid:
        return await render(request, "join.html", 400, error=_("intake.error"), **again)
    try:
        s, token = await relay.join(number, name, description)
    except CoreError as exc:
        key = "join.error.invalid" if exc.code == "invalid" else "join.error.full" if "full" in str(exc) \
            else "join.error.unknown"
        return await render(request, "join.html", 400 if exc.code == "invalid" else 404, error=_(key), **again)
    return see_other(f"/s/{token}")


async def help_page(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    queue = await relay.store.get_queue(request.query_params.get("queue", ""))
    if queue is None:
        return await message(request, "error.title", "help.error.queue", 404)
    return await render(request, "help.html", queue=queue, error=None, values={})


@csrf_checked
async def help_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    wait = await relay.join_wait(client_address(request))
    if wait:
        return await message(request, "error.title", "join.error.rate", 429, retry_after=wait, seconds=wait)
    queue = await relay.store.get_queue(str(data.get("queue", ""))[:40])
    if queue is None:
        return await message(request, "error.title", "help.error.queue", 404)
    description, fields = customer_answers(data, queue.intake)
    try:
        s, token = await relay.enter_queue(queue.name, str(data.get("name", ""))[:p.INTAKE_NAME_MAX],
                                           description, fields)
    except Invalid:
        return await render(request, "help.html", 400, queue=queue, values=posted_values(data),
                            error=translator(language(request))("intake.error"))
    except CoreError:
        return await message(request, "error.title", "help.error.queue", 404)
    return see_other(f"/s/{token}")


async def customer_page(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    token = request.path_params["token"]
    try:
        actor = await relay.find_customer(token)
    except BadToken:
        return await message(request, "error.title", "customer.error.gone", 410)
    s = relay.desk.sessions[actor.session_id]
    lang = language(request)
    queue = relay.desk.queues.get(s.queue or "")
    return await render(request, "customer.html", token=token, ws_path="/ws",
                        number=format_number(s.number) if s.live else None,
                        queue_title=queue.title if queue else None, strings=strings(lang, "customer."),
                        extension_install=relay.settings.extension_install_url or None,
                        agent_offer=download.offer(relay.settings.agent_dist_dir, request.headers), user=None)


async def invite_page(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    token = request.path_params["token"]
    try:
        session_id, number, invitee = relay.tokens.read_invite(token, relay.settings.invite_ttl)
    except TokenExpired:
        return await message(request, "error.title", "invite.error.expired", 410)
    except BadToken:
        return await message(request, "error.title", "invite.error.invalid", 404)
    if session_id not in relay.desk.sessions:
        return await message(request, "error.title", "customer.error.gone", 410)
    return await render(request, "invite.html", invitee=invitee, number=format_number(number),
                        token=token, error=None, intake=JOIN_FORM, values={})


@csrf_checked
async def invite_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    try:
        _sid, number, invitee = relay.tokens.read_invite(request.path_params["token"], relay.settings.invite_ttl)
    except BadToken:
        return await message(request, "error.title", "invite.error.invalid", 404)
    if invitee != "customer":
        return see_other(f"/invite/{request.path_params['token']}")
    wait = await relay.join_wait(client_address(request))  # an invite link counts like a typed number
    if wait:
        return await message(request, "error.title", "join.error.rate", 429, retry_after=wait, seconds=wait)
    description, _fields = customer_answers(data, JOIN_FORM)
    try:
        JOIN_FORM.answer(description)
    except Invalid:
        return await render(request, "invite.html", 400, invitee=invitee, number=format_number(number),
                            token=request.path_params["token"], intake=JOIN_FORM, values=posted_values(data),
                            error=translator(language(request))("intake.error"))
    try:
        s, token = await relay.join(number, str(data.get("name", ""))[:p.INTAKE_NAME_MAX], description)
    except CoreError as exc:
        full = exc.code == "not_allowed" and "full" in str(exc)
        return await message(request, "error.title", "join.error.full" if full else "customer.error.gone",
                             409 if full else 410)
    return see_other(f"/s/{token}")


async def demo(request: Request) -> Response:
    """The demo shop; its help link goes to ``?queue=`` or the demo queue."""
    relay: Relay = request.app.state.relay
    queues = {q.name: q for q in await relay.store.list_queues()}
    asked = request.query_params.get("queue")
    queue = asked if asked in queues else DEMO_QUEUE if DEMO_QUEUE in queues or not queues else next(iter(queues))
    # what the shop says of the team looking at the page follows the queue's policy
    consent = queues[queue].consent if queue in queues else "view_on_accept"
    return await render(request, "demo.html", demo_queue=queue, consent=consent)


async def download_page(request: Request, status: int = 200, token: str | None = None,
                        number: str | None = None) -> Response:
    """The "Download Support Manager" page: the visitor's build first, the
    others, and the command line for IT and reps. With a session (``token``),
    its links are the session's stamped downloads."""
    relay: Relay = request.app.state.relay
    offer = download.offer(relay.settings.agent_dist_dir, request.headers, request.query_params.get("platform"))
    return await render(request, "download.html", status, relay_url=relay.settings.public_url, offer=offer,
                        token=token, number=number)


async def download_build(request: Request) -> Response:
    """``/download/<build file>``: the build, stamped with this relay's address
    (the Support Manager then asks only for the session number and code)."""
    relay: Relay = request.app.state.relay
    build = next((b for b in download.builds(relay.settings.agent_dist_dir)
                  if b.path.name == request.path_params["name"]), None)
    if build is None:
        return await message(request, "error.title", "download.error.no_file", 404)
    ticket = download.signer(relay).dumps({"relay": relay.settings.public_url, "lang": language(request)})
    return download.stamped_response(build, ticket, build.path.name)


async def session_download(request: Request) -> Response:
    """``/s/<token>/support-manager[?platform=KEY]``: the customer's Support
    Manager with their session in it (a fresh one-time pairing code, which
    replaces the customer's earlier codes), or the download page saying why not."""
    relay: Relay = request.app.state.relay
    token = request.path_params["token"]
    try:
        actor = await relay.find_customer(token)
    except BadToken:
        return await message(request, "error.title", "download.error.gone", 410)
    s = relay.desk.sessions[actor.session_id]
    if not s.live:
        return await message(request, "error.title", "download.error.not_live", 409)
    offer = download.offer(relay.settings.agent_dist_dir, request.headers, request.query_params.get("platform"))
    if offer.mine is None:
        return await download_page(request, 404, token=token, number=format_number(s.number))
    code = await relay.pairing_code(actor, s.id)
    ticket = download.signer(relay).dumps({
        "relay": relay.settings.public_url, "lang": language(request), "session": s.id, "number": s.number,
        "code": code, "expires": relay.clock() + relay.PAIRING_TTL})
    await relay.store.audit("agent.downloaded", actor=actor.pid, session_id=s.id, data={"build": offer.mine.key})
    return download.stamped_response(offer.mine, ticket, offer.mine.session_name(s.number, code))


async def api_docs(request: Request) -> Response:
    from .api import api
    return await render(request, "api_docs.html", endpoints=api.endpoints)


# --- sign-in --------------------------------------------------------------------

def safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


async def signin_page(request: Request) -> Response:
    return await render(request, "signin.html", error=None, email="",
                        next=safe_next(request.query_params.get("next", "/")))


@csrf_checked
async def signin_post(request: Request, data) -> Response:
    relay: Relay = request.app.state.relay
    email, nxt = str(data.get("email", ""))[:254], safe_next(str(data.get("next", "/")))
    try:
        account, token = await sign_in(relay, email, str(data.get("password", "")), client_address(request))
    except SignInError as exc:
        _ = translator(language(request))
        error = _("signin.error.rate") if exc.retry_after is not None else _("signin.error.wrong")
        return await render(request, "signin.html", 429 if exc.retry_after else 401, retry_after=exc.retry_after,
                            error=error, email=email, next=nxt)
    response = see_other(nxt if nxt != "/" else "/console/")
    response.set_cookie(COOKIE, token, max_age=int(relay.settings.rep_token_ttl), httponly=True,
                        samesite="lax", secure=relay.settings.public_url.startswith("https"))
    return response


@csrf_checked
async def signout(request: Request, data) -> Response:
    response = see_other("/")
    response.delete_cookie(COOKIE)
    # The web console (/console/) keeps the rep's token in the page's storage:
    # signing out on the relay signs it out too.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


# --- for the admin pages --------------------------------------------------------

def admin_only(handler):
    @wraps(handler)
    async def wrapper(request: Request, *args) -> Response:
        user = await current_account(request)
        if user is None:
            return see_other(f"/signin?next={request.url.path}")
        if not user.is_admin:
            return await message(request, "error.title", "error.admin_only", 403)
        request.state.user = user
        return await handler(request, *args)
    return wrapper


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page says (packaging/icons.py draws it)."""
    return FileResponse(SERVER_DIR / "static" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


routes = [
    Route("/", home),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_post, methods=["POST"]),
    Route("/help", help_page, methods=["GET"]),
    Route("/help", help_post, methods=["POST"]),
    Route("/s/{token}", customer_page),
    Route("/invite/{token}", invite_page, methods=["GET"]),
    Route("/invite/{token}", invite_post, methods=["POST"]),
    Route("/demo", demo),
    Route("/download", download_page, methods=["GET"]),
    Route("/download/ticket", download.check_ticket, methods=["POST"]),
    Route("/download/{name}", download_build, methods=["GET"]),
    Route("/s/{token}/support-manager", session_download, methods=["GET"]),
    Route("/api/docs", api_docs),
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin_post, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
]
