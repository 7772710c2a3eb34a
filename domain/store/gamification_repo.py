"""Badges, challenges and draws. Badge awarding is set-based: each rule is one query over the
ledger or the check-ins, and the awards one multi-row insert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Row, and_, case, delete, exists, func, insert, literal, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.gamification.model import (
    Badge,
    BadgeRule,
    Challenge,
    ChallengeGoal,
    Draw,
    MemberBadge,
    Prize,
    PrizeKind,
    ProgressWindow,
    Ticket,
)
from domain.members.model import ERASED_PHONE_PREFIX
from domain.points.model import EntryKind
from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import (
    badges,
    challenges,
    check_ins,
    draw_prizes,
    draw_tickets,
    draws,
    member_badges,
    members,
    points_entries,
    purchases,
)


def _badge(row: Row) -> Badge:
    return Badge(row.id, row.code, row.name, row.name_en, row.title, row.title_en, BadgeRule(row.rule), row.threshold,
                 row.rank, row.active)


def _challenge(row: Row) -> Challenge:
    return Challenge(row.id, row.name, row.description, ChallengeGoal(row.goal), row.target, row.reward_points,
                     row.starts_at, row.ends_at)


def _prize(row: Row) -> Prize:
    return Prize(row.id, row.position, row.name, PrizeKind(row.kind), row.points, row.weight_bp, row.stock,
                 row.initial_stock)


def _ticket(row: Row) -> Ticket:
    return Ticket(row.id, row.draw_id, row.member_id, row.idempotency_key, row.roll, row.picked_prize_id, row.prize_id,
                  row.claim_code, row.entry_id, row.created_at)


def _not_held(badge_id: int, member_col, period: str = ""):
    return ~exists().where(member_badges.c.badge_id == badge_id, member_badges.c.period == period,
                           member_badges.c.member_id == member_col)


class SqlGamificationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- badges ---------------------------------------------------------------------------------

    async def badges(self) -> list[Badge]:
        rows = await self._conn.execute(select(badges).order_by(badges.c.rank.desc(), badges.c.id))
        return [_badge(r) for r in rows]

    async def save_badge(self, badge: Badge) -> Badge:
        """Insert, or update the badge with this code (one statement: two staff saving at once cannot
        both insert)."""
        values = dict(code=badge.code, name=badge.name, name_en=badge.name_en, title=badge.title,
                      title_en=badge.title_en, rule=badge.rule.value, threshold=badge.threshold, rank=badge.rank,
                      active=badge.active)
        module = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = module.insert(badges).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["code"], set_={k: statement.excluded[k] for k in values if k != "code"})
        return _badge((await self._conn.execute(statement.returning(*badges.c))).one())

    async def top_earners(self, badge_id: int, period: str, start: datetime, end: datetime,
                          limit: int) -> list[int]:
        """Net points earned in [start, end) (earnings less their reversals), highest first; none
        once the period's awards exist, so the month's heroes are chosen once."""
        if await self._conn.scalar(select(literal(1)).where(
                member_badges.c.badge_id == badge_id, member_badges.c.period == period).limit(1)):
            return []
        total = func.sum(points_entries.c.amount)
        query = (select(points_entries.c.member_id)
                 .join(members, members.c.id == points_entries.c.member_id)
                 .where(points_entries.c.kind.in_([EntryKind.EARN.value, EntryKind.REVERSE.value]),
                        points_entries.c.created_at >= start, points_entries.c.created_at < end,
                        ~members.c.phone.startswith(ERASED_PHONE_PREFIX))
                 .group_by(points_entries.c.member_id)
                 .having(total > 0)
                 .order_by(total.desc(), points_entries.c.member_id)
                 .limit(limit))
        return list((await self._conn.scalars(query)).all())

    async def referrers_reaching(self, badge_id: int, threshold: int) -> list[int]:
        """Members with at least `threshold` invitees who made their qualifying first purchase
        (each pays the referrer once, under the key referrer/<invitee>)."""
        pe = points_entries
        query = (select(pe.c.member_id)
                 .where(pe.c.source_type == "referral", pe.c.idempotency_key.startswith("referrer/"),
                        _not_held(badge_id, pe.c.member_id))
                 .group_by(pe.c.member_id)
                 .having(func.count() >= threshold))
        return list((await self._conn.scalars(query)).all())

    async def streaks_reaching(self, badge_id: int, threshold: int, last_days: Sequence[date]) -> list[int]:
        """Members checked in on every one of the `threshold` days ending on one of `last_days`."""
        parts = [select(check_ins.c.member_id)
                 .where(check_ins.c.day >= last - timedelta(days=threshold - 1), check_ins.c.day <= last,
                        _not_held(badge_id, check_ins.c.member_id))
                 .group_by(check_ins.c.member_id)
                 .having(func.count() >= threshold) for last in last_days]
        if not parts:
            return []
        return sorted(set((await self._conn.scalars(union(*parts))).all()))

    async def add_awards(self, badge_id: int, period: str, member_ids: Sequence[int], now: datetime,
                         expires_at: datetime | None) -> list[int]:
        if not member_ids:
            return []
        statement = (insert_ignoring_conflict(self._conn, member_badges, ["member_id", "badge_id", "period"])
                     .values([dict(member_id=m, badge_id=badge_id, period=period, awarded_at=now,
                                   expires_at=expires_at) for m in member_ids])
                     .returning(member_badges.c.member_id))
        return list((await self._conn.scalars(statement)).all())

    async def member_badges(self, member_id: int) -> list[MemberBadge]:
        rows = await self._conn.execute(
            select(badges, member_badges.c.period, member_badges.c.awarded_at, member_badges.c.expires_at)
            .join(member_badges, member_badges.c.badge_id == badges.c.id)
            .where(member_badges.c.member_id == member_id)
            .order_by(member_badges.c.awarded_at.desc(), member_badges.c.id.desc()))
        return [MemberBadge(_badge(r), r.period, r.awarded_at, r.expires_at) for r in rows]

    async def titled(self, member_ids: Sequence[int]) -> dict[int, list[MemberBadge]]:
        """The badges carrying a title that these members hold, in one query (the caller keeps the
        current ones: see domain.gamification.rules.title_of)."""
        if not member_ids:
            return {}
        rows = await self._conn.execute(
            select(badges, member_badges.c.member_id, member_badges.c.period, member_badges.c.awarded_at,
                   member_badges.c.expires_at)
            .join(member_badges, member_badges.c.badge_id == badges.c.id)
            .where(member_badges.c.member_id.in_(list(member_ids)), badges.c.title.is_not(None)))
        found: dict[int, list[MemberBadge]] = {}
        for r in rows:
            found.setdefault(r.member_id, []).append(MemberBadge(_badge(r), r.period, r.awarded_at, r.expires_at))
        return found

    async def erase_member(self, erasure: Erasure) -> None:
        """Badges are part of the public profile (titles show on posts): they go. Draw tickets stay, as
        the paid ledger entries they belong to do: they hold no personal data, and the draw's audit
        (every roll recomputable) needs them."""
        await self._conn.execute(delete(member_badges).where(member_badges.c.member_id == erasure.member_id))

    # --- challenges -----------------------------------------------------------------------------

    async def save_challenge(self, challenge: Challenge, now: datetime) -> Challenge:
        values = dict(name=challenge.name, description=challenge.description, goal=challenge.goal.value,
                      target=challenge.target, reward_points=challenge.reward_points,
                      starts_at=challenge.starts_at, ends_at=challenge.ends_at)
        statement = (update(challenges).where(challenges.c.id == challenge.id).values(**values) if challenge.id
                     else insert(challenges).values(**values, created_at=now))
        return _challenge((await self._conn.execute(statement.returning(*challenges.c))).one())

    async def challenge(self, challenge_id: int) -> Challenge | None:
        row = (await self._conn.execute(select(challenges).where(challenges.c.id == challenge_id))).first()
        return _challenge(row) if row else None

    async def challenges_between(self, now: datetime, limit: int) -> list[Challenge]:
        """Running now, or ended in the last 7 days (still claimable), ending soonest first."""
        rows = await self._conn.execute(
            select(challenges).where(challenges.c.starts_at <= now, challenges.c.ends_at > now - timedelta(days=7))
            .order_by(challenges.c.ends_at, challenges.c.id).limit(limit))
        return [_challenge(r) for r in rows]

    async def progress(self, member_id: int, windows: Sequence[ProgressWindow]) -> dict[int, int]:
        """One statement for all purchase goals and one for all check-in goals, however many
        challenges: each window is a conditional sum."""
        found: dict[int, int] = {}
        bought = [w for w in windows if w.goal in (ChallengeGoal.PURCHASES, ChallengeGoal.SPEND)]
        if bought:
            p = purchases.c
            columns = []
            for w in bought:
                inside = and_(p.purchased_at >= w.starts_at, p.purchased_at < w.ends_at)
                if w.goal is ChallengeGoal.PURCHASES:  # a purchase refunded in full does not count
                    columns.append(func.sum(case((and_(inside, p.refunded_cents < p.amount_cents), 1), else_=0)))
                else:
                    columns.append(func.sum(case((inside, p.amount_cents - p.refunded_cents), else_=0)))
            row = (await self._conn.execute(select(*columns).where(p.member_id == member_id))).one()
            found.update({w.challenge_id: int(v or 0) for w, v in zip(bought, row, strict=True)})
        days = [w for w in windows if w.goal is ChallengeGoal.CHECKIN_DAYS]
        if days:
            c = check_ins.c
            columns = [func.sum(case((and_(c.day >= w.first_day, c.day <= w.last_day, c.makeup.is_(False)), 1),
                                     else_=0)) for w in days]
            row = (await self._conn.execute(select(*columns).where(c.member_id == member_id))).one()
            found.update({w.challenge_id: int(v or 0) for w, v in zip(days, row, strict=True)})
        return found

    async def claimed(self, member_id: int, challenge_ids: Sequence[int]) -> set[int]:
        if not challenge_ids:
            return set()
        keys = {f"challenge/{cid}/{member_id}": cid for cid in challenge_ids}
        found = await self._conn.scalars(select(points_entries.c.idempotency_key).where(
            points_entries.c.source_type == "challenge", points_entries.c.idempotency_key.in_(list(keys))))
        return {keys[k] for k in found}

    # --- draws ----------------------------------------------------------------------------------

    async def add_draw(self, draw: Draw, now: datetime) -> Draw:
        row = (await self._conn.execute(insert(draws).values(
            name=draw.name, ticket_points=draw.ticket_points, tickets_per_member=draw.tickets_per_member,
            seed=draw.seed, seed_hash=draw.seed_hash, starts_at=draw.starts_at, ends_at=draw.ends_at,
            created_at=now).returning(draws.c.id))).one()
        await self._conn.execute(insert(draw_prizes), [
            dict(draw_id=row.id, position=p.position, name=p.name, kind=p.kind.value, points=p.points,
                 weight_bp=p.weight_bp, stock=p.stock, initial_stock=p.initial_stock) for p in draw.prizes])
        saved = await self.draw(row.id)
        assert saved is not None
        return saved

    async def _with_prizes(self, rows: Sequence[Row]) -> list[Draw]:
        if not rows:
            return []
        prizes: dict[int, list[Prize]] = {r.id: [] for r in rows}
        for p in await self._conn.execute(select(draw_prizes).where(draw_prizes.c.draw_id.in_(list(prizes)))
                                          .order_by(draw_prizes.c.position, draw_prizes.c.id)):
            prizes[p.draw_id].append(_prize(p))
        return [Draw(r.id, r.name, r.ticket_points, r.tickets_per_member, r.seed_hash, r.starts_at, r.ends_at,
                     prizes[r.id], r.seed) for r in rows]

    async def draw(self, draw_id: int) -> Draw | None:
        rows = (await self._conn.execute(select(draws).where(draws.c.id == draw_id))).all()
        found = await self._with_prizes(rows)
        return found[0] if found else None

    async def open_draws(self, now: datetime, limit: int) -> list[Draw]:
        rows = (await self._conn.execute(select(draws).where(draws.c.starts_at <= now, draws.c.ends_at > now)
                                         .order_by(draws.c.ends_at, draws.c.id).limit(limit))).all()
        return await self._with_prizes(rows)

    async def take_prize(self, prize_id: int) -> Prize | None:
        """One unit of stock, or None when none is left: the row lock makes concurrent tickets queue
        here, and `stock > 0` makes the last unit go to exactly one of them."""
        row = (await self._conn.execute(update(draw_prizes)
                                        .where(draw_prizes.c.id == prize_id, draw_prizes.c.stock > 0)
                                        .values(stock=draw_prizes.c.stock - 1)
                                        .returning(*draw_prizes.c))).first()
        return _prize(row) if row else None

    async def ticket(self, draw_id: int, member_id: int, key: str) -> Ticket | None:
        row = (await self._conn.execute(select(draw_tickets).where(
            draw_tickets.c.draw_id == draw_id, draw_tickets.c.member_id == member_id,
            draw_tickets.c.idempotency_key == key))).first()
        return _ticket(row) if row else None

    async def tickets_held(self, draw_id: int, member_id: int) -> int:
        return int(await self._conn.scalar(select(func.count()).select_from(draw_tickets).where(
            draw_tickets.c.draw_id == draw_id, draw_tickets.c.member_id == member_id)) or 0)

    async def add_ticket(self, ticket: Ticket) -> Ticket:
        row = (await self._conn.execute(insert(draw_tickets).values(
            draw_id=ticket.draw_id, member_id=ticket.member_id, idempotency_key=ticket.idempotency_key,
            roll=ticket.roll, picked_prize_id=ticket.picked_prize_id, prize_id=ticket.prize_id,
            claim_code=ticket.claim_code, entry_id=ticket.entry_id, created_at=ticket.created_at)
            .returning(*draw_tickets.c))).one()
        return _ticket(row)

    async def member_tickets(self, member_id: int, before_id: int | None, limit: int) -> list[Ticket]:
        query = select(draw_tickets).where(draw_tickets.c.member_id == member_id)
        if before_id is not None:
            query = query.where(draw_tickets.c.id < before_id)
        rows = await self._conn.execute(query.order_by(draw_tickets.c.id.desc()).limit(limit))
        return [_ticket(r) for r in rows]
