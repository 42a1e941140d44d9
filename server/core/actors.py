"""Who sends an input (a rep's account, or a customer's or agent's
participation) and where each one listens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RepActor:
    account_id: int


@dataclass(frozen=True, slots=True)
class CustomerActor:
    session_id: str
    pid: str


Actor = RepActor | CustomerActor


def rep_channel(account_id: int) -> str:
    return f"rep:{account_id}"


def customer_channel(pid: str) -> str:
    return f"cus:{pid}"


def clean_name(name: str, default: str) -> str:
    name = " ".join(name.split())[:80]
    return name or default
