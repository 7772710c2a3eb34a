"""Which tier a spend qualifies for, and what a member needs for the next one."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import BadUserInput, FieldError
from domain.tiers.model import Tier


def ladder(tiers: Iterable[Tier]) -> list[Tier]:
    return sorted((t for t in tiers if t.active), key=lambda t: t.rank)


def qualifying_tier(tiers: Iterable[Tier], spend_cents: int) -> Tier:
    """The highest active tier whose threshold the spend reaches (the base tier has threshold 0)."""
    ordered = ladder(tiers)
    if not ordered:
        raise LookupError("no active tiers configured")
    best = ordered[0]
    for tier in ordered:
        if spend_cents >= tier.threshold_cents:
            best = tier
    return best


def next_tier(tiers: Iterable[Tier], current: Tier) -> Tier | None:
    return next((t for t in ladder(tiers) if t.rank > current.rank), None)


def validate_tier(tier: Tier, others: Iterable[Tier]) -> Tier:
    errors: list[FieldError] = []
    if not tier.code.strip() or len(tier.code) > 20:
        errors.append(FieldError("code", "A tier code is 1 to 20 characters."))
    if not tier.name.strip() or len(tier.name) > 40:
        errors.append(FieldError("name", "A tier name is 1 to 40 characters."))
    if tier.rank < 0:
        errors.append(FieldError("rank", "Rank is 0 (base tier) or more."))
    if tier.threshold_cents < 0 or (tier.rank == 0 and tier.threshold_cents != 0):
        errors.append(FieldError("thresholdCents", "Thresholds are not negative; the base tier (rank 0) has 0."))
    if not 100 <= tier.multiplier_pct <= 1000:
        errors.append(FieldError("multiplierPct", "A tier multiplier is 100% to 1000%."))
    if tier.upgrade_reward_points < 0:
        errors.append(FieldError("upgradeRewardPoints", "Upgrade reward points are not negative."))
    for other in others:
        if other.id == tier.id:
            continue
        if other.rank == tier.rank:
            errors.append(FieldError("rank", f"Tier {other.code} already has rank {tier.rank}."))
        if other.code == tier.code:
            errors.append(FieldError("code", f"Tier code {tier.code} is taken."))
        if other.active and tier.active and (
            (other.rank < tier.rank and other.threshold_cents >= tier.threshold_cents)
            or (other.rank > tier.rank and other.threshold_cents <= tier.threshold_cents)
        ):
            errors.append(FieldError("thresholdCents", "Higher ranks need higher thresholds."))
    if errors:
        raise BadUserInput("The tier is invalid.", errors)
    return tier
