"""The send job (`cli send-messages`): queued messages go out through their channel's adapter.

Never in the request path: use cases and triggers only enqueue. Messages are claimed in small batches
(row-locked, skipped by other workers), decided, sent and recorded in the batch's transaction; a crash
loses at most that batch's records, and those messages are sent again (at least once).

The rules, in order, for a marketing message: marketing consent granted now, the channel not switched
off, outside quiet hours (else deferred to their end, not dropped; the inbox is silent, so it is not
held back), under the daily and weekly caps (else skipped).
Transactional messages skip those rules. A provider failure is retried with backoff, then FAILED."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from domain.clock import Clock
from domain.events import NotificationReceived
from domain.messages import DEFAULT_LANGUAGE
from domain.messaging.model import (
    MAX_ATTEMPTS,
    ChannelSender,
    MessageCategory,
    MessageChannel,
    Outbound,
    Recipient,
    Rendered,
    SendPolicy,
    SendStatus,
    backoff,
    week_start,
)
from domain.messaging.templates import render
from domain.ports import UnitOfWork

# Messages claimed per transaction: one commit per message made the job commit-bound (a few per second
# on a busy machine). A crash re-sends at most this many; the inbox copy is unique per key, and pushes
# carry the message key as the provider's collapse key.
CLAIM = 50


async def send_due_messages(new_uow: Callable[[], UnitOfWork], channels: Mapping[MessageChannel, ChannelSender],
                            policy: SendPolicy, clock: Clock, batch: int = 500) -> dict[str, int]:
    """One pass over what is due now (at most `batch` messages). Idempotent: a sent message is never
    claimed again, and the inbox copy is unique per (member, message key)."""
    counts = {"sent": 0, "deferred": 0, "skipped": 0, "retrying": 0, "failed": 0}
    now = clock.now()
    done = 0
    while done < batch:
        async with new_uow() as uow:
            due = await uow.messaging.claim_due(now, min(CLAIM, batch - done))
            if not due:
                break
            batch_state = await _BatchState.load(uow, due, clock, now)
            for message in due:
                counts[await _handle(uow, message, channels, policy, clock, now, batch_state)] += 1
            await uow.commit()
        done += len(due)
    return counts


class _BatchState:
    """What the rules read for one claimed batch, in three queries instead of several per message: the
    recipients, and the marketing keys each was sent this week (kept up to date as the batch sends)."""

    def __init__(self, recipients: dict[int, Recipient], day_start: datetime, week_from: datetime,
                 sent: dict[int, list[tuple[str, datetime]]]) -> None:
        self.recipients = recipients
        self.day_start = day_start
        self.week_from = week_from
        self.sent = sent

    @classmethod
    async def load(cls, uow: UnitOfWork, due: list[Outbound], clock: Clock, now: datetime) -> _BatchState:
        member_ids = [m.member_id for m in due]
        day = clock.day_of(now)
        day_start, _ = clock.day_bounds(day)
        week_from, _ = clock.day_bounds(week_start(day))
        sent: dict[int, list[tuple[str, datetime]]] = {}
        for member_id, key, at in await uow.messaging.marketing_sent(member_ids, week_from):
            sent.setdefault(member_id, []).append((key, at))
        return cls(await uow.messaging.recipients(member_ids), day_start, week_from, sent)

    def keys_since(self, member_id: int, since: datetime, except_key: str) -> int:
        return len({key for key, at in self.sent.get(member_id, []) if at >= since and key != except_key})

    def note_sent(self, message: Outbound, now: datetime) -> None:
        if message.category is MessageCategory.MARKETING:
            self.sent.setdefault(message.member_id, []).append((message.message_key, now))


async def _handle(uow: UnitOfWork, message: Outbound, channels: Mapping[MessageChannel, ChannelSender],
                  policy: SendPolicy, clock: Clock, now: datetime, state: _BatchState) -> str:
    repo = uow.messaging
    recipient = state.recipients.get(message.member_id)
    refusal = _refusal(message, recipient, policy, clock, now, state)
    if refusal == "quiet hours":
        assert policy.quiet_hours is not None
        later = policy.quiet_hours.ends_after(now, clock.zone)
        await repo.record(message.id, SendStatus.PENDING, message.attempts, later, "deferred: quiet hours", now)
        return "deferred"
    if refusal is not None:
        await repo.record(message.id, SendStatus.SKIPPED, message.attempts, now, refusal, now)
        return "skipped"
    assert recipient is not None
    attempts = message.attempts + 1
    try:
        if message.channel is MessageChannel.INBOX:
            # The inbox is this database: written in the same transaction as the send record.
            notification_id = await repo.add_notification(message.member_id, message.message_key, message.kind,
                                                          message.variables, now)
            if notification_id is not None:
                uow.publish_after_commit(NotificationReceived(message.member_id, notification_id))
            reference = f"notification:{notification_id}" if notification_id else "already in the inbox"
        else:
            sender = channels.get(message.channel)
            if sender is None:
                await repo.record(message.id, SendStatus.SKIPPED, message.attempts, now, "channel not configured",
                                  now)
                return "skipped"
            title, body = render(message.kind, DEFAULT_LANGUAGE, message.variables)
            reference = await sender.send(Rendered(message.member_id, message.message_key, message.channel,
                                                   message.kind, recipient.addresses[message.channel], title, body,
                                                   message.variables))
    except Exception as exc:  # any provider failure is a failed attempt, never a crash of the job
        error = f"{type(exc).__name__}: {exc}"[:300]
        if attempts >= MAX_ATTEMPTS:
            await repo.record(message.id, SendStatus.FAILED, attempts, now, error, now)
            return "failed"
        await repo.record(message.id, SendStatus.PENDING, attempts, now + backoff(attempts), error, now)
        return "retrying"
    await repo.record(message.id, SendStatus.SENT, attempts, now, reference, now)
    state.note_sent(message, now)
    return "sent"


def _refusal(message: Outbound, recipient: Recipient | None, policy: SendPolicy, clock: Clock, now: datetime,
             state: _BatchState) -> str | None:
    """Why this message must not go out now, or None."""
    if recipient is None:
        return "member erased"
    if message.channel not in recipient.addresses:
        return "no address for this channel"
    if message.category is not MessageCategory.MARKETING:
        return None
    if not recipient.marketing_consent:
        return "no marketing consent"
    if message.channel in recipient.disabled_channels:
        return "channel switched off"
    if (message.channel is not MessageChannel.INBOX and policy.quiet_hours is not None
            and policy.quiet_hours.contains(now, clock.zone)):
        return "quiet hours"
    if state.keys_since(message.member_id, state.day_start, message.message_key) >= policy.daily_cap:
        return "daily cap reached"
    if state.keys_since(message.member_id, state.week_from, message.message_key) >= policy.weekly_cap:
        return "weekly cap reached"
    return None

