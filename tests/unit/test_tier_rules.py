"""Tier ladder: which tier a spend qualifies for, the next tier, and tier validation (no I/O)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.errors import BadUserInput
from domain.tiers.model import Tier
from domain.tiers.rules import next_tier, qualifying_tier, validate_tier

BASE = Tier(id=1, code="BASE", name="Member", rank=0, threshold_cents=0)
SILVER = Tier(id=2, code="SILVER", name="Silver", rank=1, threshold_cents=100_000, multiplier_pct=125)
GOLD = Tier(id=3, code="GOLD", name="Gold", rank=2, threshold_cents=500_000, multiplier_pct=150)
PLATINUM = Tier(id=4, code="PLATINUM", name="Platinum", rank=3, threshold_cents=3_000_000, active=False)
# Deliberately out of rank order.
LADDER = [GOLD, PLATINUM, BASE, SILVER]


@pytest.mark.parametrize(
    ("spend", "expected"),
    [
        (0, BASE),
        (99_999, BASE),
        (100_000, SILVER),
        (499_999, SILVER),
        (500_000, GOLD),
        (2_999_999, GOLD),
        (10_000_000, GOLD),  # PLATINUM is inactive
    ],
)
def test_qualifying_tier(spend: int, expected: Tier) -> None:
    assert qualifying_tier(LADDER, spend) == expected


def test_qualifying_tier_falls_back_to_the_lowest_active_tier() -> None:
    # BASE inactive: the lowest active tier (SILVER) is where everyone starts.
    tiers = [replace(BASE, active=False), SILVER, GOLD]
    assert qualifying_tier(tiers, 0) == SILVER
    assert qualifying_tier(tiers, 500_000) == GOLD


def test_qualifying_tier_without_active_tiers() -> None:
    with pytest.raises(LookupError):
        qualifying_tier([], 0)
    with pytest.raises(LookupError):
        qualifying_tier([PLATINUM], 10_000_000)


def test_next_tier() -> None:
    assert next_tier(LADDER, BASE) == SILVER
    assert next_tier(LADDER, SILVER) == GOLD
    assert next_tier(LADDER, GOLD) is None  # PLATINUM is inactive


def test_next_tier_skips_gaps_in_rank() -> None:
    far = Tier(id=9, code="FAR", name="Far", rank=5, threshold_cents=9_000_000)
    assert next_tier([far, BASE, GOLD], BASE) == GOLD
    assert next_tier([far, BASE, GOLD], GOLD) == far


# --- validate_tier -----------------------------------------------------------------------------------------


def fields_of(tier: Tier, others: list[Tier]) -> list[str]:
    with pytest.raises(BadUserInput) as exc:
        validate_tier(tier, others)
    return [e.field for e in exc.value.field_errors]


def test_valid_new_tier_is_returned() -> None:
    diamond = Tier(id=5, code="DIAMOND", name="Diamond", rank=4, threshold_cents=1_000_000, multiplier_pct=200)
    assert validate_tier(diamond, LADDER) is diamond


def test_editing_a_tier_does_not_clash_with_itself() -> None:
    edited = replace(SILVER, name="Silver+", threshold_cents=200_000)
    assert validate_tier(edited, LADDER) is edited


def test_duplicate_rank() -> None:
    clash = Tier(id=5, code="SILVER2", name="Silver two", rank=1, threshold_cents=200_000)
    assert fields_of(clash, LADDER) == ["rank"]


def test_duplicate_rank_with_an_inactive_tier_is_still_a_clash() -> None:
    clash = Tier(id=5, code="DIAMOND", name="Diamond", rank=3, threshold_cents=4_000_000)
    assert fields_of(clash, LADDER) == ["rank"]


def test_duplicate_code() -> None:
    clash = Tier(id=5, code="GOLD", name="Gold again", rank=4, threshold_cents=900_000)
    assert fields_of(clash, LADDER) == ["code"]


@pytest.mark.parametrize("threshold", [400_000, 500_000])
def test_higher_rank_needs_a_higher_threshold_than_every_lower_active_rank(threshold: int) -> None:
    # Rank 4 but not above GOLD (rank 2, 500,000).
    tier = Tier(id=5, code="DIAMOND", name="Diamond", rank=4, threshold_cents=threshold)
    assert fields_of(tier, LADDER) == ["thresholdCents"]


def test_lower_rank_needs_a_lower_threshold_than_higher_active_ranks() -> None:
    # SILVER raised to 600,000 would sit above GOLD (rank 2, 500,000).
    assert fields_of(replace(SILVER, threshold_cents=600_000), LADDER) == ["thresholdCents"]
    # Equal to GOLD's threshold is not "lower" either.
    assert fields_of(replace(SILVER, threshold_cents=500_000), LADDER) == ["thresholdCents"]


def test_inactive_tiers_do_not_constrain_thresholds() -> None:
    # Above PLATINUM's rank but below its threshold: fine, PLATINUM is inactive.
    tier = Tier(id=5, code="DIAMOND", name="Diamond", rank=4, threshold_cents=2_500_000)
    assert validate_tier(tier, LADDER) is tier
    # And an inactive tier is not checked against the active ones.
    dormant = Tier(id=6, code="DORMANT", name="Dormant", rank=5, threshold_cents=1, active=False)
    assert validate_tier(dormant, LADDER) is dormant


@pytest.mark.parametrize("threshold", [1, 100])
def test_base_tier_threshold_is_zero(threshold: int) -> None:
    assert fields_of(replace(BASE, threshold_cents=threshold), []) == ["thresholdCents"]
    assert validate_tier(BASE, []) is BASE


def test_every_invalid_field_is_reported() -> None:
    bad = Tier(
        id=7, code=" ", name="x" * 41, rank=-1, threshold_cents=-5, multiplier_pct=99, upgrade_reward_points=-1
    )
    assert set(fields_of(bad, [])) == {
        "code", "name", "rank", "thresholdCents", "multiplierPct", "upgradeRewardPoints",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "C" * 21}, "code"),
        ({"name": ""}, "name"),
        ({"multiplier_pct": 1001}, "multiplierPct"),
        ({"multiplier_pct": 99}, "multiplierPct"),
    ],
)
def test_single_field_limits(changes: dict[str, object], field: str) -> None:
    tier = Tier(id=8, code="OK", name="Ok", rank=9, threshold_cents=9_000_000)
    assert validate_tier(tier, []) is tier
    widest = replace(tier, code="C" * 20, name="N" * 40, multiplier_pct=1000)
    assert validate_tier(widest, []) is widest
    assert fields_of(replace(tier, **changes), []) == [field]  # type: ignore[arg-type]


def test_a_taken_rank_is_named_alone_when_the_threshold_is_in_order() -> None:
    """A clash on rank is about the rank: the staff screen must not also blame a threshold that fits."""
    clash = Tier(id=0, code="BRONZE", name="Bronze", rank=1, threshold_cents=50_000)
    with pytest.raises(BadUserInput) as refused:
        validate_tier(clash, [BASE, SILVER, GOLD])
    assert [e.field for e in refused.value.field_errors] == ["rank"]
