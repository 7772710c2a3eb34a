"""Tier qualification paths (ANY / ALL), one-step downgrades and the progress sentence."""

from __future__ import annotations

import pytest

from domain.errors import BadUserInput
from domain.tiers.model import PathProgress, QualifyingFigures, QualifyMode, QualifyPath, Tier
from domain.tiers.progress_text import progress_sentence, yuan
from domain.tiers.rules import one_step_down, qualified_tier, validate_tier

BASE = Tier(1, "BASE", "会员", 0, 0)
GOLD = Tier(2, "GOLD", "金卡", 1, 5_000_000, min_purchases=10)
PLATINUM = Tier(3, "PLATINUM", "白金卡", 2, 10_000_000, min_tier_points=20_000, qualify_mode=QualifyMode.ALL)
LADDER = [BASE, GOLD, PLATINUM]


@pytest.mark.parametrize(("figures", "code"), [
    (QualifyingFigures(0), "BASE"),
    (QualifyingFigures(5_000_000), "GOLD"),
    (QualifyingFigures(0, purchases=10), "GOLD"),  # ANY: the count alone is enough
    (QualifyingFigures(10_000_000, purchases=1), "GOLD"),  # ALL: spend without the points is not Platinum
    (QualifyingFigures(10_000_000, tier_points=20_000), "PLATINUM"),
    (QualifyingFigures(0, purchases=50, tier_points=20_000), "GOLD"),
])
def test_paths_combine_by_mode(figures: QualifyingFigures, code: str) -> None:
    assert qualified_tier(LADDER, figures).code == code


def test_one_step_down_skips_retired_tiers() -> None:
    retired = Tier(2, "GOLD", "金卡", 1, 5_000_000, active=False)
    assert one_step_down([BASE, retired, PLATINUM], PLATINUM).code == "BASE"
    assert one_step_down(LADDER, PLATINUM).code == "GOLD"
    assert one_step_down(LADDER, BASE).code == "BASE"


def test_a_tier_above_the_base_needs_a_path() -> None:
    with pytest.raises(BadUserInput) as refused:
        validate_tier(Tier(0, "X", "X", 4, 1, spend_path=False), LADDER)
    assert [e.field for e in refused.value.field_errors] == ["spendPath"]
    validate_tier(Tier(0, "X", "X", 4, 1, spend_path=False, min_purchases=40), LADDER)


def test_sentence_in_both_languages() -> None:
    paths = [PathProgress(QualifyPath.SPEND, 200_000, 1_000_000), PathProgress(QualifyPath.PURCHASES, 7, 10)]
    assert progress_sentence(paths, QualifyMode.ANY, "金卡", "zh-CN") == "再消费¥8,000，或再购物3次即可升级为金卡"
    assert progress_sentence(paths, QualifyMode.ANY, "Gold", "en") == "¥8,000 more, or 3 more purchases to reach Gold"
    assert progress_sentence(paths, QualifyMode.ALL, "Gold", "en") == "¥8,000 more and 3 more purchases to reach Gold"
    met = [PathProgress(QualifyPath.SPEND, 1_000_000, 1_000_000), PathProgress(QualifyPath.TIER_POINTS, 0, 5)]
    assert progress_sentence(met, QualifyMode.ALL, "金卡", "zh-CN") == "再获得5定级积分即可升级为金卡"
    assert yuan(12_345_678) == "¥123,456.78" and yuan(5) == "¥0.05"
