"""Tier qualification: upgrade on the purchase that crosses a threshold, downgrade only at review."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, tzinfo

from domain import cursors
from domain.auth.viewer import Viewer
from domain.errors import BadUserInput, NotFound
from domain.events import TierChanged
from domain.offers.model import IssueSource
from domain.offers.services import CouponGrant, issue_by_setting
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.lots import add_months
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork
from domain.program.services import load_settings
from domain.program.settings import ProgramSettings
from domain.tiers.model import (
    MemberTier,
    PathProgress,
    QualifyingFigures,
    Tier,
    TierChange,
    TierChangeReason,
    TierProgress,
)
from domain.tiers.rules import ladder, next_tier, one_step_down, qualified_tier, uses_counts, validate_tier


def _base(tiers: list[Tier]) -> Tier:
    ordered = ladder(tiers)
    if not ordered:
        raise NotFound("No tiers are configured.")
    return ordered[0]


def _current(tiers: list[Tier], state: MemberTier | None) -> Tier:
    if state is not None:
        found = next((t for t in tiers if t.id == state.tier_id), None)
        if found is not None:
            return found
    return _base(tiers)


def window_start(now: datetime, settings: ProgramSettings, zone: tzinfo = UTC) -> datetime:
    """Start of the qualification window: `tier_window_months` back (rolling, the default), or
    1 January of the current year in the program time zone (`tier_calendar_year`)."""
    if settings.tier_calendar_year:
        year = now.astimezone(zone).year
        return datetime.combine(datetime(year, 1, 1).date(), time.min, zone).astimezone(UTC)
    return add_months(now, -settings.tier_window_months)


async def spend_in_window(uow: UnitOfWork, member_id: int, now: datetime, settings: ProgramSettings,
                          zone: tzinfo = UTC) -> int:
    return await uow.purchases.spend_since(member_id, window_start(now, settings, zone))


async def figures_in_window(uow: UnitOfWork, tiers: list[Tier], member_id: int, now: datetime,
                            settings: ProgramSettings, zone: tzinfo = UTC) -> QualifyingFigures:
    """Spend alone (one statement, as before) unless a tier also qualifies on purchases or points."""
    since = window_start(now, settings, zone)
    if uses_counts(tiers):
        return await uow.tiers.figures_since(member_id, since)
    return QualifyingFigures(await uow.purchases.spend_since(member_id, since))


async def apply_qualification(uow: UnitOfWork, member_id: int, now: datetime, settings: ProgramSettings,
                              *, allow_downgrade: bool, zone: tzinfo = UTC,
                              known: tuple[MemberTier | None, int] | None = None,
                              rewarded_elsewhere: frozenset[int] = frozenset()) -> TierChange | None:
    """Inside the caller's transaction (account locked): move the member to the tier their figures
    qualify for. Upgrades happen at once and pay the upgrade reward once per tier; a
    downgrade only when allowed and the current tier's hold has run out: to the tier qualified
    for, or one tier down (`tier_downgrade_one_step`, the next step after another grace period).
    `known`: the member's tier row and window spend, when the caller read them under the same lock
    (a purchase does); enough when no tier qualifies on purchase counts or tier points.
    `rewarded_elsewhere`: tier ids whose reward this person already got under another member id (a
    merge)."""
    tiers = await uow.tiers.tiers()
    if not ladder(tiers):
        return None
    if known is not None and not uses_counts(tiers):
        state, figures = known[0], QualifyingFigures(known[1])
    else:
        state = known[0] if known is not None else await uow.tiers.member_tier(member_id)
        figures = await figures_in_window(uow, tiers, member_id, now, settings, zone)
    current = _current(tiers, state)
    spend = figures.spend_cents
    target = qualified_tier(tiers, figures)
    if target.rank < current.rank and settings.tier_downgrade_one_step:
        target = one_step_down(tiers, current)
    held_until = add_months(now, settings.tier_grace_months) if target.rank > 0 else None
    if target.rank > current.rank:
        reason = TierChangeReason.UPGRADE
    elif target.rank < current.rank and allow_downgrade and (state is None or state.held_until is None
                                                             or state.held_until <= now):
        reason = TierChangeReason.DOWNGRADE
    else:
        if (allow_downgrade and state is not None and state.held_until is not None
                and state.held_until <= now and target.rank == current.rank):
            # Re-qualified at review: keep the tier for another grace period.
            await uow.tiers.set_member_tier(member_id, current.id, state.achieved_at, held_until)
        return None
    await uow.tiers.set_member_tier(member_id, target.id, now, held_until)
    change = await uow.tiers.add_change(member_id, current.id if state else None, target.id, reason, spend, now)
    paid = target.id in rewarded_elsewhere
    if reason is TierChangeReason.UPGRADE and target.upgrade_reward_points > 0 and not paid:
        key = f"tier-upgrade:{member_id}:{target.id}"
        if await uow.points.entry_by_key("tier", key) is None:
            await credit(
                uow,
                NewEntry(member_id, EntryKind.EARN, target.upgrade_reward_points, f"Welcome to {target.name}",
                         "tier", str(target.id), key),
                now, now, lot_expiry(now, settings, zone),
            )
    if reason is TierChangeReason.UPGRADE and not paid:
        grant = CouponGrant(member_id, IssueSource.TIER_UPGRADE, f"upgrade/{member_id}/{target.id}")
        await issue_by_setting(uow, settings.upgrade_coupon_template_id, grant, now)
    uow.publish_after_commit(TierChanged(member_id, current.id, target.id))
    return change


async def tier_progress(uow: UnitOfWork, viewer: Viewer, member_id: int, now: datetime,
                        zone: tzinfo = UTC) -> TierProgress:
    viewer.require_self_or_staff(member_id)
    async with uow.read_only():
        settings = await load_settings(uow)
        tiers = await uow.tiers.tiers()
        since = window_start(now, settings, zone)
        state, spend = await uow.tiers.member_tier_and_spend(member_id, since)
        figures = (await uow.tiers.figures_since(member_id, since) if uses_counts(tiers)
                   else QualifyingFigures(spend))
    current = _current(tiers, state)
    upcoming = next_tier(tiers, current)
    paths = ([PathProgress(path, figures.value(path), required) for path, required in upcoming.paths().items()]
             if upcoming else [])
    return TierProgress(
        current=current,
        next=upcoming,
        spend_in_window_cents=spend,
        spend_to_next_cents=max(0, upcoming.threshold_cents - spend) if upcoming and upcoming.spend_path else 0,
        window_start=since,
        window_end=now,
        held_until=state.held_until if state and current.rank > 0 else None,
        figures=figures,
        paths=paths,
        mode=upcoming.qualify_mode if upcoming else current.qualify_mode,
    )


@dataclass(frozen=True)
class TierHistoryPage:
    changes: list[TierChange]
    has_next: bool
    total: int


async def tier_history(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int = 20,
                       after: str | None = None) -> TierHistoryPage:
    """Newest first, keyset-paginated on (created_at, id)."""
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 tier changes.")
    before = cursors.decode_time(after) if after else None
    async with uow.read_only():
        rows = await uow.tiers.history(member_id, first + 1, before)
        total = await uow.tiers.count_history(member_id)
    return TierHistoryPage(rows[:first], len(rows) > first, total)


async def list_tiers(uow: UnitOfWork) -> list[Tier]:
    async with uow.read_only():
        return ladder(await uow.tiers.tiers())


async def save_tier(uow: UnitOfWork, viewer: Viewer, tier: Tier) -> Tier:
    viewer.require_staff()
    async with uow:
        existing = await uow.tiers.tiers()
        if tier.id and not any(t.id == tier.id for t in existing):
            raise NotFound("No such tier.")
        saved = await uow.tiers.save_tier(validate_tier(replace(tier, code=tier.code.strip().upper()), existing))
        await uow.commit()
    return saved


async def evaluate_tiers(new_uow, now: datetime, batch: int = 500, zone: tzinfo = UTC) -> dict[str, int]:
    """The review job (`cli evaluate-tiers`): members whose hold ran out are renewed or moved down.
    Idempotent: a second run finds nobody due."""
    counts = {"reviewed": 0, "downgraded": 0, "upgraded": 0}
    after = 0
    while True:
        async with new_uow() as uow:
            due = await uow.tiers.members_due_for_review(now, batch, after)
        if not due:
            return counts
        for state in due:
            after = state.member_id
            async with new_uow() as uow:
                await uow.points.lock_account(state.member_id, now)
                settings = await load_settings(uow)
                change = await apply_qualification(uow, state.member_id, now, settings, allow_downgrade=True,
                                                   zone=zone)
                await uow.commit()
            counts["reviewed"] += 1
            if change is not None:
                counts["downgraded" if change.reason is TierChangeReason.DOWNGRADE else "upgraded"] += 1
