"""Invitation email: sent by the relay over SMTP (kept in the local outbox when
no SMTP server is configured), or prefilled for the rep's own email program as
a ``mailto:`` link."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal
from urllib.parse import quote

from .config import Settings
from .outbox import Outbox

_EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\".]+(\.[^@\s<>,;:\".]+)*$")
"""One address, no display name; a host without dots (``admin@localhost``,
the default admin's) is an address too."""


class MailError(Exception):
    """The invitation could not be sent; the message says why, for the rep."""


def is_email(address: str) -> bool:
    return len(address) <= 254 and bool(_EMAIL.match(address))


def mailto_link(to: str, subject: str, body: str) -> str:
    """A link that opens the rep's own email program with the invitation filled in."""
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject)}&body={quote(body)}"


def outbox(settings: Settings) -> Outbox:
    return Outbox(settings.var_dir / "outbox")


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> Literal["sent", "outbox"]:
    """Send one plain-text email through the configured SMTP server; with
    none configured, keep it in the outbox. Returns where it went."""
    if not is_email(to):
        raise MailError(f"{to!r} is not an email address")
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="tandem.invalid")
    msg.set_content(body)
    if settings.smtp_host is None:
        try:
            await asyncio.to_thread(outbox(settings).keep, msg)
        except OSError as exc:
            raise MailError(f"no mail server is configured, and the outbox could not keep the message: {exc}") from exc
        return "outbox"
    import aiosmtplib

    try:
        await aiosmtplib.send(msg, hostname=settings.smtp_host, port=settings.smtp_port,
                              username=settings.smtp_user, password=settings.smtp_password,
                              start_tls=settings.smtp_starttls or None, timeout=15)
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailError(f"the mail server at {settings.smtp_host}:{settings.smtp_port} "
                        f"did not take the message: {exc}") from exc
    return "sent"
