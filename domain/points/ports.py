"""Storage the points use cases need."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.auth.viewer import Role
from domain.points.model import Entry, EntryKind, Lot, SalesChannel
from domain.points.rules import EarningRule, LineItem
from domain.privacy.model import Erasure


@dataclass(frozen=True)
class NewEntry:
    member_id: int
    kind: EntryKind
    amount: int
    reason: str
    source_type: str
    source_ref: str
    idempotency_key: str
    actor_role: Role | None = None
    actor_id: int | None = None
    details: dict[str, object] | None = None


@dataclass(frozen=True)
class Purchase:
    id: int
    member_id: int
    source: str
    order_id: str
    store_id: str
    amount_cents: int
    refunded_cents: int
    points_awarded: int
    points_reversed: int
    shortfall_points: int
    entry_id: int | None
    purchased_at: datetime
    items: list[LineItem]
    channel: SalesChannel = SalesChannel.POS


@dataclass(frozen=True)
class Refund:
    id: int
    purchase_id: int
    refund_id: str
    amount_cents: int
    points_reversed: int
    shortfall_points: int
    entry_id: int | None
    created_at: datetime


class PointsRepository(Protocol):
    def note_moved(self, member_ids: Sequence[int]) -> None:
        """Accounts a set-based statement moved (bulk import): written through after commit like the rest."""
        ...

    async def lock_account(self, member_id: int, now: datetime) -> int:
        """Create the account if needed, lock it for this transaction, return its ledger balance."""
        ...

    async def lock_accounts(self, member_ids: Sequence[int], now: datetime) -> dict[int, int]: ...
    async def add_entry(self, entry: NewEntry, now: datetime) -> Entry: ...
    async def bump_account(self, member_id: int, delta: int, now: datetime) -> int: ...
    async def add_lot(self, member_id: int, entry_id: int, amount: int, earned_at: datetime,
                      available_at: datetime, expires_at: datetime) -> int: ...
    async def credit_lots(self, new: NewEntry, now: datetime, lots: Sequence[tuple[int, datetime, datetime]]
                          ) -> tuple[Entry, int]:
        """Entry, lots ((amount, available_at, expires_at)) and account moved: (entry, new version)."""
        ...
    async def debit_lots(self, new: NewEntry, now: datetime, first_lot_ids: Sequence[int], allow_shortfall: bool
                         ) -> tuple[Entry | None, list[tuple[int, int, datetime]], int, int]:
        """Set-based debit: (entry or None, [(lot id, taken, lot expiry)], points coverable, new version)."""
        ...
    def may_have_points_payment(self, member_id: int) -> bool:
        """After lock_account: False when the member has no captured points payment at all."""
        ...
    async def open_lots(self, member_id: int) -> list[Lot]:
        """Lots with points left that are not held for a payment; `remaining` net of holds."""
        ...
    async def lot(self, lot_id: int) -> Lot | None: ...
    async def lot_totals(self, member_id: int, now: datetime, horizon: datetime) -> tuple[int, int, int, list, int]:
        """(available, pending, expiring by horizon, [next available_at, next expiry, next expiry after
        horizon], held) over the member's open lots; available and expiring leave out held points."""
        ...
    async def take_from_lot(self, entry_id: int, lot_id: int, amount: int) -> None: ...
    async def moves_for_entry(self, entry_id: int) -> list[tuple[int, int]]: ...
    async def return_to_lot(self, entry_id: int, lot_id: int, amount: int) -> None: ...
    async def entry_by_key(self, source_type: str, idempotency_key: str) -> Entry | None: ...
    async def entry(self, entry_id: int) -> Entry | None: ...
    async def referral_earnings(self, member_id: int) -> tuple[int, int]:
        """(points earned as a referrer, invitees who earned them)."""
        ...

    async def entries_after(self, member_id: int, after_id: int, limit: int) -> list[Entry]:
        """Oldest first, each with `balance_after` (the running ledger total) set."""
        ...

    async def running_totals(self, member_id: int, entry_ids: Sequence[int]) -> dict[int, int]: ...
    async def last_entry_id(self, member_id: int) -> int: ...
    async def lots_of_entries(self, entry_ids: Sequence[int]) -> dict[int, Lot]: ...
    async def expiry_schedule(self, member_id: int, now: datetime, limit: int) -> list[tuple[datetime, int]]: ...
    async def account_version(self, member_id: int) -> tuple[int, int]: ...
    async def history(self, member_id: int, kinds: Sequence[EntryKind] | None,
                      before: tuple[datetime, int] | None, limit: int) -> list[Entry]: ...
    async def history_newer(self, member_id: int, kinds: Sequence[EntryKind] | None,
                            than: tuple[datetime, int], limit: int) -> list[Entry]: ...
    async def credited_between(self, member_id: int, source_type: str, start: datetime, end: datetime) -> int: ...
    async def debited_between(self, member_id: int, kind: EntryKind, start: datetime, end: datetime) -> int: ...
    async def members_with_expired_lots(self, now: datetime, limit: int) -> list[int]: ...
    async def leaderboard(self, start: datetime, end: datetime, limit: int,
                          after: tuple[int, int] | None = None) -> list[tuple[int, int]]: ...
    async def erase_member(self, erasure: Erasure) -> None: ...


class PurchaseRepository(Protocol):
    async def member_purchases(self, member_id: int, limit: int, before: tuple[datetime, int] | None = None,
                               stores: Collection[str] | None = None) -> list[Purchase]: ...
    async def count_member_purchases(self, member_id: int, stores: Collection[str] | None = None) -> int: ...
    async def get(self, source: str, order_id: str) -> Purchase | None: ...
    async def add(self, member_id: int, source: str, order_id: str, store_id: str, amount_cents: int,
                  items: list[LineItem], purchased_at: datetime, now: datetime, *, points: int = 0,
                  entry_id: int | None = None, channel: SalesChannel = SalesChannel.POS) -> Purchase: ...
    async def set_points(self, purchase_id: int, points: int, entry_id: int) -> None: ...
    async def add_refund(self, purchase: Purchase, refund_id: str, amount_cents: int, points_reversed: int,
                         shortfall: int, entry_id: int | None, now: datetime) -> Refund: ...
    async def refund(self, purchase_id: int, refund_id: str) -> Refund | None: ...
    async def spend_since(self, member_id: int, since: datetime) -> int: ...


class IdempotencyRepository(Protocol):
    async def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> tuple[bool, str, dict | None]:
        """(claimed by this call, the stored request hash, the stored result if any)."""
        ...

    def owe(self, scope: str, key: str, result: dict[str, object]) -> None:
        """The result of the work a claimed key guards; stored by flush()."""
        ...

    async def flush(self) -> None:
        """Called by the unit of work just before its commit: stores the owed results, and refuses
        to commit a claimed key without one."""
        ...


class RulesRepository(Protocol):
    async def rules(self) -> list[EarningRule]: ...
    async def save_rule(self, rule: EarningRule, now: datetime) -> EarningRule: ...
    async def rule(self, rule_id: int) -> EarningRule | None: ...
    async def settings(self) -> dict[str, object]: ...
    async def save_settings(self, values: dict[str, object], now: datetime) -> None: ...
