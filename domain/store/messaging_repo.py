"""Inbox notifications, channel preferences and the outbound message queue (domain/messaging)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Row, String, and_, cast, delete, exists, func, literal, or_, select, true, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from domain.members.model import ERASED_PHONE_PREFIX, Channel
from domain.messaging.model import (
    MessageCategory,
    MessageChannel,
    Notification,
    Outbound,
    Recipient,
    SendStatus,
)
from domain.offers.model import IssueSource
from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import (
    badges,
    coupon_templates,
    coupons,
    event_signups,
    events,
    member_badges,
    member_identities,
    members,
    message_preferences,
    notifications,
    outbound_messages,
    points_entries,
    points_lots,
    tier_changes,
    tiers,
)

# Where each outbound channel finds the member's address among the linked identities.
_IDENTITY_FOR = {MessageChannel.PUSH: Channel.APP_DEVICE, MessageChannel.MINI_PROGRAM: Channel.MINI_PROGRAM}


def _notification(row: Row) -> Notification:
    return Notification(row.id, row.member_id, row.kind, dict(row.variables or {}), row.created_at, row.read_at)


def _outbound(row: Row) -> Outbound:
    return Outbound(row.id, row.member_id, row.message_key, MessageChannel(row.channel), row.kind,
                    MessageCategory(row.category), dict(row.variables or {}), row.reason, SendStatus(row.status),
                    row.attempts, row.next_attempt_at, row.created_at, row.sent_at, row.result)


class SqlMessagingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def notifications(self, member_id: int, before: tuple[datetime, int] | None,
                            limit: int) -> list[Notification]:
        n = notifications.c
        query = select(notifications).where(n.member_id == member_id)
        if before is not None:
            at, row_id = before
            query = query.where(or_(n.created_at < at, and_(n.created_at == at, n.id < row_id)))
        rows = await self._conn.execute(query.order_by(n.created_at.desc(), n.id.desc()).limit(limit))
        return [_notification(r) for r in rows]

    async def unread_count(self, member_id: int) -> int:
        n = notifications.c
        return int(await self._conn.scalar(select(func.count()).select_from(notifications).where(
            n.member_id == member_id, n.read_at.is_(None))) or 0)

    async def mark_read(self, member_id: int, notification_ids: Sequence[int], now: datetime) -> int:
        n = notifications.c
        result = await self._conn.execute(update(notifications).where(
            n.member_id == member_id, n.id.in_(list(notification_ids)), n.read_at.is_(None)).values(read_at=now))
        return int(result.rowcount)

    async def mark_all_read(self, member_id: int, now: datetime) -> int:
        n = notifications.c
        result = await self._conn.execute(update(notifications).where(
            n.member_id == member_id, n.read_at.is_(None)).values(read_at=now))
        return int(result.rowcount)

    async def owned(self, member_id: int, notification_ids: Sequence[int]) -> set[int]:
        n = notifications.c
        return set(await self._conn.scalars(select(n.id).where(n.member_id == member_id,
                                                              n.id.in_(list(notification_ids)))))

    async def add_notification(self, member_id: int, message_key: str, kind: str, variables: dict[str, object],
                               now: datetime) -> int | None:
        statement = insert_ignoring_conflict(self._conn, notifications, ["member_id", "message_key"]).values(
            member_id=member_id, message_key=message_key, kind=kind, variables=variables, created_at=now,
        ).returning(notifications.c.id)
        return (await self._conn.execute(statement)).scalar_one_or_none()

    async def notifications_after(self, member_id: int, after_id: int, limit: int) -> list[Notification]:
        n = notifications.c
        rows = await self._conn.execute(select(notifications).where(n.member_id == member_id, n.id > after_id)
                                        .order_by(n.id).limit(limit))
        return [_notification(r) for r in rows]

    async def last_notification_id(self, member_id: int) -> int:
        n = notifications.c
        return int(await self._conn.scalar(select(func.max(n.id)).where(n.member_id == member_id)) or 0)

    async def disabled_channels(self, member_id: int) -> set[MessageChannel]:
        p = message_preferences.c
        return {MessageChannel(c) for c in await self._conn.scalars(
            select(p.channel).where(p.member_id == member_id, p.enabled.is_(False)))}

    async def set_channel(self, member_id: int, channel: MessageChannel, enabled: bool, now: datetime) -> None:
        p = message_preferences.c
        changed = await self._conn.execute(update(message_preferences).where(
            p.member_id == member_id, p.channel == channel.value).values(enabled=enabled, updated_at=now))
        if changed.rowcount == 0:
            await self._conn.execute(insert_ignoring_conflict(self._conn, message_preferences, None).values(
                member_id=member_id, channel=channel.value, enabled=enabled, updated_at=now))

    async def enqueue(self, member_id: int, message_key: str, channels: Sequence[MessageChannel], kind: str,
                      category: MessageCategory, variables: dict[str, object], reason: str,
                      now: datetime) -> int:
        if not channels:
            return 0
        rows = [dict(member_id=member_id, message_key=message_key, channel=c.value, kind=kind,
                     category=category.value, variables=variables, reason=reason, status=SendStatus.PENDING.value,
                     attempts=0, next_attempt_at=now, created_at=now, updated_at=now) for c in channels]
        statement = insert_ignoring_conflict(self._conn, outbound_messages,
                                             ["member_id", "message_key", "channel"])
        # One multi-row VALUES statement (not executemany): its rowcount is what was added on both databases.
        result = await self._conn.execute(statement.values(rows))
        return max(int(result.rowcount), 0)

    async def claim_due(self, now: datetime, limit: int) -> list[Outbound]:
        o = outbound_messages.c
        query = (select(outbound_messages).where(o.status == SendStatus.PENDING.value, o.next_attempt_at <= now)
                 .order_by(o.next_attempt_at, o.id).limit(limit).with_for_update(skip_locked=True))
        return [_outbound(r) for r in await self._conn.execute(query)]

    async def recipients(self, member_ids: Sequence[int]) -> dict[int, Recipient]:
        ids = sorted(set(member_ids))
        rows = await self._conn.execute(select(members.c.id, members.c.phone, members.c.marketing_consent)
                                        .where(members.c.id.in_(ids)))
        people = {r.id: r for r in rows if not r.phone.startswith(ERASED_PHONE_PREFIX)}
        identities: dict[int, dict[Channel, str]] = {}
        for r in await self._conn.execute(
                select(member_identities.c.member_id, member_identities.c.channel, member_identities.c.external_id)
                .where(member_identities.c.member_id.in_(list(people))).order_by(member_identities.c.linked_at)):
            identities.setdefault(r.member_id, {})[Channel(r.channel)] = r.external_id
        disabled: dict[int, set[MessageChannel]] = {}
        p = message_preferences.c
        for r in await self._conn.execute(select(p.member_id, p.channel).where(
                p.member_id.in_(list(people)), p.enabled.is_(False))):
            disabled.setdefault(r.member_id, set()).add(MessageChannel(r.channel))
        found = {}
        for member_id, row in people.items():
            addresses = {MessageChannel.INBOX: str(member_id), MessageChannel.SMS: row.phone}
            for channel, identity in _IDENTITY_FOR.items():
                if identity in identities.get(member_id, {}):
                    addresses[channel] = identities[member_id][identity]
            found[member_id] = Recipient(member_id, row.phone, bool(row.marketing_consent),
                                         frozenset(disabled.get(member_id, set())), addresses)
        return found

    async def marketing_sent(self, member_ids: Sequence[int], since: datetime) -> list[tuple[int, str, datetime]]:
        o = outbound_messages.c
        rows = await self._conn.execute(select(o.member_id, o.message_key, o.sent_at).where(
            o.member_id.in_(sorted(set(member_ids))), o.status == SendStatus.SENT.value,
            o.category == MessageCategory.MARKETING.value, o.sent_at >= since))
        return [(r.member_id, r.message_key, r.sent_at) for r in rows]

    async def record(self, message_id: int, status: SendStatus, attempts: int, next_attempt_at: datetime,
                     result: str | None, now: datetime) -> None:
        await self._conn.execute(update(outbound_messages).where(outbound_messages.c.id == message_id).values(
            status=status.value, attempts=attempts, next_attempt_at=next_attempt_at,
            result=result[:300] if result else None, updated_at=now,
            sent_at=now if status is SendStatus.SENT else None))

    async def sends(self, member_id: int | None, limit: int, before_id: int | None) -> list[Outbound]:
        o = outbound_messages.c
        query = select(outbound_messages)
        if member_id is not None:
            query = query.where(o.member_id == member_id)
        if before_id is not None:
            query = query.where(o.id < before_id)
        return [_outbound(r) for r in await self._conn.execute(query.order_by(o.id.desc()).limit(limit))]

    def _local(self, column: ColumnElement, zone_name: str, offset_seconds: int,
               with_time: bool = False) -> ColumnElement:
        """A UTC timestamp as program-local text: "YYYY-MM-DD" (or with " HH:MM")."""
        if self._conn.dialect.name == "postgresql":
            return func.to_char(func.timezone(zone_name, column), "YYYY-MM-DD HH24:MI" if with_time else "YYYY-MM-DD")
        return func.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d", column, f"{offset_seconds:+d} seconds")

    def _json(self, *pairs: object) -> ColumnElement:
        build = func.json_build_object if self._conn.dialect.name == "postgresql" else func.json_object
        return build(*pairs)

    async def _enqueue_select(self, candidates: Select, now: datetime, channels: Sequence[MessageChannel], kind: str,
                              category: MessageCategory, reason: str) -> int:
        """`candidates` has columns member_id, message_key, variables. One INSERT … SELECT for every channel
        (the candidates cross the channels, so the trigger's query runs once), skipping erased members and
        keys already queued; marketing: members with consent, on channels they did not switch off."""
        if not channels:
            return 0
        rows_in = candidates.subquery("candidates")
        chosen = union_all(*(select(literal(c.value, type_=String).label("channel")) for c in channels)) \
            .subquery("channels")
        m, p, o = members.c, message_preferences.c, outbound_messages.c
        at_type = o.created_at.type
        rows = (select(rows_in.c.member_id, rows_in.c.message_key, chosen.c.channel, literal(kind),
                       literal(category.value), rows_in.c.variables, literal(reason),
                       literal(SendStatus.PENDING.value), literal(0), literal(now, type_=at_type),
                       literal(now, type_=at_type), literal(now, type_=at_type))
                .select_from(rows_in.join(members, m.id == rows_in.c.member_id).join(chosen, true()))
                .where(~m.phone.startswith(ERASED_PHONE_PREFIX)))
        if category is MessageCategory.MARKETING:
            rows = rows.where(m.marketing_consent.is_(True), ~exists().where(
                p.member_id == rows_in.c.member_id, p.channel == chosen.c.channel, p.enabled.is_(False)))
        statement = insert_ignoring_conflict(self._conn, outbound_messages,
                                             ["member_id", "message_key", "channel"]).from_select(
            ["member_id", "message_key", "channel", "kind", "category", "variables", "reason", "status",
             "attempts", "next_attempt_at", "created_at", "updated_at"], rows)
        return max(int((await self._conn.execute(statement)).rowcount), 0)

    async def enqueue_trigger(self, trigger: str, now: datetime, horizon: timedelta, zone_name: str,
                              utc_offset_seconds: int, channels: Sequence[MessageChannel], kind: str,
                              category: MessageCategory, reason: str) -> int:
        """Set-based: the messages one scheduled trigger owes now. Keys name what they are about (a lot
        window, a tier change, a coupon, an event), so a rerun, or a run over an overlapping window,
        queues nothing twice. `horizon`: how far ahead (expiring, starting) or back (changed, issued)."""
        local = functools.partial(self._local, zone_name=zone_name, offset_seconds=utc_offset_seconds)
        m_ = members.c
        if trigger == "points-expiring":
            lot = points_lots.c
            day = local(lot.expires_at)
            grouped = (select(lot.member_id.label("member_id"), day.label("day"),
                              func.sum(lot.remaining - lot.held).label("points"))  # held: paying, not expiring
                       .where(lot.remaining - lot.held > 0, lot.expires_at > now, lot.expires_at <= now + horizon)
                       .group_by(lot.member_id, day)).subquery("windows")
            candidates = select(grouped.c.member_id, (literal("points-expiring:") + cast(grouped.c.day, String))
                                .label("message_key"),
                                self._json("points", grouped.c.points, "expiresOn", grouped.c.day).label("variables"))
        elif trigger == "tier-changed":
            tc = tier_changes.c
            candidates = (select(tc.member_id.label("member_id"),
                                 (literal("tier-changed:") + cast(tc.id, String)).label("message_key"),
                                 self._json("tierName", tiers.c.name).label("variables"))
                          .join(tiers, tiers.c.id == tc.to_tier_id)
                          .where(tc.created_at > now - horizon, tc.created_at <= now))
        elif trigger in ("coupon-issued", "coupon-expiring"):
            c, t = coupons.c, coupon_templates.c
            issued = trigger == "coupon-issued"
            key = literal(f"{trigger}:") + cast(c.id, String)
            variables = (self._json("couponName", t.name) if issued
                         else self._json("couponName", t.name, "expiresOn", local(c.valid_until)))
            candidates = (select(c.member_id.label("member_id"), key.label("message_key"), variables.label("variables"))
                          .join(coupon_templates, t.id == c.template_id))
            if issued:
                # Journeys and campaigns announce their own coupons in their own words.
                candidates = candidates.where(c.issued_at > now - horizon, c.issued_at <= now,
                                              c.source != IssueSource.AUTOMATION.value)
            else:
                candidates = candidates.where(c.redeemed_at.is_(None), c.valid_until > now,
                                              c.valid_until <= now + horizon)
        elif trigger == "event-starting":
            e, su = events.c, event_signups.c
            candidates = (select(su.member_id.label("member_id"),
                                 (literal("event-starting:") + cast(e.id, String)).label("message_key"),
                                 self._json("eventTitle", e.title, "startsAt", local(e.starts_at, with_time=True))
                                 .label("variables"))
                          .join(events, e.id == su.event_id)
                          .where(su.status == "SIGNED_UP", e.active.is_(True), e.starts_at > now,
                                 e.starts_at <= now + horizon))
        elif trigger in ("birthday", "birthday-soon"):
            # The program-local day `horizon` days from now; one message per member and year.
            target = (now + timedelta(seconds=utc_offset_seconds)).date() + timedelta(days=horizon.days)
            month_day = (func.to_char(m_.birthday, "MM-DD") if self._conn.dialect.name == "postgresql"
                         else func.strftime("%m-%d", m_.birthday))
            name = func.coalesce(m_.display_name, "")
            candidates = select(m_.id.label("member_id"),
                                literal(f"{trigger}:{target.year}").label("message_key"),
                                (self._json("name", name, "days", literal(horizon.days)) if horizon.days
                                 else self._json("name", name)).label("variables")
                                ).where(m_.birthday.is_not(None), month_day == target.strftime("%m-%d"))
        elif trigger == "badge-awarded":
            mb, b = member_badges.c, badges.c
            candidates = (select(mb.member_id.label("member_id"),
                                 (literal("badge-awarded:") + cast(mb.id, String)).label("message_key"),
                                 self._json("badgeName", b.name, "badgeNameEn", b.name_en).label("variables"))
                          .join(badges, b.id == mb.badge_id)
                          .where(mb.awarded_at > now - horizon, mb.awarded_at <= now))
        elif trigger == "referral-qualified":
            pe = points_entries.c
            candidates = (select(pe.member_id.label("member_id"),
                                 (literal("referral-qualified:") + cast(pe.id, String)).label("message_key"),
                                 self._json("points", pe.amount).label("variables"))
                          .where(pe.source_type == "referral", pe.idempotency_key.startswith("referrer/"),
                                 pe.created_at > now - horizon, pe.created_at <= now))
        else:
            raise ValueError(f"unknown trigger {trigger}")
        return await self._enqueue_select(candidates, now, channels, kind, category, reason)

    async def erase_member(self, erasure: Erasure) -> None:
        """The inbox, the send record and the preferences are all about the member: they go (pending
        sends with them, so nothing reaches an erased member)."""
        for table in (notifications, outbound_messages, message_preferences):
            await self._conn.execute(delete(table).where(table.c.member_id == erasure.member_id))
