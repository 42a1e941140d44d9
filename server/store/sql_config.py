"""What admins configure, in the SQL store: rep accounts, queues, policies
and canned replies. A mixin on `SqlBase`'s connections (`_read`, `_write`)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from server.core.intake import IntakeForm
from server.store import models as m
from server.store.base import (
    Account,
    CannedReply,
    Conflict,
    NotFound,
    Queue,
    check_account_fields,
    check_queue_fields,
    check_queue_name,
)
from server.store.sql_base import fits


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        is_admin=bool(row.is_admin),
        is_supervisor=bool(row.is_supervisor),
        queue_rep=bool(row.queue_rep),
        max_customers=row.max_customers,
        multi_session=bool(row.multi_session),
        queues=tuple(row.queues or ()),
        active=bool(row.active),
        created_at=row.created_at,
        token_version=row.token_version,
    )


def _queue(row: Any) -> Queue:
    return Queue(
        name=row.name, title=row.title, routing=row.routing, offer_timeout=row.offer_timeout, created_at=row.created_at,
        consent=row.consent, intake=IntakeForm.from_json(row.intake),
    )


def _canned(row: Any) -> CannedReply:
    return CannedReply(id=row.id, title=row.title, text=row.text, created_at=row.created_at,
                       updated_at=row.updated_at)


def _canned_fields(title: str, text: str) -> dict[str, str]:
    title, text = str(title).strip(), str(text).strip()
    if not title or not text:
        raise ValueError("a canned reply needs a title and a text")
    return {"title": title, "text": text}


class SqlConfig:
    # accounts -------------------------------------------------------------

    async def create_account(
        self,
        email: str,
        name: str,
        password_hash: str,
        *,
        is_admin: bool = False,
        is_supervisor: bool = False,
        queue_rep: bool = False,
        max_customers: int = 1,
        multi_session: bool = False,
        queues: Sequence[str] = (),
    ) -> Account:
        email = email.strip()
        if not email:
            raise ValueError("email is required")
        values = check_account_fields(
            dict(
                name=name,
                password_hash=password_hash,
                is_admin=is_admin,
                is_supervisor=is_supervisor,
                queue_rep=queue_rep,
                max_customers=max_customers,
                multi_session=multi_session,
                queues=queues,
                active=True,
            )
        )
        values.update(email=email, email_key=email.lower(), created_at=time.time())

        async def run(conn: AsyncConnection) -> Account:
            result = await conn.execute(insert(m.accounts).values(**values))
            query = select(m.accounts).where(m.accounts.c.id == result.inserted_primary_key[0])
            return _account((await conn.execute(query)).one())

        try:
            return await self._write(run)
        except IntegrityError:
            raise Conflict(f"an account with email {email!r} exists already") from None

    async def get_account(self, id: int) -> Account | None:
        if not fits(id):
            return None
        async with self._read() as conn:
            row = (await conn.execute(select(m.accounts).where(m.accounts.c.id == id))).first()
        return _account(row) if row else None

    async def get_account_by_email(self, email: str) -> Account | None:
        async with self._read() as conn:
            query = select(m.accounts).where(m.accounts.c.email_key == email.strip().lower())
            row = (await conn.execute(query)).first()
        return _account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        async with self._read() as conn:
            result = await conn.execute(select(m.accounts).order_by(m.accounts.c.id))
        return [_account(row) for row in result]

    async def update_account(self, id: int, **fields: Any) -> Account:
        values = check_account_fields(fields)
        if not fits(id):
            raise NotFound(f"no account {id}")

        async def run(conn: AsyncConnection) -> Account:
            if values:
                await conn.execute(update(m.accounts).where(m.accounts.c.id == id).values(**values))
            row = (await conn.execute(select(m.accounts).where(m.accounts.c.id == id))).first()
            if row is None:
                raise NotFound(f"no account {id}")
            return _account(row)

        return await self._write(run)

    async def revoke_tokens(self, id: int) -> Account:
        if not fits(id):
            raise NotFound(f"no account {id}")
        a = m.accounts

        async def run(conn: AsyncConnection) -> Account:
            await conn.execute(update(a).where(a.c.id == id).values(token_version=a.c.token_version + 1))
            row = (await conn.execute(select(a).where(a.c.id == id))).first()
            if row is None:
                raise NotFound(f"no account {id}")
            return _account(row)

        return await self._write(run)

    async def count_accounts(self) -> int:
        async with self._read() as conn:
            return (await conn.execute(select(func.count()).select_from(m.accounts))).scalar_one()

    # queues ---------------------------------------------------------------

    async def create_queue(
        self, name: str, title: str, routing: str = "manual", offer_timeout: float = 30.0,
        consent: str = "view_on_accept", intake: IntakeForm | dict | None = None,
    ) -> Queue:
        check_queue_name(name)
        form = check_queue_fields(dict(title=title, routing=routing, offer_timeout=offer_timeout, consent=consent,
                                       intake=intake))["intake"]
        queue = Queue(name, title, routing, float(offer_timeout), time.time(), consent, form)

        async def run(conn: AsyncConnection) -> None:
            await conn.execute(
                insert(m.queues).values(
                    name=name, title=title, routing=routing, offer_timeout=queue.offer_timeout,
                    created_at=queue.created_at, consent=consent, intake=form.to_json(),
                )
            )

        try:
            await self._write(run)
        except IntegrityError:
            raise Conflict(f"a queue named {name!r} exists already") from None
        return queue

    async def get_queue(self, name: str) -> Queue | None:
        async with self._read() as conn:
            row = (await conn.execute(select(m.queues).where(m.queues.c.name == name))).first()
        return _queue(row) if row else None

    async def list_queues(self) -> list[Queue]:
        async with self._read() as conn:
            result = await conn.execute(select(m.queues).order_by(m.queues.c.name))
        return [_queue(row) for row in result]

    async def update_queue(self, name: str, **fields: Any) -> Queue:
        values = check_queue_fields(fields)
        if "intake" in values:
            values["intake"] = values["intake"].to_json()

        async def run(conn: AsyncConnection) -> Queue:
            if values:
                await conn.execute(update(m.queues).where(m.queues.c.name == name).values(**values))
            row = (await conn.execute(select(m.queues).where(m.queues.c.name == name))).first()
            if row is None:
                raise NotFound(f"no queue {name!r}")
            return _queue(row)

        return await self._write(run)

    async def delete_queue(self, name: str) -> bool:
        async def run(conn: AsyncConnection) -> bool:
            deleted = (await conn.execute(delete(m.queues).where(m.queues.c.name == name))).rowcount
            for row in (await conn.execute(select(m.accounts.c.id, m.accounts.c.queues))).all():
                if name in (row.queues or ()):
                    kept = [q for q in row.queues if q != name]
                    await conn.execute(update(m.accounts).where(m.accounts.c.id == row.id).values(queues=kept))
            return deleted > 0

        return await self._write(run)

    # policies -------------------------------------------------------------

    async def get_policies(self) -> dict[str, Any]:
        async with self._read() as conn:
            result = await conn.execute(select(m.policies.c.key, m.policies.c.value))
        return {row.key: row.value for row in result}

    async def set_policy(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("policy key must be a non-empty string")
        json.dumps(value)  # refuse what cannot be stored before touching the database

        async def run(conn: AsyncConnection) -> None:
            now = time.time()
            done = await conn.execute(
                update(m.policies).where(m.policies.c.key == key).values(value=value, updated_at=now)
            )
            if done.rowcount == 0:
                await conn.execute(insert(m.policies).values(key=key, value=value, updated_at=now))

        await self._write(run)

    # canned replies -------------------------------------------------------

    async def list_canned(self) -> list[CannedReply]:
        c = m.canned_replies
        async with self._read() as conn:
            return [_canned(r) for r in await conn.execute(select(c).order_by(c.c.title, c.c.id))]

    async def create_canned(self, title: str, text: str) -> CannedReply:
        values = _canned_fields(title, text)

        async def run(conn: AsyncConnection) -> CannedReply:
            now = time.time()
            result = await conn.execute(insert(m.canned_replies).values(created_at=now, updated_at=now, **values))
            query = select(m.canned_replies).where(m.canned_replies.c.id == result.inserted_primary_key[0])
            return _canned((await conn.execute(query)).one())

        return await self._write(run)

    async def update_canned(self, id: int, title: str, text: str) -> CannedReply:
        values = _canned_fields(title, text)
        c = m.canned_replies
        if not fits(id):
            raise NotFound(f"no canned reply {id}")

        async def run(conn: AsyncConnection) -> CannedReply:
            await conn.execute(update(c).where(c.c.id == id).values(updated_at=time.time(), **values))
            row = (await conn.execute(select(c).where(c.c.id == id))).first()
            if row is None:
                raise NotFound(f"no canned reply {id}")
            return _canned(row)

        return await self._write(run)

    async def delete_canned(self, id: int) -> bool:
        if not fits(id):
            return False

        async def run(conn: AsyncConnection) -> bool:
            return (await conn.execute(delete(m.canned_replies).where(m.canned_replies.c.id == id))).rowcount > 0

        return await self._write(run)
