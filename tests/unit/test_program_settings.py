"""Program settings: validation with camelCase field names, and lenient loading from stored data (no I/O)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from domain.errors import BadUserInput
from domain.program.settings import ProgramSettings


def test_defaults_are_valid() -> None:
    defaults = ProgramSettings()
    assert defaults.validated() is defaults
    assert defaults.return_window_days == 7 and defaults.points_expiry_months == 12


@pytest.mark.parametrize(
    ("name", "low", "high", "camel"),
    [
        ("return_window_days", 0, 90, "returnWindowDays"),
        ("points_expiry_months", 1, 120, "pointsExpiryMonths"),
        ("expiring_soon_days", 1, 365, "expiringSoonDays"),
        ("gift_daily_limit_points", 0, 10_000_000, "giftDailyLimitPoints"),
        ("gift_min_tier_rank", 0, 100, "giftMinTierRank"),
        ("tier_window_months", 1, 36, "tierWindowMonths"),
        ("tier_grace_months", 0, 36, "tierGraceMonths"),
    ],
)
def test_each_limit_is_inclusive_and_reported_in_camel_case(name: str, low: int, high: int, camel: str) -> None:
    for ok in (low, high):
        settings = replace(ProgramSettings(), **{name: ok})  # type: ignore[arg-type]
        assert settings.validated() is settings
    for bad in (low - 1, high + 1):
        with pytest.raises(BadUserInput) as exc:
            replace(ProgramSettings(), **{name: bad}).validated()  # type: ignore[arg-type]
        assert [(e.field, e.message) for e in exc.value.field_errors] == [
            (camel, f"{camel} must be between {low} and {high}.")
        ]


def test_all_bad_fields_are_reported_together() -> None:
    settings = ProgramSettings(return_window_days=91, gift_daily_limit_points=-1, tier_grace_months=37)
    with pytest.raises(BadUserInput) as exc:
        settings.validated()
    assert exc.value.code == "BAD_USER_INPUT"
    assert [e.field for e in exc.value.field_errors] == ["returnWindowDays", "giftDailyLimitPoints", "tierGraceMonths"]


def test_from_dict_ignores_unknown_keys() -> None:
    # Unknown keys (including a camelCase spelling and a non-number) are dropped, not converted.
    loaded = ProgramSettings.from_dict({"return_window_days": 14, "returnWindowDays": 99, "bogus": "not a number"})
    assert loaded == ProgramSettings(return_window_days=14)


def test_from_dict_converts_stored_values_to_int() -> None:
    loaded = ProgramSettings.from_dict({"points_expiry_months": "24", "expiring_soon_days": 15.0})
    assert loaded.points_expiry_months == 24 and loaded.expiring_soon_days == 15
    assert isinstance(loaded.expiring_soon_days, int)


def test_from_dict_of_nothing_is_the_defaults() -> None:
    assert ProgramSettings.from_dict({}) == ProgramSettings()


def test_to_dict_round_trips() -> None:
    settings = ProgramSettings(return_window_days=3, tier_grace_months=0, gift_daily_limit_points=1)
    data = settings.to_dict()
    assert data["return_window_days"] == 3 and data["tier_grace_months"] == 0
    assert set(data) == {f.name for f in fields(ProgramSettings)}
    assert ProgramSettings.from_dict(data) == settings


def test_rfm_windows_are_stored_ascending_and_load_from_a_json_list() -> None:
    assert ProgramSettings(rfm_windows=[90, 7]).validated().rfm_windows == (7, 90)  # type: ignore[arg-type]
    assert ProgramSettings.from_dict({"rfm_windows": [14, "60"]}).rfm_windows == (14, 60)
