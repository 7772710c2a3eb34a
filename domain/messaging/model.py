"""What a message is: its kind (and so its template and category), the channels it goes out on, and
the rules a send obeys (consent, channel preferences, quiet hours, frequency caps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from domain.privacy.model import Erasure


class MessageChannel(StrEnum):
    INBOX = "INBOX"
    PUSH = "PUSH"
    MINI_PROGRAM = "MINI_PROGRAM"
    SMS = "SMS"


class MessageCategory(StrEnum):
    # Something the member caused or must know (a coupon they were given, a tier change): no consent needed.
    TRANSACTIONAL = "TRANSACTIONAL"
    # Everything that nudges: needs marketing consent, an enabled channel, outside quiet hours, under the caps.
    MARKETING = "MARKETING"


class SendStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"  # a rule said no (consent, channel off, cap, no address): never retried
    FAILED = "FAILED"  # the provider kept failing: retries used up


MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(BASE_DELAY * (2 ** max(0, attempts - 1)), MAX_DELAY)


@dataclass(frozen=True)
class Notification:
    """One inbox item. Its title and body are rendered from the template in the reader's language."""

    id: int
    member_id: int
    kind: str
    variables: dict[str, object]
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Outbound:
    """One message to one member on one channel: queued, then sent (or skipped, with why)."""

    id: int
    member_id: int
    message_key: str
    channel: MessageChannel
    kind: str
    category: MessageCategory
    variables: dict[str, object]
    reason: str
    status: SendStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    result: str | None = None


@dataclass(frozen=True)
class Recipient:
    """What the send job knows of the member when it sends: where to reach them and what they allow."""

    member_id: int
    phone: str
    marketing_consent: bool
    disabled_channels: frozenset[MessageChannel]
    addresses: Mapping[MessageChannel, str]  # push device token, mini-program openid, phone


@dataclass(frozen=True)
class Rendered:
    """A message ready for a provider: the text in the program language and the template's data."""

    member_id: int
    message_key: str
    channel: MessageChannel
    kind: str
    address: str
    title: str
    body: str
    variables: dict[str, object] = field(default_factory=dict)


class ChannelSender(Protocol):
    """One outbound channel (an adapter per provider). Raises on a failure worth retrying."""

    async def send(self, message: Rendered) -> str:
        """Deliver; returns the provider's reference (message id) for the send record."""
        ...


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in the program's time zone; may wrap midnight (21:00-09:00)."""

    start: time
    end: time

    def contains(self, moment: datetime, zone: tzinfo) -> bool:
        local = moment.astimezone(zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime, zone: tzinfo) -> datetime:
        """The first moment after `moment` outside the quiet hours (the deferred send time)."""
        local = moment.astimezone(zone)
        end = datetime.combine(local.date(), self.end, zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, zone)
        return end


@dataclass(frozen=True)
class SendPolicy:
    quiet_hours: QuietHours | None = None
    # Marketing messages (distinct message keys) a member receives per program-local day / ISO week.
    daily_cap: int = 2
    weekly_cap: int = 5


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Page:
    items: Sequence[Notification]
    has_next: bool


class MessagingRepository(Protocol):
    async def notifications(self, member_id: int, before: tuple[datetime, int] | None,
                            limit: int) -> list[Notification]:
        """Newest first (created_at, id), strictly older than `before` when given."""
        ...

    async def unread_count(self, member_id: int) -> int: ...
    async def mark_read(self, member_id: int, notification_ids: Sequence[int], now: datetime) -> int:
        """Marks those of the member's notifications still unread; returns how many changed."""
        ...

    async def mark_all_read(self, member_id: int, now: datetime) -> int: ...
    async def owned(self, member_id: int, notification_ids: Sequence[int]) -> set[int]: ...
    async def add_notification(self, member_id: int, message_key: str, kind: str, variables: dict[str, object],
                               now: datetime) -> int | None:
        """The inbox copy of a message, once per (member, key); None when it was already there."""
        ...

    async def notifications_after(self, member_id: int, after_id: int, limit: int) -> list[Notification]:
        """Oldest first, ids above `after_id` (live catch-up)."""
        ...

    async def last_notification_id(self, member_id: int) -> int: ...
    async def disabled_channels(self, member_id: int) -> set[MessageChannel]: ...
    async def set_channel(self, member_id: int, channel: MessageChannel, enabled: bool, now: datetime) -> None: ...
    async def enqueue(self, member_id: int, message_key: str, channels: Sequence[MessageChannel], kind: str,
                      category: MessageCategory, variables: dict[str, object], reason: str,
                      now: datetime) -> int:
        """One PENDING row per channel, skipping (member, key, channel) already queued; returns rows added."""
        ...

    async def claim_due(self, now: datetime, limit: int) -> list[Outbound]:
        """PENDING messages whose time has come, locked for this transaction (SKIP LOCKED on PostgreSQL)."""
        ...

    async def recipients(self, member_ids: Sequence[int]) -> dict[int, Recipient]:
        """The members still there (not erased), with their addresses and what they allow."""
        ...

    async def marketing_sent(self, member_ids: Sequence[int], since: datetime) -> list[tuple[int, str, datetime]]:
        """(member, message key, sent at) of marketing messages sent to those members since `since`."""
        ...

    async def record(self, message_id: int, status: SendStatus, attempts: int, next_attempt_at: datetime,
                     result: str | None, now: datetime) -> None: ...
    async def sends(self, member_id: int | None, limit: int, before_id: int | None) -> list[Outbound]:
        """The send record, newest first."""
        ...

    async def enqueue_trigger(self, trigger: str, now: datetime, horizon: timedelta, zone_name: str,
                              utc_offset_seconds: int, channels: Sequence[MessageChannel], kind: str,
                              category: MessageCategory, reason: str) -> int:
        """Set-based: every message a scheduled trigger owes now, one INSERT … SELECT per channel; returns
        rows added (keys already queued are skipped)."""
        ...

    async def erase_member(self, erasure: Erasure) -> None: ...
