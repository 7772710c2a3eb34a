"""Bulk member import (`import-members`): rows from an old system become members, identities, a tier
held until a date, and an opening points balance (a ledger entry plus a lot with its expiry, so the
balance equals the ledger like every other balance).

- **Per row key, once.** A row's key (its `key` field, else the phone) is recorded with the batch
  that imported it; a rerun skips recorded keys, so running the same file again changes nothing and
  a crashed run resumes where it stopped.
- **A batch is one transaction.** Rows are checked here first (bad ones go to the rejects with the
  reason and never reach the database); the store then applies a whole batch with a handful of
  set-based statements. If a batch fails, none of its rows is imported (rerun it).
- **Existing members** (same phone) keep their profile; they get the identities, the tier and the
  points of the row.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.auth.login import MEMBER_CODE_ALPHABET
from domain.auth.viewer import Role
from domain.clock import Clock
from domain.errors import DomainError
from domain.imports.staging import Batch, Rejected, stage_in_batches
from domain.members.model import Channel
from domain.members.phone import normalize_phone
from domain.ports import UnitOfWork

MAX_KEY = 100
MAX_NAME = 30
MAX_POINTS = 1_000_000_000
DEFAULT_BATCH = 5_000
_CHANNELS = frozenset(c.value for c in Channel)
# 32 characters: byte % 32 is uniform, and one urandom call per row instead of eight secrets.choice
# (which took half of the checking time of a million rows).
_TO_CODE = bytes(ord(MEMBER_CODE_ALPHABET[b % len(MEMBER_CODE_ALPHABET)]) for b in range(256))
assert len(MEMBER_CODE_ALPHABET) == 32


def member_code() -> str:
    """Like a sign-up's member code (8 characters of the same alphabet, CSPRNG)."""
    return os.urandom(8).translate(_TO_CODE).decode("ascii")


@dataclass(frozen=True)
class ImportRow:
    """One checked row, ready for the store. Dates are turned into moments in the program's zone:
    an expiry date D means valid through D (ends at the start of D+1)."""

    row_no: int
    key: str
    phone: str
    member_code: str
    display_name: str | None = None
    birthday: date | None = None
    identities: tuple[tuple[str, str], ...] = ()
    tier_code: str | None = None
    tier_until: datetime | None = None
    points: int = 0
    points_until: datetime | None = None


# A rejected row: the shared import loop's (domain/imports/staging.py).
Reject = Rejected


@dataclass(frozen=True)
class BatchOutcome:
    imported: int
    skipped: int  # already imported by an earlier run (same key)
    rejects: list[Reject] = field(default_factory=list)


class RowError(ValueError):
    pass


def _text(raw: Mapping[str, object], *names: str) -> str:
    for name in names:
        value = raw.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{what}: not a date (YYYY-MM-DD): {value!r}") from None


def _identities(raw: object) -> tuple[tuple[str, str], ...]:
    """CSV: `MINI_PROGRAM:openid;POS_CARD:8800123`; JSONL: that string or a list of
    {"channel": ..., "externalId": ...}."""
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, list):
        for item in raw:
            if not isinstance(item, Mapping):
                raise RowError("identities: each item needs channel and externalId")
            pairs.append((str(item.get("channel", "")).strip(), str(item.get("externalId", "")).strip()))
    elif raw:
        for part in str(raw).split(";"):
            if part.strip():
                channel, _, external = part.partition(":")
                pairs.append((channel.strip(), external.strip()))
    for channel, external in pairs:
        if channel.upper() not in _CHANNELS:
            raise RowError(f"identities: unknown channel {channel!r} (one of {', '.join(sorted(_CHANNELS))})")
        if not 0 < len(external) <= 128:
            raise RowError("identities: an external id is 1 to 128 characters")
    return tuple((c.upper(), e) for c, e in pairs)


def check_row(row_no: int, raw: Mapping[str, object], clock: Clock, tier_codes: set[str]) -> ImportRow:
    """One row of the file, checked; RowError names what is wrong with it."""
    today = clock.today()

    def end_of(day: date) -> datetime:
        return clock.day_bounds(day)[1]

    if "_error" in raw:
        raise RowError(str(raw["_error"]))
    try:
        phone = normalize_phone(_text(raw, "phone"))
    except DomainError as error:
        raise RowError(f"phone: {error.message}") from None
    key = _text(raw, "key") or phone
    if len(key) > MAX_KEY:
        raise RowError(f"key: at most {MAX_KEY} characters")
    name = _text(raw, "display_name", "displayName", "name") or None
    if name is not None and len(name) > MAX_NAME:
        raise RowError(f"name: at most {MAX_NAME} characters")
    birthday_text = _text(raw, "birthday")
    birthday = _date(birthday_text, "birthday") if birthday_text else None
    if birthday is not None and not date(1900, 1, 1) <= birthday <= today:
        raise RowError("birthday: not a plausible birthday")
    tier = _text(raw, "tier") or None
    tier_until = None
    if tier is not None:
        if tier not in tier_codes:
            raise RowError(f"tier: no tier has code {tier!r}")
        until_text = _text(raw, "tier_expires", "tierExpires")
        if not until_text:
            raise RowError("tier_expires: a tier override needs the date it ends")
        until = _date(until_text, "tier_expires")
        if until < today:
            raise RowError("tier_expires: already past")
        tier_until = end_of(until)
    points_text = _text(raw, "points")
    try:
        points = int(points_text) if points_text else 0
    except ValueError:
        raise RowError(f"points: not a whole number: {points_text!r}") from None
    if not 0 <= points <= MAX_POINTS:
        raise RowError(f"points: 0 to {MAX_POINTS:,}")
    points_until = None
    if points:
        expiry_text = _text(raw, "points_expire", "pointsExpire", "points_expires")
        if not expiry_text:
            raise RowError("points_expire: an opening balance needs its expiry date")
        expiry = _date(expiry_text, "points_expire")
        if expiry < today:
            raise RowError("points_expire: already past (the points would expire at once)")
        points_until = end_of(expiry)
    return ImportRow(row_no, key, phone, member_code(), name, birthday, _identities(raw.get("identities")),
                     tier, tier_until, points, points_until)


@dataclass
class ImportTotals:
    read: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0


@dataclass
class _FileChecks:
    """Repeats inside one file, found before any database work."""

    keys: set[str] = field(default_factory=set)
    phones: dict[str, str] = field(default_factory=dict)
    identities: set[tuple[str, str]] = field(default_factory=set)

    def repeat(self, row: ImportRow) -> str | None:
        if row.key in self.keys:
            return "key: repeated in this file"
        if self.phones.get(row.phone, row.key) != row.key:
            return f"phone: already used by the row with key {self.phones[row.phone]!r} in this file"
        for identity in row.identities:
            if identity in self.identities:
                return f"identities: {identity[0]}:{identity[1]} is on another row of this file"
        self.keys.add(row.key)
        self.phones[row.phone] = row.key
        self.identities.update(row.identities)
        return None


async def import_members(new_uow: Callable[[], UnitOfWork], clock: Clock, rows: AsyncIterator[tuple[int, dict]]
                         | Iterable[tuple[int, dict]], *, label: str, batch_size: int = DEFAULT_BATCH,
                         on_reject: Callable[[Reject, Mapping[str, object]], None] | None = None,
                         progress: Callable[[int], None] | None = None) -> ImportTotals:
    """`rows`: (row number, fields) from a CSV or JSONL file. Returns the totals; each bad row goes to
    `on_reject` with its reason. Idempotent and resumable per row key (see the module docstring); the
    loop is the shared one (domain/imports/staging.py)."""
    totals = ImportTotals()
    checks = _FileChecks()
    async with new_uow().read_only() as uow:
        tier_codes = {t.code for t in await uow.tiers.tiers()}

    def check(row_no: int, raw: dict) -> ImportRow | Reject:
        try:
            row = check_row(row_no, raw, clock, tier_codes)
        except RowError as error:
            return Reject(row_no, _text(raw, "key") or _text(raw, "phone"), str(error))
        repeated = checks.repeat(row)
        return Reject(row_no, row.key, repeated) if repeated is not None else row

    async def apply(batch: Batch[ImportRow]) -> list[Reject]:
        if not batch.items:
            return []
        outcome = await _apply(new_uow, clock, batch.items, label)
        totals.imported += outcome.imported
        totals.skipped += outcome.skipped
        return outcome.rejects

    def rejected(r: Reject, raw: Mapping[str, object] | None) -> None:
        if on_reject is not None:
            on_reject(r, raw or {})

    staged = await stage_in_batches(rows, check, apply, batch_size=batch_size, on_reject=rejected,
                                    progress=progress)
    totals.read, totals.rejected = staged.read, staged.rejected
    return totals


async def _apply(new_uow: Callable[[], UnitOfWork], clock: Clock, batch: list[ImportRow], label: str) -> BatchOutcome:
    now = clock.now()
    async with new_uow() as uow:
        outcome, moved = await uow.member_imports.apply_batch(batch, now)
        # Members who existed before and got points: their cached balances are written through.
        uow.points.note_moved(moved)
        await uow.audit.record(Role.STAFF, 0, "members.imported", f"import:{label}"[:80],
                               {"rows": len(batch), "imported": outcome.imported, "skipped": outcome.skipped,
                                "rejected": len(outcome.rejects)}, now)
        await uow.commit()
    return outcome

