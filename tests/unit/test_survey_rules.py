"""Survey rules without I/O: answer checks, who qualifies, NPS and average arithmetic, and a
survey's own points under the SURVEY earning rule's daily cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import BadUserInput
from domain.points.rules import Activity, EarningRule, RuleKind, activity_points
from domain.surveys.model import RecentPurchase, Survey, SurveyKind, SurveyTrigger
from domain.surveys.rules import clean_answer, qualifying_purchase, round_half_away, tally, validate_survey

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def survey(**changes: object) -> Survey:
    values: dict = dict(id=1, kind=SurveyKind.NPS, question="Recommend us?", trigger=SurveyTrigger.AFTER_PURCHASE,
                        starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1), allow_comment=True,
                        purchase_within_days=7)
    values.update(changes)
    return Survey(**values)


@pytest.mark.parametrize(("num", "den", "expected"), [
    (25, 2, 13), (-25, 2, -13), (5, 2, 3), (-5, 2, -3), (1, 3, 0), (2, 3, 1), (-2, 3, -1), (0, 7, 0), (100, 1, 100),
])
def test_rounding_takes_halves_away_from_zero(num: int, den: int, expected: int) -> None:
    assert round_half_away(num, den) == expected


@given(st.integers(-10**6, 10**6), st.integers(1, 10**4))
def test_rounding_is_within_half_of_the_exact_quotient(num: int, den: int) -> None:
    got = round_half_away(num, den)
    assert abs(Fraction(num, den) - got) <= Fraction(1, 2)
    assert round_half_away(-num, den) == -got


def test_nps_counts_promoters_passives_and_detractors() -> None:
    # 8 answers: 4 promoters, 2 passives, 2 detractors -> (4 - 2) / 8 = 25.
    result = tally(SurveyKind.NPS, {10: 2, 9: 2, 8: 1, 7: 1, 6: 1, 0: 1})
    assert (result.responses, result.promoters, result.passives, result.detractors) == (8, 4, 2, 2)
    assert result.nps == 25
    assert result.average_hundredths == 738  # 59 / 8 = 7.375
    assert result.distribution == [(0, 1), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 1), (7, 1), (8, 1), (9, 2),
                                   (10, 2)]


def test_nps_halves_round_away_from_zero() -> None:
    assert tally(SurveyKind.NPS, {9: 1, 7: 7}).nps == 13  # 12.5
    assert tally(SurveyKind.NPS, {6: 1, 7: 7}).nps == -13  # -12.5
    assert tally(SurveyKind.NPS, {0: 3}).nps == -100


def test_satisfaction_has_an_average_and_no_nps() -> None:
    result = tally(SurveyKind.SATISFACTION, {5: 3, 4: 4, 2: 1})
    assert result.average_hundredths == 413 and result.nps is None  # 33 / 8 = 4.125
    assert [s for s, _n in result.distribution] == [1, 2, 3, 4, 5]


def test_no_answers_give_no_figures() -> None:
    empty = tally(SurveyKind.NPS, {})
    assert (empty.responses, empty.nps, empty.average_hundredths) == (0, None, None)
    assert sum(n for _s, n in empty.distribution) == 0 and len(empty.distribution) == 11


def test_answers_are_checked_against_the_scale_and_comment_rules() -> None:
    assert clean_answer(survey(), 0, "  ") == (0, None)
    assert clean_answer(survey(), 10, " ok ") == (10, "ok")
    with pytest.raises(BadUserInput) as bad:
        clean_answer(survey(kind=SurveyKind.SATISFACTION, allow_comment=False), 0, "hi")
    assert [e.field for e in bad.value.field_errors] == ["score", "comment"]
    with pytest.raises(BadUserInput):
        clean_answer(survey(), 5, "x" * 1001)


def test_survey_validation_names_each_bad_field() -> None:
    assert validate_survey(survey()).question == "Recommend us?"
    with pytest.raises(BadUserInput) as bad:
        validate_survey(survey(trigger=SurveyTrigger.AFTER_EVENT, store_ids=["S1"], ends_at=NOW - timedelta(days=2)))
    assert {e.field for e in bad.value.field_errors} == {"endsAt", "eventId", "purchaseWithinDays"}
    with pytest.raises(BadUserInput) as bad:
        validate_survey(survey(store_ids=["no spaces"], event_id=3, points=100_001))
    assert {e.field for e in bad.value.field_errors} == {"storeIds", "eventId", "points"}


def test_the_latest_purchase_inside_the_window_and_stores_qualifies() -> None:
    bought = [RecentPurchase(NOW - timedelta(days=8), "S2"), RecentPurchase(NOW - timedelta(days=3), "S1"),
              RecentPurchase(NOW - timedelta(days=1), "S3")]
    assert qualifying_purchase(survey(), bought, NOW).store_id == "S3"
    assert qualifying_purchase(survey(store_ids=["S1", "S2"]), bought, NOW).store_id == "S1"
    assert qualifying_purchase(survey(store_ids=["S2"]), bought, NOW) is None
    assert qualifying_purchase(survey(purchase_within_days=10, store_ids=["S2"]), bought, NOW).store_id == "S2"
    assert qualifying_purchase(survey(trigger=SurveyTrigger.AFTER_EVENT, purchase_within_days=None,
                                      event_id=1), bought, NOW) is None


def test_a_survey_names_its_points_and_the_survey_rule_caps_them() -> None:
    day = date(2026, 11, 29)
    capped = EarningRule(1, RuleKind.ACTIVITY, "Surveys", activity=Activity.SURVEY, points=5, cap=60)
    assert activity_points([], Activity.SURVEY, day, 0, points=50) == 50, "no rule: the survey's points"
    assert activity_points([capped], Activity.SURVEY, day, 0, points=50) == 50
    assert activity_points([capped], Activity.SURVEY, day, 50, points=50) == 10
    assert activity_points([capped], Activity.SURVEY, day, 60, points=50) == 0
    assert activity_points([capped], Activity.SURVEY, day, 0) == 5, "without its own points the rule pays"
