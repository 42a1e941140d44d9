"""What admins change: reps, queues, policies. Used by the REST API and the
admin pages alike; every change is audited and reaches the live relay at once."""

from __future__ import annotations

from typing import Any

from ..auth import generate_password, hash_password_off_loop
from ..relay import Relay
from ..store import Account, Queue
from .signin import revoke_tokens

POLICY_DEFAULTS: dict[str, Any] = {
    "auto_record": False,
    "grant_timeout": 60,
    "chat_with_customers": True,
    "recording_retention_days": 0,
    "assist_approval": False,
}
"""Every policy and its default; each one is enforced (tests/test_policies.py
names the test that proves it). ``grant_timeout`` defaults to
TANDEM_GRANT_TIMEOUT. An offer's timeout is its queue's own (/admin/queues)."""


async def create_rep(relay: Relay, by: int, *, email: str, name: str, password: str | None = None,
                     **fields: Any) -> tuple[Account, str | None]:
    """Create a rep; returns the account and the password if one was generated."""
    generated = None if password else generate_password()
    account = await relay.store.create_account(email.strip().lower(), name.strip() or email,
                                               await hash_password_off_loop(password or generated), **fields)
    await relay.store.audit("account.created", actor=f"rep:{by}",
                            data={"account_id": account.id, "email": account.email, **_plain(fields)})
    await relay.configure_rep(account)
    await relay.flush()
    return account, generated


async def update_rep(relay: Relay, by: int, account_id: int, *, password: str | None = None,
                     **fields: Any) -> Account:
    if password:
        fields["password_hash"] = await hash_password_off_loop(password)
    account = await relay.store.update_account(account_id, **fields)
    if password or fields.get("active") is False:
        account = await revoke_tokens(relay, account_id)  # old tokens refused, open sockets closed
    data = {k: v for k, v in _plain(fields).items() if k != "password_hash"}
    await relay.store.audit("account.updated", actor=f"rep:{by}",
                            data={"account_id": account_id, "password_changed": bool(password), **data})
    await relay.configure_rep(account)
    await relay.flush()
    return account


async def create_queue(relay: Relay, by: int, **fields: Any) -> Queue:
    queue = await relay.store.create_queue(**fields)
    await relay.store.audit("queue.created", actor=f"rep:{by}", data=_plain(fields))
    await relay.reload_queues()
    return queue


async def update_queue(relay: Relay, by: int, name: str, **fields: Any) -> Queue:
    queue = await relay.store.update_queue(name, **fields)
    await relay.store.audit("queue.updated", actor=f"rep:{by}", data={"name": name, **_plain(fields)})
    await relay.reload_queues()
    return queue


async def delete_queue(relay: Relay, by: int, name: str) -> bool:
    deleted = await relay.store.delete_queue(name)
    if deleted:
        await relay.store.audit("queue.deleted", actor=f"rep:{by}", data={"name": name})
        await relay.reload_queues()
    return deleted


async def policies(relay: Relay) -> dict[str, Any]:
    """The policies in force: stored values over the defaults (a stored key
    no policy has any more, such as the old ``offer_timeout``, is ignored)."""
    stored = {k: v for k, v in (await relay.store.get_policies()).items() if k in POLICY_DEFAULTS}
    return {**POLICY_DEFAULTS, "grant_timeout": int(relay.settings.grant_timeout), **stored}


async def set_policies(relay: Relay, by: int, values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if key not in POLICY_DEFAULTS:
            raise ValueError(f"unknown policy {key!r}")
        await relay.store.set_policy(key, value)
    await relay.store.audit("policies.changed", actor=f"rep:{by}", data=_plain(values))
    await relay.reload_policies(await policies(relay))
    return await policies(relay)


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
