"""Catalog use cases: browse, redeem (points for a voucher), use a voucher, cancel a redemption."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from domain.auth.sources import STORE_ID
from domain.auth.viewer import Role, Viewer
from domain.benefits.errors import NotEligible, OutOfStock, VoucherNotUsable
from domain.benefits.model import Redemption, RedemptionStatus, Reward
from domain.benefits.ports import RewardFilter, RewardSort
from domain.benefits.rules import new_voucher_code, period_start, validate_reward, voucher_expiry
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, LimitExceeded, NotFound
from domain.events import RedemptionUpdated
from domain.idempotency import idempotent
from domain.points.ledger import debit, restore
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork
from domain.visibility import reads_member

MAX_QUANTITY = 20
_PAYMENT_REFERENCE = re.compile(r"[A-Za-z0-9_.:/\-]{1,64}")


async def save_reward(uow: UnitOfWork, viewer: Viewer, reward: Reward, now: datetime) -> Reward:
    staff_id = viewer.require_staff()
    validate_reward(reward)
    async with uow:
        if reward.id and await uow.rewards.get(reward.id) is None:
            raise NotFound("No such reward.")
        saved = await uow.rewards.save(replace(reward, name=reward.name.strip(), category=reward.category.strip()),
                                       now)
        await uow.audit.record(Role.STAFF, staff_id, "reward.saved", f"reward:{saved.id}",
                               {"stock": saved.stock, "price": saved.points_price, "active": saved.active}, now)
        await uow.commit()
    return saved


async def member_tier_rank(uow: UnitOfWork, member_id: int) -> int:
    """The rank tier-limited things compare with: 0 without a tier, or on a tier no longer active."""
    tier = await uow.tiers.current_tier(member_id)
    return tier.rank if tier is not None and tier.active else 0


@dataclass(frozen=True)
class RewardPage:
    rewards: list[Reward]
    has_next: bool


@dataclass(frozen=True)
class BrowseRewards:
    """`available_points` is the member's available balance, needed by `affordable_now`."""

    category: str | None
    affordable_now: bool
    tier_code: str | None
    sort: RewardSort
    first: int
    after: tuple[int, int] | None
    available_points: int | None


async def browse_rewards(cmd: BrowseRewards, deps: Deps) -> RewardPage:
    """Rewards on offer."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    category, affordable_now, tier_code, sort = cmd.category, cmd.affordable_now, cmd.tier_code, cmd.sort
    first, after, available_points = cmd.first, cmd.after, cmd.available_points
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 rewards.")
    async with uow.read_only():
        max_rank = None
        if tier_code is not None:
            tier = next((t for t in await uow.tiers.tiers() if t.code == tier_code.strip().upper()), None)
            if tier is None:
                raise BadUserInput.for_field("tier", "No tier has that code.")
            max_rank = tier.rank
        max_price = None
        if affordable_now:
            viewer.require_member()
            max_price = available_points or 0
        rows = await uow.rewards.browse(
            RewardFilter(category=category, max_price=max_price, max_tier_rank=max_rank, on_offer_at=now),
            sort, after, first + 1,
        )
    return RewardPage(rows[:first], len(rows) > first)


@dataclass(frozen=True)
class RedeemReward:
    reward_id: int
    quantity: int
    idempotency_key: str
    # A points + cash reward: the external payment (no gateway here) that settled the cash part.
    payment_reference: str | None = None


async def redeem_reward(cmd: RedeemReward, deps: Deps) -> Redemption:
    """One transaction: check eligibility and limits, take stock, debit points oldest-first, issue
    a voucher. A retry with the same key returns the same redemption."""
    uow, now, zone = deps.uow, deps.clock.now(), deps.clock.zone
    reward_id, quantity, key = cmd.reward_id, cmd.quantity, cmd.idempotency_key
    member_id = deps.viewer.require_member()
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadUserInput.for_field("quantity", f"Redeem 1 to {MAX_QUANTITY} at a time.")
    request: dict[str, object] = {"reward": reward_id, "quantity": quantity}
    reference = cmd.payment_reference.strip() if cmd.payment_reference is not None else None
    if reference is not None:
        if not _PAYMENT_REFERENCE.fullmatch(reference):
            raise BadUserInput.for_field("paymentReference", "Use 1-64 letters, digits or . _ : / -")
        request["paymentReference"] = reference  # only when given: older retries keep their fingerprint
    async with uow, idempotent(uow, f"redeem:{member_id}", key, request, now) as slot:
        if slot.replay is not None:
            found = await uow.rewards.redemption(int(slot.replay["redemption"]))
            if found is None:
                raise NotFound("The original redemption is missing.")
            return found
        reward = await uow.rewards.get(reward_id)
        if reward is None or not reward.on_offer(now):
            raise NotFound("That reward is not on offer.")
        if reward.cash_price_cents and reference is None:
            raise BadUserInput.for_field("paymentReference", "This reward has a cash part: give the reference of "
                                                             "the payment that settled it.")
        if not reward.cash_price_cents and reference is not None:
            raise BadUserInput.for_field("paymentReference", "This reward is paid in points only.")
        if reference is not None and await uow.rewards.redemption_by_payment(reference) is not None:
            # Also a unique index: a concurrent redemption with the same reference fails as CONFLICT.
            raise Conflict("This payment reference already paid another redemption.")
        await uow.points.lock_account(member_id, now)
        if await member_tier_rank(uow, member_id) < reward.min_tier_rank:
            raise NotEligible("Your tier cannot redeem this reward yet.")
        if reward.per_member_limit is not None:
            used = await uow.rewards.redeemed_since(member_id, reward.id, period_start(reward.limit_period, now, zone))
            if used + quantity > reward.per_member_limit:
                raise LimitExceeded(
                    f"Limit is {reward.per_member_limit} per {reward.limit_period.value.lower()}; "
                    f"{max(0, reward.per_member_limit - used)} left.",
                    limit=reward.per_member_limit, used=used,
                )
        price = reward.points_price * quantity
        moved = await debit(uow, NewEntry(member_id, EntryKind.REDEEM, -price, f"Redeemed {reward.name}",
                                          "redemption", str(reward.id), f"redeem/{member_id}/{key}", Role.MEMBER,
                                          member_id, {"rewardId": reward.id, "quantity": quantity}), now)
        assert moved.entry is not None
        redemption = await uow.rewards.add_redemption(member_id, reward.id, quantity, price, new_voucher_code(),
                                                      moved.entry.id, now, voucher_expiry(reward, now),
                                                      reward.cash_price_cents * quantity, reference)
        # Stock last: the hot reward row stays locked only from here to the commit, and running
        # out still rolls back the debit and the voucher above.
        if not await uow.rewards.take_stock(reward.id, quantity):
            raise OutOfStock("This reward is out of stock.")
        slot.done({"redemption": redemption.id})
        uow.publish_after_commit(RedemptionUpdated(member_id, redemption.id, redemption.status.value))
        await uow.commit()
    return redemption


async def use_voucher(uow: UnitOfWork, viewer: Viewer, code: str, now: datetime,
                      store_id: str | None = None) -> Redemption:
    """Staff/POS mark a voucher used, once, at a store (a clerk: one of theirs, named)."""
    viewer.require_staff()
    if store_id is None:
        if viewer.store_ids is not None:
            raise BadUserInput.for_field("storeId", "Name the store the voucher is used at.")
    else:
        if not STORE_ID.fullmatch(store_id):
            raise BadUserInput.for_field("storeId", "Use 1-64 letters, digits or . _ : -")
        viewer.require_store(store_id)
    async with uow:
        redemption = await uow.rewards.redemption_by_code(code.strip().upper(), for_update=True)
        if redemption is None:
            raise NotFound("No voucher has that code.")
        status = redemption.status_at(now)
        if status is not RedemptionStatus.ISSUED:
            raise VoucherNotUsable(f"This voucher is {status.value.lower()}.", status=status.value)
        if not await uow.rewards.set_status(redemption.id, RedemptionStatus.ISSUED, RedemptionStatus.USED, now,
                                            store_id):
            raise VoucherNotUsable("This voucher was just used.", status=RedemptionStatus.USED.value)
        uow.publish_after_commit(RedemptionUpdated(redemption.member_id, redemption.id, "USED"))
        await uow.commit()
        used = await _reload(uow, redemption.id)
    return used


async def cancel_redemption(redemption_id: int, deps: Deps) -> Redemption:
    """An unused voucher can be cancelled (by its member or staff): points and stock come back."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    async with uow:
        redemption = await uow.rewards.redemption(redemption_id, for_update=True)
        if redemption is None or (viewer.role is not Role.STAFF and viewer.require_member() != redemption.member_id):
            raise NotFound("No such redemption.")
        if viewer.role is Role.STAFF:
            viewer.require_staff()
        status = redemption.status_at(now)
        if status is not RedemptionStatus.ISSUED:
            raise VoucherNotUsable(f"This voucher is {status.value.lower()} and cannot be cancelled.",
                                   status=status.value)
        await uow.points.lock_account(redemption.member_id, now)
        if not await uow.rewards.set_status(redemption.id, RedemptionStatus.ISSUED, RedemptionStatus.CANCELLED, now):
            raise VoucherNotUsable("This voucher changed meanwhile.", status="CHANGED")
        await restore(uow, redemption.entry_id, NewEntry(
            redemption.member_id, EntryKind.REVERSE, redemption.points_spent, "Redemption cancelled",
            "redemption", str(redemption.id), f"cancel-redemption/{redemption.id}", viewer.role, viewer.subject_id,
        ), now)
        await uow.rewards.return_stock(redemption.reward_id, redemption.quantity)
        uow.publish_after_commit(RedemptionUpdated(redemption.member_id, redemption.id, "CANCELLED"))
        await uow.commit()
        cancelled = await _reload(uow, redemption.id)
    return cancelled


async def _reload(uow: UnitOfWork, redemption_id: int) -> Redemption:
    found = await uow.rewards.redemption(redemption_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class RedemptionPage:
    redemptions: list[Redemption]
    has_next: bool
    total: int


async def member_redemptions(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                             before: int | None) -> RedemptionPage:
    """Newest first; `before`: the last id of the previous page. A clerk: those used at their stores."""
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 redemptions.")
    stores = viewer.store_ids if viewer.role is Role.STAFF else None
    async with uow.read_only():
        rows = await uow.rewards.member_redemptions(member_id, before, first + 1, stores)
        total = await uow.rewards.count_member_redemptions(member_id, stores)
    return RedemptionPage(rows[:first], len(rows) > first, total)


async def rewards_by_id(uow: UnitOfWork, reward_ids: list[int]) -> dict[int, Reward]:
    async with uow:
        return await uow.rewards.get_many(reward_ids)


async def reward_for(uow: UnitOfWork, viewer: Viewer, reward_id: int) -> Reward:
    """One reward of the catalog; inactive ones only for staff (the rule of `visible_rewards`)."""
    found = (await visible_rewards(uow, viewer, [reward_id])).get(reward_id)
    if found is None:
        raise NotFound("No such reward.")
    return found


async def visible_rewards(uow: UnitOfWork, viewer: Viewer, reward_ids: list[int]) -> dict[int, Reward]:
    """The rewards among these ids the caller may see (inactive ones: staff only), in one query; the
    others are simply absent, as for `nodes`, where one hidden id must not fail the rest."""
    async with uow.read_only():
        found = await uow.rewards.get_many(reward_ids)
    return {i: r for i, r in found.items() if r.active or viewer.role is Role.STAFF}


async def visible_redemptions(uow: UnitOfWork, viewer: Viewer, redemption_ids: list[int]) -> dict[int, Redemption]:
    """The caller's own redemptions among these ids (staff: all; a clerk: those used at their stores),
    in one query; others are absent."""
    async with uow.read_only():
        found = await uow.rewards.redemptions_by_ids(redemption_ids)
    return {i: r for i, r in found.items() if reads_member(viewer, r.member_id) and _store_sees(viewer, r)}


def _store_sees(viewer: Viewer, redemption: Redemption) -> bool:
    if viewer.role is not Role.STAFF or viewer.store_ids is None:
        return True
    return redemption.used_store_id is not None and redemption.used_store_id in viewer.store_ids


async def redemption_for(uow: UnitOfWork, viewer: Viewer, redemption_id: int) -> Redemption:
    """One redemption (voucher): its member or staff; anyone else learns nothing (NOT_FOUND)."""
    found = (await visible_redemptions(uow, viewer, [redemption_id])).get(redemption_id)
    if found is None:
        raise NotFound("No such redemption.")
    return found


async def redeemed_in_periods(uow: UnitOfWork, member_id: int,
                              keys: list[tuple[int, datetime]]) -> dict[tuple[int, datetime], int]:
    """How many of each reward the member redeemed since each (reward id, period start): one query."""
    if not keys:
        return {}
    async with uow.read_only():
        rows = await uow.rewards.redeemed_quantities(member_id, sorted({r for r, _ in keys}),
                                                     min(since for _, since in keys))
    return {(reward_id, since): sum(q for r, at, q in rows if r == reward_id and at >= since)
            for reward_id, since in keys}


async def tier_ranks(uow: UnitOfWork, member_ids: list[int]) -> dict[int, int]:
    async with uow.read_only():
        return {member_id: await member_tier_rank(uow, member_id) for member_id in member_ids}
