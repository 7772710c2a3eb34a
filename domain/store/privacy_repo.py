"""Consent history, member data export pages and the audit trail about one member."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Row, Table, and_, func, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.naming import camel_case
from domain.privacy.model import AuditEntry, ConsentKind, ConsentRecord
from domain.store.tables import (
    audit_log,
    check_ins,
    comments,
    coupons,
    entitlement_uses,
    event_signups,
    group_members,
    lifecycle_changes,
    member_consents,
    member_identities,
    member_rfm,
    members,
    partner_links,
    partner_transactions,
    points_entries,
    post_likes,
    posts,
    purchases,
    redemptions,
    reports,
    survey_answers,
    tier_changes,
)

# section -> (table, the column naming the member, keyset columns: unique per member, ideally indexed)
_SECTIONS: dict[str, tuple[Table, Column[Any], tuple[Column[Any], ...]]] = {
    "profile": (members, members.c.id, (members.c.id,)),
    "identities": (member_identities, member_identities.c.member_id, (member_identities.c.id,)),
    "consents": (member_consents, member_consents.c.member_id, (member_consents.c.id,)),
    "pointsLedger": (points_entries, points_entries.c.member_id,
                     (points_entries.c.created_at, points_entries.c.id)),
    "purchases": (purchases, purchases.c.member_id, (purchases.c.purchased_at, purchases.c.id)),
    "redemptions": (redemptions, redemptions.c.member_id, (redemptions.c.id,)),
    "coupons": (coupons, coupons.c.member_id, (coupons.c.id,)),
    "checkIns": (check_ins, check_ins.c.member_id, (check_ins.c.day,)),
    "tierChanges": (tier_changes, tier_changes.c.member_id, (tier_changes.c.id,)),
    "posts": (posts, posts.c.author_id, (posts.c.created_at, posts.c.id)),
    "comments": (comments, comments.c.author_id, (comments.c.id,)),
    "likes": (post_likes, post_likes.c.member_id, (post_likes.c.post_id,)),
    "groups": (group_members, group_members.c.member_id, (group_members.c.group_id,)),
    "reports": (reports, reports.c.reporter_id, (reports.c.id,)),
    "eventSignups": (event_signups, event_signups.c.member_id, (event_signups.c.event_id,)),
    "partnerLinks": (partner_links, partner_links.c.member_id, (partner_links.c.partner_id,)),
    "partnerTransactions": (partner_transactions, partner_transactions.c.member_id,
                            (partner_transactions.c.id,)),
    "surveyAnswers": (survey_answers, survey_answers.c.member_id, (survey_answers.c.id,)),
    "rfmScores": (member_rfm, member_rfm.c.member_id, (member_rfm.c.window_days,)),
    "lifecycleChanges": (lifecycle_changes, lifecycle_changes.c.member_id, (lifecycle_changes.c.id,)),
    "entitlementUses": (entitlement_uses, entitlement_uses.c.member_id, (entitlement_uses.c.id,)),
}


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _consent(row: Row) -> ConsentRecord:
    return ConsentRecord(row.id, row.member_id, ConsentKind(row.kind), row.granted, row.source, row.created_at)


class SqlPrivacyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_consent(self, member_id: int, kind: ConsentKind, granted: bool, source: str,
                          now: datetime) -> ConsentRecord:
        row = (await self._conn.execute(insert(member_consents).values(
            member_id=member_id, kind=kind.value, granted=granted, source=source, created_at=now,
        ).returning(*member_consents.c))).one()
        return _consent(row)

    async def current_consents(self, member_id: int) -> dict[ConsentKind, ConsentRecord]:
        found: dict[ConsentKind, ConsentRecord] = {}
        for kind in ConsentKind:
            row = (await self._conn.execute(
                select(member_consents)
                .where(member_consents.c.member_id == member_id, member_consents.c.kind == kind.value)
                .order_by(member_consents.c.id.desc()).limit(1))).first()
            if row is not None:
                found[kind] = _consent(row)
        return found

    async def consent_history(self, member_id: int, before: int | None, limit: int) -> list[ConsentRecord]:
        query = select(member_consents).where(member_consents.c.member_id == member_id)
        if before is not None:
            query = query.where(member_consents.c.id < before)
        rows = await self._conn.execute(query.order_by(member_consents.c.id.desc()).limit(limit))
        return [_consent(r) for r in rows]

    async def count_consents(self, member_id: int) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(member_consents).where(member_consents.c.member_id == member_id)) or 0)

    async def export_page(self, section: str, member_id: int, after: tuple | None,
                          limit: int) -> tuple[list[dict[str, object]], tuple | None]:
        table, owner, keys = _SECTIONS[section]
        query = select(table).where(owner == member_id)
        if after is not None:
            query = query.where(tuple_(*keys) > tuple_(*after) if len(keys) > 1 else keys[0] > after[0])
        rows = (await self._conn.execute(query.order_by(*keys).limit(limit))).all()
        page = [{camel_case(k): _plain(v) for k, v in row._mapping.items()} for row in rows]
        last = tuple(getattr(rows[-1], k.name) for k in keys) if len(rows) == limit else None
        return page, last

    async def audit_for_member(self, member_id: int, before: int | None, limit: int) -> list[AuditEntry]:
        about = or_(audit_log.c.target == f"member:{member_id}",
                    and_(audit_log.c.actor_role == "member", audit_log.c.actor_id == member_id))
        query = select(audit_log).where(about)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        rows = await self._conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit))
        return [AuditEntry(r.id, r.actor_role, r.actor_id, r.action, r.target, dict(r.detail or {}), r.created_at)
                for r in rows]
