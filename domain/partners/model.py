"""Partner brands that earn and burn program points at agreed integer exchange rates."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.privacy.model import Erasure

OPERATIONS = ("EARN", "BURN", "REVERSE")


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    client_id: str
    secret_hashes: list[str]
    partner_units: int  # e.g. 100 partner points ...
    program_points: int  # ... are worth 40 program points
    daily_earn_cap: int
    daily_burn_cap: int
    operations: list[str] = field(default_factory=lambda: list(OPERATIONS))
    active: bool = True
    # Access tokens issued before this instant are refused (secrets revoked: what they minted is suspect).
    tokens_valid_after: datetime | None = None

    def to_program_points(self, partner_amount: int) -> int:
        return partner_amount * self.program_points // self.partner_units


@dataclass(frozen=True)
class PartnerLink:
    partner_id: int
    member_id: int
    member_ref: str  # what the partner knows the member by: never the phone unless shared
    share_phone: bool
    active: bool


@dataclass(frozen=True)
class PartnerTransaction:
    id: int
    partner_id: int
    txn_id: str
    kind: str
    member_id: int
    partner_amount: int
    points: int
    entry_id: int | None
    created_at: datetime
    reversed: bool = False


def hash_secret(secret: str) -> str:
    # Secrets are 256 random bits, so a plain keyed hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, hashes: list[str]) -> bool:
    candidate = hash_secret(secret)
    return any(hmac.compare_digest(candidate, h) for h in hashes)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class PartnerRepository(Protocol):
    async def save(self, partner: Partner) -> Partner: ...
    async def get(self, partner_id: int) -> Partner | None: ...
    async def by_client_id(self, client_id: str) -> Partner | None: ...
    async def link(self, partner_id: int, member_id: int, member_ref: str, share_phone: bool,
                   now: datetime) -> PartnerLink: ...
    async def unlink(self, partner_id: int, member_id: int) -> bool: ...
    async def link_by_ref(self, partner_id: int, member_ref: str) -> PartnerLink | None: ...
    async def link_for(self, partner_id: int, member_id: int) -> PartnerLink | None: ...
    async def add_auth_code(self, partner_id: int, member_id: int, code_hash: str, max_points: int,
                            expires_at: datetime) -> None: ...
    async def use_auth_code(self, partner_id: int, member_id: int, code_hash: str, points: int,
                            now: datetime) -> bool: ...
    async def transaction(self, partner_id: int, txn_id: str) -> PartnerTransaction | None: ...
    async def add_transaction(self, partner_id: int, txn_id: str, kind: str, member_id: int, partner_amount: int,
                              points: int, entry_id: int | None, now: datetime) -> PartnerTransaction: ...
    async def mark_reversed(self, transaction_id: int) -> bool: ...
    async def points_between(self, partner_id: int, member_id: int | None, kind: str, start: datetime,
                             end: datetime) -> int: ...
    async def member_refs(self, member_id: int) -> list[str]: ...
    async def stop_sharing_phone(self, member_id: int) -> None: ...
    async def erase_member(self, erasure: Erasure) -> None: ...
    async def statement(self, partner_id: int, start: datetime, end: datetime) -> list[tuple[str, str, int, int]]:
        """(day, kind, partner amount, points) sums per UTC day."""
        ...


class PartnerTransactionKind(StrEnum):
    """PartnerTransaction.kind: points earned at the partner, spent there, or a reversal of either."""

    EARN = "EARN"
    BURN = "BURN"
    REVERSE = "REVERSE"
