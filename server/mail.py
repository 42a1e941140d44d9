"""Invitation email: sent by the relay over SMTP, or prefilled for the rep's own
email program as a ``mailto:`` link."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import quote

from .config import Settings

_EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$")


class MailError(Exception):
    """The invitation could not be sent; the message says why, for the rep."""


def is_email(address: str) -> bool:
    return len(address) <= 254 and bool(_EMAIL.match(address))


def mailto_link(to: str, subject: str, body: str) -> str:
    """A link that opens the rep's own email program with the invitation filled in."""
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject)}&body={quote(body)}"


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one plain-text email through the configured SMTP server."""
    import aiosmtplib

    if not is_email(to):
        raise MailError(f"{to!r} is not an email address")
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    try:
        await aiosmtplib.send(msg, hostname=settings.smtp_host, port=settings.smtp_port,
                              username=settings.smtp_user, password=settings.smtp_password,
                              start_tls=settings.smtp_starttls or None, timeout=15)
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MailError(f"the mail server at {settings.smtp_host}:{settings.smtp_port} "
                        f"did not take the message: {exc}") from exc
