"""Which tier a spend qualifies for, and what a member needs for the next one."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import BadUserInput, FieldError
from domain.tiers.model import QualifyingFigures, QualifyMode, Tier


def ladder(tiers: Iterable[Tier]) -> list[Tier]:
    return sorted((t for t in tiers if t.active), key=lambda t: t.rank)


def qualifies(tier: Tier, figures: QualifyingFigures) -> bool:
    """Whether the figures meet the tier's paths: any one of them (ANY) or all (ALL). The base tier
    (rank 0) always qualifies."""
    if tier.rank == 0:
        return True
    met = [figures.value(path) >= required for path, required in tier.paths().items()]
    if not met:
        return False
    return all(met) if tier.qualify_mode is QualifyMode.ALL else any(met)


def qualified_tier(tiers: Iterable[Tier], figures: QualifyingFigures) -> Tier:
    """The highest active tier the figures qualify for."""
    ordered = ladder(tiers)
    if not ordered:
        raise LookupError("no active tiers configured")
    return next((t for t in reversed(ordered) if qualifies(t, figures)), ordered[0])


def qualifying_tier(tiers: Iterable[Tier], spend_cents: int) -> Tier:
    """The highest active tier whose threshold the spend reaches (the base tier has threshold 0)."""
    return qualified_tier(tiers, QualifyingFigures(spend_cents))


def uses_counts(tiers: Iterable[Tier]) -> bool:
    """Whether any tier qualifies on purchases or tier points (else spend alone is read)."""
    return any(t.min_purchases is not None or t.min_tier_points is not None for t in tiers)


def one_step_down(tiers: Iterable[Tier], current: Tier) -> Tier:
    """The active tier just below `current` (downgrade policy ONE_STEP)."""
    below = [t for t in ladder(tiers) if t.rank < current.rank]
    return below[-1] if below else current


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
    if tier.min_purchases is not None and not 1 <= tier.min_purchases <= 100_000:
        errors.append(FieldError("minPurchases", "A purchase count is 1 to 100,000; null when not a path."))
    if tier.min_tier_points is not None and not 1 <= tier.min_tier_points <= 10**9:
        errors.append(FieldError("minTierPoints", "Tier points are 1 to 1,000,000,000; null when not a path."))
    if tier.rank > 0 and not tier.paths():
        errors.append(FieldError("spendPath", "A tier above the base needs at least one qualification path."))
    for other in others:
        if other.id == tier.id:
            continue
        if other.rank == tier.rank:
            errors.append(FieldError("rank", f"Tier {other.code} already has rank {tier.rank}."))
        if other.code == tier.code:
            errors.append(FieldError("code", f"Tier code {tier.code} is taken."))
        if other.active and tier.active and other.spend_path and tier.spend_path and (
            (other.rank < tier.rank and other.threshold_cents >= tier.threshold_cents)
            or (other.rank > tier.rank and other.threshold_cents <= tier.threshold_cents)
        ):
            errors.append(FieldError("thresholdCents", "Higher ranks need higher thresholds."))
    if errors:
        raise BadUserInput("The tier is invalid.", errors)
    return tier
