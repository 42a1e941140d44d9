"""The local outbox: mail the relay would send when no SMTP server is
configured (``TANDEM_SMTP_HOST`` unset, the default of ``make run``).

Each message is one file in a Maildir (``var/outbox``), the format mail tools
read; admins read them at /admin/outbox. Nothing is sent from it later: the
outbox shows what would have gone out, so a relay without a mail server still
works and says where its mail went.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

SHOWN = 200
"""The newest this many messages are listed."""


@dataclass(frozen=True, slots=True)
class KeptMail:
    key: str
    at: float
    to: str
    subject: str
    body: str


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    def keep(self, msg: EmailMessage) -> str:
        """Keep one message; returns its key in the Maildir."""
        return mailbox.Maildir(self.path, create=True).add(msg)

    def messages(self, limit: int = SHOWN) -> list[KeptMail]:
        """The newest `limit` messages, newest first."""
        if not self.path.is_dir():
            return []
        box = mailbox.Maildir(self.path, factory=None, create=False)
        out = []
        for key in box.keys():
            with box.get_file(key) as f:
                msg = BytesParser(policy=policy.default).parse(f)
            try:
                at = parsedate_to_datetime(msg["Date"]).timestamp()
            except (TypeError, ValueError):
                at = 0.0
            body = msg.get_body(preferencelist=("plain",))
            out.append(KeptMail(key, at, str(msg["To"] or ""), str(msg["Subject"] or ""),
                                body.get_content() if body is not None else ""))
        out.sort(key=lambda m: (m.at, m.key), reverse=True)
        return out[:limit]
