"""Phone normalisation and profile rules, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.auth.codes import LoginCodePolicy, check_send_rate, code_matches, hash_code
from domain.errors import BadUserInput, RateLimited
from domain.members.model import Gender, Member
from domain.members.phone import mask_phone, normalize_phone
from domain.members.profile import ProfileChanges, apply_profile_changes

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+85291234567", "+85291234567"),
        ("+14155550123", "+14155550123"),
    ],
)
def test_phones_normalise_to_one_spelling(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "+86123456", "+8612800138000", "abc", "+0123"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(BadUserInput):
        normalize_phone(raw)


def test_mask_phone_hides_the_middle() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"


def member(**overrides: object) -> Member:
    values: dict[str, object] = {"id": 1, "phone": "+8613800138000", "member_code": "ABCDEFGH", "joined_at": NOW}
    values.update(overrides)
    return Member(**values)  # type: ignore[arg-type]


def test_birthday_locks_after_first_set() -> None:
    updated = apply_profile_changes(member(), ProfileChanges(birthday=date(1990, 5, 17)), TODAY)
    assert updated.birthday == date(1990, 5, 17) and updated.birthday_locked
    with pytest.raises(BadUserInput) as exc:
        apply_profile_changes(updated, ProfileChanges(birthday=date(1991, 1, 1)), TODAY)
    assert exc.value.field_errors[0].field == "birthday"
    # Sending the same birthday again is harmless.
    assert apply_profile_changes(updated, ProfileChanges(birthday=date(1990, 5, 17)), TODAY).birthday


@pytest.mark.parametrize("day", [TODAY + timedelta(days=1), date(1899, 12, 31)])
def test_impossible_birthdays_are_refused(day: date) -> None:
    with pytest.raises(BadUserInput):
        apply_profile_changes(member(), ProfileChanges(birthday=day), TODAY)


def test_all_or_nothing_and_original_untouched() -> None:
    original = member(display_name="Old")
    with pytest.raises(BadUserInput) as exc:
        apply_profile_changes(original, ProfileChanges(display_name="New", avatar_url="javascript:alert(1)"), TODAY)
    assert [e.field for e in exc.value.field_errors] == ["avatarUrl"]
    assert original.display_name == "Old"


def test_tags_are_trimmed_and_deduplicated_and_capped() -> None:
    updated = apply_profile_changes(member(), ProfileChanges(tags=[" a ", "b", "a"], gender=Gender.MALE), TODAY)
    assert updated.tags == ["a", "b"] and updated.gender is Gender.MALE
    with pytest.raises(BadUserInput):
        apply_profile_changes(member(), ProfileChanges(tags=[f"t{i}" for i in range(21)]), TODAY)


def test_display_name_rules() -> None:
    for bad in ["", "   ", "x" * 31, "bell\x07"]:
        with pytest.raises(BadUserInput):
            apply_profile_changes(member(), ProfileChanges(display_name=bad), TODAY)
    assert apply_profile_changes(member(), ProfileChanges(display_name="林伟"), TODAY).display_name == "林伟"


def test_codes_are_bound_to_the_phone() -> None:
    stored = hash_code("+8613800138000", "123456")
    assert code_matches(stored, "+8613800138000", " 123456 ")
    assert not code_matches(stored, "+8613900139000", "123456")


def test_send_rate_rules() -> None:
    policy = LoginCodePolicy(resend_interval_seconds=60, max_per_hour=3)
    check_send_rate([], NOW, policy)
    with pytest.raises(RateLimited) as exc:
        check_send_rate([NOW - timedelta(seconds=10)], NOW, policy)
    assert exc.value.retry_after_seconds == 50
    spaced = [NOW - timedelta(minutes=m) for m in (50, 30, 10)]
    with pytest.raises(RateLimited) as exc:
        check_send_rate(spaced, NOW, policy)
    assert exc.value.retry_after_seconds == 600
    check_send_rate(spaced[1:], NOW, policy)
