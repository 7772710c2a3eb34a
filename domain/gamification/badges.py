"""Badges and titles: awarded by a periodic job from rules over the ledger and activity.

Awarding is set-based (one query per badge finds every member who now qualifies and does not hold
it yet), so a run over a million members costs a handful of statements. A member's title is the
title of their highest-ranked current badge: a monthly badge (积分英雄) is current through the
month after the one it was earned in; the others last."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, FieldError
from domain.events import BadgeAwarded
from domain.gamification.model import Badge, BadgeRule, MemberBadge
from domain.gamification.rules import month_bounds, month_key, next_month, previous_month, title_of
from domain.ports import UnitOfWork

MAX_THRESHOLD = 10_000


async def award_badges(deps: Deps) -> dict[str, int]:
    """Idempotent: a badge is held once per period (a unique key), and a month's top earners are
    chosen once (a later refund does not add an eleventh hero). Returns awards made per badge."""
    uow, clock = deps.uow, deps.clock
    now, today = clock.now(), clock.today()
    made: dict[str, int] = {}
    async with uow:
        await uow.lock("award-badges")  # two workers running the job at once award nothing twice
        for badge in await uow.games.badges():
            if not badge.active:
                continue
            period, expires_at = "", None
            if badge.rule is BadgeRule.TOP_EARNERS_OF_MONTH:
                month = previous_month(today)
                start, end = month_bounds(month, clock.zone)
                period = month_key(month)
                expires_at = month_bounds(next_month(month), clock.zone)[1]
                candidates = await uow.games.top_earners(badge.id, period, start, end, badge.threshold)
            elif badge.rule is BadgeRule.QUALIFIED_REFERRALS:
                candidates = await uow.games.referrers_reaching(badge.id, badge.threshold)
            else:
                # Today's and yesterday's streaks: a daily run sees every streak that reaches the mark.
                candidates = await uow.games.streaks_reaching(badge.id, badge.threshold,
                                                              [today, today - timedelta(days=1)])
            awarded = await uow.games.add_awards(badge.id, period, candidates, now, expires_at)
            for member_id in awarded:
                uow.publish_after_commit(BadgeAwarded(member_id, badge.code, period))
            made[badge.code] = len(awarded)
        await uow.commit()
    return made


async def award_badges_now(deps: Deps) -> int:
    """Staff run the rules at once instead of waiting for the daily job; the same idempotent run."""
    deps.viewer.require_staff()
    return sum((await award_badges(deps)).values())


@dataclass(frozen=True)
class BadgeShelf:
    badges: list[MemberBadge]
    title: Badge | None  # the badge whose title the member carries now


async def member_badges(member_id: int, deps: Deps) -> BadgeShelf:
    deps.viewer.require_self_or_staff(member_id)
    now = deps.clock.now()
    uow = deps.uow
    async with uow.read_only():
        held = await uow.games.member_badges(member_id)
    return BadgeShelf(held, title_of(held, now))


async def titled_badges(uow: UnitOfWork, member_ids: list[int]) -> dict[int, list[MemberBadge]]:
    """For showing authors' titles in the community: one read for a whole page of authors."""
    async with uow.read_only():
        return await uow.games.titled(member_ids)


async def list_badges(deps: Deps) -> list[Badge]:
    uow = deps.uow
    async with uow.read_only():
        return await uow.games.badges()


STANDARD_BADGES = [
    Badge(0, "POINTS_HERO", "积分英雄", "Points Hero", "积分英雄", "Points Hero",
          BadgeRule.TOP_EARNERS_OF_MONTH, 10, 30, True),
    Badge(0, "GOLD_REFERRER", "金牌推荐官", "Gold Referrer", "金牌推荐官", "Gold Referrer",
          BadgeRule.QUALIFIED_REFERRALS, 10, 20, True),
    Badge(0, "SILVER_REFERRER", "银牌推荐官", "Silver Referrer", "银牌推荐官", "Silver Referrer",
          BadgeRule.QUALIFIED_REFERRALS, 3, 10, True),
    Badge(0, "STREAK_7", "打卡达人", "7-Day Streak", None, None, BadgeRule.CHECKIN_STREAK, 7, 5, True),
]
"""The set the demo program starts with (and the README suggests): 积分英雄 for the month's top ten
earners, gold and silver referrers, a seven-day check-in streak."""

_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")


def _check(badge: Badge) -> Badge:
    badge = replace(badge, code=badge.code.strip().upper(), name=badge.name.strip(), name_en=badge.name_en.strip(),
                    title=(badge.title or "").strip() or None, title_en=(badge.title_en or "").strip() or None)
    errors = []
    if not _CODE.fullmatch(badge.code):
        errors.append(FieldError("code", "Use 2 to 40 capital letters, digits or _, starting with a letter."))
    if not 1 <= len(badge.name) <= 40:
        errors.append(FieldError("name", "Give a name of 1 to 40 characters."))
    if not 1 <= len(badge.name_en) <= 60:
        errors.append(FieldError("nameEn", "Give an English name of 1 to 60 characters."))
    if (badge.title is None) != (badge.title_en is None):
        errors.append(FieldError("titleEn", "Give the title in both languages, or in neither."))
    if badge.title is not None and len(badge.title) > 40:
        errors.append(FieldError("title", "Keep the title to 40 characters."))
    if not 1 <= badge.threshold <= MAX_THRESHOLD:
        errors.append(FieldError("threshold", f"Give a threshold of 1 to {MAX_THRESHOLD}."))
    if not 0 <= badge.rank <= 1000:
        errors.append(FieldError("rank", "Give a rank of 0 to 1,000."))
    if errors:
        raise BadUserInput("The badge is invalid.", errors)
    return badge


async def save_badge(badge: Badge, deps: Deps) -> Badge:
    """Staff create a badge or change the one with this code (already awarded badges stay awarded);
    audited."""
    staff_id = deps.viewer.require_staff()
    badge = _check(badge)
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        saved = await uow.games.save_badge(badge)
        await uow.audit.record(Role.STAFF, staff_id, "badge.saved", f"badge:{saved.code}",
                               {"rule": saved.rule.value, "threshold": saved.threshold, "active": saved.active}, now)
        await uow.commit()
    return saved
