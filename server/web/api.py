"""The REST API (`/api/...`): sign-in, joining, invitations, the roster.

Live session work happens over `/ws`; this API covers what is naturally a
request: getting a token, joining, sending an invitation, managing reps and
queues (`server.web.admin_api`). Every endpoint is declared on `api`, so the
OpenAPI document served at `/api/openapi.json` has them all; each module
serves its own (`Api.routes`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import protocol as p
from ..auth import BadToken
from ..core.desk import Actor, RepActor
from ..core.roster import roster
from ..core.session import format_number
from ..i18n import pick_language, translator
from ..mail import MailError, is_email, mailto_link, send_mail
from ..relay import Relay
from ..store import Account
from .openapi import Api, ApiError
from .signin import SignInError, client_address, current_account, sign_in

api = Api("Tandem relay", "0.1.0")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountOut(Body):
    id: int
    email: str
    name: str
    is_admin: bool
    is_supervisor: bool
    """Watches the supervisor dashboard and joins sessions from it; administers nothing."""
    queue_rep: bool
    max_customers: int
    multi_session: bool
    queues: list[str]
    active: bool


def account_out(a: Account) -> AccountOut:
    return AccountOut(id=a.id, email=a.email, name=a.name, is_admin=a.is_admin, is_supervisor=a.is_supervisor,
                      queue_rep=a.queue_rep,
                      max_customers=a.max_customers, multi_session=a.multi_session,
                      queues=list(a.queues), active=a.active)


def relay_of(request: Request) -> Relay:
    return request.app.state.relay


async def caller(request: Request) -> Actor:
    """Who calls: a signed-in rep (cookie or bearer token), or a customer or
    Support Manager holding a session's capability token (bearer). Whether
    they are in a given session is the desk's to say (`Desk.participant`)."""
    account = await current_account(request)
    if account is not None:
        return RepActor(account.id)
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    try:
        return await relay_of(request).find_customer(token)
    except BadToken:
        raise ApiError(401, "unauthorized", "a rep sign-in token or a customer's session token is needed") from None


# --- sign-in ------------------------------------------------------------------

class SignIn(Body):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SignedIn(Body):
    token: str
    account: AccountOut


@api.route("POST", "/api/signin", summary="Sign in as a rep; returns a token for /ws and the API",
           body=SignIn, response=SignedIn, tag="reps")
async def signin(request: Request, body: SignIn):
    try:
        account, token = await sign_in(relay_of(request), body.email, body.password, client_address(request))
    except SignInError as exc:
        if exc.retry_after is not None:
            raise ApiError(429, "rate_limited", str(exc), {"Retry-After": str(int(exc.retry_after) + 1)}) from None
        raise ApiError(401, "unauthorized", str(exc)) from None
    return SignedIn(token=token, account=account_out(account))


@api.route("GET", "/api/me", summary="The signed-in rep", auth="rep", response=AccountOut, tag="reps")
async def me(request: Request, account: Account):
    return account_out(account)


# --- customers ----------------------------------------------------------------

class Join(Body):
    number: Annotated[str, Field(min_length=9, max_length=15)]
    name: Annotated[str, Field(default="", max_length=p.INTAKE_NAME_MAX)]
    description: Annotated[str, Field(default="", max_length=p.INTAKE_DESCRIPTION_MAX)]
    """A short description of the problem (optional), shown to the session's reps."""


class HelpRequest(Body):
    queue: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(default="", max_length=p.INTAKE_NAME_MAX)]
    description: Annotated[str, Field(default="", max_length=p.INTAKE_DESCRIPTION_MAX)]
    """A short description of the problem, as the queue's intake asks (see `QueueOut.intake`)."""
    fields: Annotated[dict[str, Annotated[str, Field(max_length=p.INTAKE_VALUE_MAX)]],
                      Field(default_factory=dict, max_length=p.INTAKE_FIELDS_MAX)]
    """The queue's extra intake fields, by label."""


class Joined(Body):
    session: str
    token: str
    """Capability token for /ws (role customer, this session only)."""
    page: str
    """The customer's session page."""


async def check_join_rate(request: Request) -> None:
    wait = await relay_of(request).join_wait(client_address(request))
    if wait:
        raise ApiError(429, "rate_limited", f"too many attempts; try again in {wait} s",
                       {"Retry-After": str(wait)})


@api.route("POST", "/api/join", summary="Customer: join a live session by its number",
           body=Join, response=Joined, tag="customers")
async def join(request: Request, body: Join):
    await check_join_rate(request)
    s, token = await relay_of(request).join(body.number, body.name, body.description)
    return Joined(session=s.id, token=token, page=f"/s/{token}")


@api.route("POST", "/api/help", summary="Customer: wait in a queue for the next rep (the help link)",
           body=HelpRequest, response=Joined, tag="customers")
async def help_request(request: Request, body: HelpRequest):
    await check_join_rate(request)
    s, token = await relay_of(request).enter_queue(body.queue, body.name, body.description, body.fields)
    return Joined(session=s.id, token=token, page=f"/s/{token}")


class PairingOut(Body):
    code: str
    """One-time, for `tandem-agent pair NUMBER CODE`; expires in ``expires_in`` s."""
    number: str
    expires_in: float
    command: str


@api.route("POST", "/api/sessions/{session}/pairing",
           summary="A one-time code to pair the caller's Support Manager (rep token or customer capability)",
           response=PairingOut, tag="agent")
async def pairing(request: Request, session: str):
    relay = relay_of(request)
    code = await relay.pairing_code(await caller(request), session)
    s = relay.desk.sessions[session]
    return PairingOut(code=code, number=format_number(s.number), expires_in=relay.PAIRING_TTL,
                      command=f"tandem-agent pair --relay {relay.settings.public_url} {s.number} {code}")


class AgentPair(Body):
    number: Annotated[str, Field(min_length=9, max_length=15)]
    code: Annotated[str, Field(pattern=r"^\s*[0-9]{6}\s*$")]
    name: Annotated[str, Field(default="", max_length=80)]


class AgentPaired(Body):
    session: str
    pid: str
    owner: str
    token: str
    """Capability token for /ws (role agent, this session only)."""


@api.route("POST", "/api/agent/pair", summary="Support Manager: pair with a session by number and one-time code",
           body=AgentPair, response=AgentPaired, tag="agent")
async def agent_pair(request: Request, body: AgentPair):
    await check_join_rate(request)
    s, pid, token = await relay_of(request).pair_agent(body.number, body.code, body.name)
    return AgentPaired(session=s.id, pid=pid, owner=s.participants[pid].owner, token=token)


class IntakeFieldIn(Body):
    label: Annotated[str, Field(min_length=1, max_length=p.INTAKE_LABEL_MAX)]
    required: Annotated[bool, Field(strict=True)] = False


class IntakeIn(Body):
    """What a queue asks a customer before they wait: a short description of
    the problem (``off``, ``optional`` or ``required``) and extra fields."""

    description: Literal["off", "optional", "required"] = "optional"
    fields: Annotated[list[IntakeFieldIn], Field(default_factory=list, max_length=p.INTAKE_FIELDS_MAX)]


class QueueOut(Body):
    name: str
    title: str
    routing: str
    offer_timeout: float
    consent: str
    """view_on_accept: a rep who takes a customer sees their page at once;
    ask_first: the customer is asked first."""
    help_link: str
    intake: IntakeIn


def queue_out(relay: Relay, q) -> QueueOut:
    return QueueOut(name=q.name, title=q.title, routing=q.routing, offer_timeout=q.offer_timeout, consent=q.consent,
                    help_link=f"{relay.settings.public_url}/help?queue={q.name}",
                    intake=IntakeIn.model_validate(q.intake.to_json()))


class QueueList(Body):
    queues: list[QueueOut]


@api.route("GET", "/api/queues", summary="Queues customers can ask for help in", response=QueueList,
           tag="customers")
async def list_queues(request: Request):
    relay = relay_of(request)
    return QueueList(queues=[queue_out(relay, q) for q in await relay.store.list_queues()])


# --- invitations ----------------------------------------------------------------

class InviteRequest(Body):
    invitee: Literal["customer", "rep"] = "customer"
    email: Annotated[str | None, Field(default=None, max_length=254)] = None
    rep: Annotated[int | None, Field(default=None, ge=1)] = None
    """A colleague picked from `/api/roster` (invitee ``rep``): the relay
    mails the invitation to their account's address (not shown to the caller)."""
    send: bool = False
    """True: the relay sends the email over SMTP. False: only build the texts
    (for "send with my own email program", the IM link and the phone text)."""


class Invitation(Body):
    number: str
    link: str
    join_page: str
    phone: str
    subject: str
    body: str
    mailto: str
    sent: bool
    outbox: bool = False
    """True: no SMTP server is configured, so the relay kept the mail in its
    outbox (admins read it at /admin/outbox) instead of sending it."""


@api.route("POST", "/api/sessions/{session}/invitations", summary="Invite a customer or a rep",
           auth="rep", body=InviteRequest, response=Invitation, tag="sessions")
async def invite(request: Request, session: str, body: InviteRequest, account: Account):
    relay = relay_of(request)
    s, _ = relay.desk.participant(RepActor(account.id), session)
    if not s.live:
        raise ApiError(409, "conflict", "the session waits in a queue for its next rep")
    _ = translator(pick_language(request.headers.get("accept-language")))
    site, number = relay.settings.site_name, format_number(s.number)
    join_page = f"{relay.settings.public_url}/join"
    if body.invitee == "customer":
        link = relay.join_link(s)
        subject = _("invite.email.subject", site=site)
        text = _("invite.email.body", rep=account.name, site=site, link=link, number=number, join_url=join_page)
    else:
        link = f"{relay.settings.public_url}/invite/{relay.tokens.invite(s.id, s.number, 'rep')}"
        subject = _("invite.rep.subject", rep=account.name, number=number, site=site)
        text = _("invite.rep.body", rep=account.name, number=number, link=link, site=site)
    if body.email is not None and not is_email(body.email):
        raise ApiError(422, "invalid", f"{body.email!r} is not an email address")
    to = body.email
    if body.rep is not None:
        colleague = await relay.store.get_account(body.rep)
        if body.invitee != "rep" or colleague is None or not colleague.active or colleague.id == account.id:
            raise ApiError(422, "invalid", "pick a colleague from the list of reps")
        to = colleague.email
    sent = kept = False
    if body.send:
        if not to:
            raise ApiError(422, "invalid", "an email address is needed to send the invitation")
        try:
            kept = await send_mail(relay.settings, to, subject, text) == "outbox"
        except MailError as exc:
            raise ApiError(502, "mail_failed", str(exc)) from None
        sent = True
    await relay.store.audit("invitation", actor=f"rep:{account.id}", session_id=s.id,
                            data={"invitee": body.invitee, "email": to, "rep": body.rep, "sent": sent,
                                  "outbox": kept})
    return Invitation(number=number, link=link, join_page=join_page,
                      phone=_("invite.phone", number=number, join_url=join_page),
                      subject=subject, body=text, mailto=mailto_link(body.email or "", subject, text),
                      sent=sent, outbox=kept)


# --- the roster and a session's chat so far ---------------------------------------

class RosterRepOut(p.DashboardRep):
    """A rep as the dashboard shows them, with their queues and whether it is the caller."""

    queues: list[str]
    you: bool


class RosterQueueOut(Body):
    name: str
    title: str
    waiting: int


class Roster(Body):
    reps: list[RosterRepOut]
    queues: list[RosterQueueOut]


@api.route("GET", "/api/roster", summary="Reps with presence and load, and queues with their waiting customers "
           "(for inviting and transferring)", auth="rep", response=Roster, tag="reps")
async def get_roster(request: Request, account: Account):
    relay = relay_of(request)
    active = {a.id for a in await relay.store.list_accounts() if a.active}
    desk = relay.desk
    reps, queues = roster([seat for aid, seat in desk.reps.items() if aid in active],
                          desk.queues.values(), desk.sessions.values())
    return Roster(reps=[RosterRepOut(id=r.id, name=r.name, presence=r.presence, customers=r.customers,
                                     max_customers=r.max_customers, sessions=r.sessions, queue_rep=r.queue_rep,
                                     queues=list(r.queues), you=r.id == account.id) for r in reps],
                  queues=[RosterQueueOut(name=q.name, title=q.title, waiting=q.waiting) for q in queues])


class ChatLine(Body):
    id: int
    pid: str | None
    name: str | None
    text: str
    reps_only: bool
    at: float


class ChatSoFar(Body):
    lines: list[ChatLine]


@api.route("GET", "/api/sessions/{session}/chat", summary="The chat of a live session so far (for a rep who "
           "joins it)", auth="rep", response=ChatSoFar, tag="sessions")
async def chat_so_far(request: Request, session: str, account: Account):
    relay = relay_of(request)
    relay.desk.participant(RepActor(account.id), session)  # only the session's reps
    await relay.drain()
    report = await relay.store.session_report(session)
    lines = report["chat"] if report else []
    return ChatSoFar(lines=[ChatLine(id=c["message_id"], pid=c["pid"], name=c["name"], text=c["text"],
                                     reps_only=bool(c["reps_only"]), at=c["at"]) for c in lines])


@api.route("GET", "/api/sessions/{session}", summary="A session's record: participants, chat, notes, audit",
           auth="rep", tag="sessions")
async def session_record(request: Request, session: str, account: Account):
    relay = relay_of(request)
    await relay.drain()
    report = await relay.store.session_report(session)
    if report is None:
        raise ApiError(404, "not_found", "no such session")
    if not account.is_admin and account.id not in {x["account_id"] for x in report["participants"]}:
        raise ApiError(403, "not_allowed", "only the session's reps and admins can read it")
    return JSONResponse(report)


async def openapi(request: Request):
    return JSONResponse(api.document())




routes = [Route("/api/openapi.json", openapi), *api.routes(__name__)]
