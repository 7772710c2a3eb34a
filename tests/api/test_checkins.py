"""Daily check-in: once a day in the program's time zone, streaks with a ladder, optional make-ups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

CHECK_IN = "mutation { checkIn { day points streak alreadyCheckedIn } }"
SUMMARY = "{ me { checkIns { streak today month { day makeup } } points { total } } }"
RULE = """mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Check-in", activity: CHECK_IN, points: 10,
  cap: 10}) { rule { id } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    await api.data(RULE, token=staff)
    return api, await api.sign_in("13800138000"), staff


def at(api: ApiClient, monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(api.container, "now", lambda: moment)


async def test_once_a_day_even_when_tapped_at_once(setup, monkeypatch) -> None:
    api, member, _ = setup
    at(api, monkeypatch, datetime(2026, 11, 2, 3, 0, tzinfo=UTC))  # 11:00 in Shanghai
    taps = await asyncio.gather(*(api.data(CHECK_IN, token=member.access_token) for _ in range(6)))
    fresh = [t["checkIn"] for t in taps if not t["checkIn"]["alreadyCheckedIn"]]
    assert len(fresh) == 1 and fresh[0]["points"] == 10 and fresh[0]["streak"] == 1
    assert all(t["checkIn"]["day"] == "2026-11-02" for t in taps)
    me = (await api.data(SUMMARY, token=member.access_token))["me"]
    assert me["points"]["total"] == 10 and me["checkIns"]["today"] is True


async def test_the_day_follows_the_program_time_zone(setup, monkeypatch) -> None:
    api, member, _ = setup
    # 23:30 UTC on Nov 2 is already Nov 3 in Shanghai: a new day, not a repeat.
    at(api, monkeypatch, datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    await api.data(CHECK_IN, token=member.access_token)
    at(api, monkeypatch, datetime(2026, 11, 2, 23, 30, tzinfo=UTC))
    second = (await api.data(CHECK_IN, token=member.access_token))["checkIn"]
    assert second == {"day": "2026-11-03", "points": 10, "streak": 2, "alreadyCheckedIn": False}


async def test_streak_ladder_pays_the_bonus_every_seventh_day_and_a_gap_resets(setup, monkeypatch) -> None:
    api, member, _ = setup
    start = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    points = []
    for day in range(8):
        at(api, monkeypatch, start + timedelta(days=day))
        points.append((await api.data(CHECK_IN, token=member.access_token))["checkIn"]["points"])
    assert points == [10] * 6 + [60, 10], "day 7 adds the 50-point bonus, then the cycle starts again"
    at(api, monkeypatch, start + timedelta(days=10))  # missed two days
    after_gap = (await api.data(CHECK_IN, token=member.access_token))["checkIn"]
    assert after_gap["streak"] == 1
    me = (await api.data(SUMMARY, token=member.access_token))["me"]
    assert me["checkIns"]["streak"] == 1 and len(me["checkIns"]["month"]) == 9


async def test_make_up_is_off_by_default_then_paid_and_limited(setup, monkeypatch) -> None:
    api, member, staff = setup
    makeup = "mutation($d: Date!) { makeUpCheckIn(day: $d) { day streak } }"
    at(api, monkeypatch, datetime(2026, 11, 10, 4, 0, tzinfo=UTC))
    assert error_codes(await api.gql(makeup, {"d": "2026-11-09"}, member.access_token)) == ["FORBIDDEN"]
    await api.data("""mutation { updateProgramSettings(input: {makeupCheckinsPerMonth: 1, makeupCostPoints: 20}) {
      settings { makeupCheckinsPerMonth } } }""", token=staff)
    assert error_codes(await api.gql(makeup, {"d": "2026-11-09"}, member.access_token)) == ["INSUFFICIENT_POINTS"]
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 100, reason: "x",
      idempotencyKey: "seed"}) { entry { id } } }""", {"m": member.member_id}, staff)
    await api.data(CHECK_IN, token=member.access_token)  # the 10th
    made = await api.data(makeup, {"d": "2026-11-09"}, member.access_token)
    assert made["makeUpCheckIn"] == {"day": "2026-11-09", "streak": 1}
    assert (await api.data(SUMMARY, token=member.access_token))["me"]["checkIns"]["streak"] == 2
    assert error_codes(await api.gql(makeup, {"d": "2026-11-08"}, member.access_token)) == ["LIMIT_EXCEEDED"]
    assert error_codes(await api.gql(makeup, {"d": "2026-10-31"}, member.access_token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(makeup, {"d": "2026-11-10"}, member.access_token)) == ["BAD_USER_INPUT"]
    total = (await api.data(SUMMARY, token=member.access_token))["me"]["points"]["total"]
    assert total == 100 + 10 - 20
    assert error_codes(await api.gql(CHECK_IN, token=staff)) == ["FORBIDDEN"]
