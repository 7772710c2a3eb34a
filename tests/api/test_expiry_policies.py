"""Expiry policies end to end: the schedule members see, the expiring-soon figure and the expiry job
follow the policy; changing the policy never moves points already earned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.points.expiry import expire_points
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
PURCHASE = """mutation($o: String!, $c: Int!, $at: DateTime) { recordPurchase(input: {
  member: {phone: "13800138000"}, orderId: $o, storeId: "S1", amountCents: $c,
  items: [{category: "x", amountCents: $c}], purchasedAt: $at }) { pointsEarned } }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) {
  settings { pointsExpiryPolicy pointsExpiryMonth pointsExpiryDay pointsExpiryQuarters } } }"""
POINTS = """query($d: Int) { me { points { available expiringSoon(days: $d) expirySchedule(first: 5) {
  expiresAt points } } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in("13800138000")
    return api, staff, member


async def buy(api: ApiClient, staff: str, order: str, yuan: int) -> None:
    at = (api.container.now() - timedelta(days=10)).isoformat()  # past the return window: spendable at once
    await api.data(PURCHASE, {"o": order, "c": yuan * 100, "at": at}, staff)


async def points(api: ApiClient, token: str, days: int | None = None) -> dict:
    return (await api.data(POINTS, {"d": days}, token))["me"]["points"]


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)


async def test_fixed_date_policy_drives_schedule_expiring_soon_and_the_job(setup, monkeypatch) -> None:
    api, staff, member = setup
    saved = await api.data(SETTINGS, {"i": {"pointsExpiryPolicy": 1, "pointsExpiryMonth": 3, "pointsExpiryDay": 31}},
                           staff)
    assert saved["updateProgramSettings"]["settings"]["pointsExpiryPolicy"] == 1
    await buy(api, staff, "o1", 800)
    year = api.container.now().astimezone(SHANGHAI).year
    expires = end_of_local_day(date(year + 1, 3, 31))
    mine = await points(api, member.access_token, 60)
    assert mine["expirySchedule"] == [{"expiresAt": expires.isoformat(), "points": 800}]
    if expires - api.container.now() > timedelta(days=60):
        assert mine["expiringSoon"] == 0
    soon = expires - timedelta(days=50)
    monkeypatch.setattr(api.container, "now", lambda: soon)
    assert (await points(api, member.access_token, 60))["expiringSoon"] == 800
    assert await expire_points(api.container.uow, expires - timedelta(minutes=1)) == {
        "members": 0, "lots": 0, "points": 0}, "31 March is still spendable until local midnight"
    assert (await expire_points(api.container.uow, expires))["points"] == 800
    monkeypatch.setattr(api.container, "now", lambda: expires)
    assert (await points(api, member.access_token))["available"] == 0


async def test_changing_the_policy_never_moves_points_already_earned(setup) -> None:
    api, staff, member = setup
    await api.data(SETTINGS, {"i": {"pointsExpiryPolicy": 1}}, staff)  # default day: 31 March
    await buy(api, staff, "o1", 100)
    before = (await points(api, member.access_token))["expirySchedule"]
    await api.data(SETTINGS, {"i": {"pointsExpiryPolicy": 0, "pointsExpiryMonths": 1}}, staff)
    await buy(api, staff, "o2", 50)
    after = (await points(api, member.access_token))["expirySchedule"]
    assert before[0] in after, "the lot earned under the fixed date keeps its date"
    rolling = [row for row in after if row != before[0]]
    assert [row["points"] for row in rolling] == [50]
    assert datetime.fromisoformat(rolling[0]["expiresAt"]) < datetime.fromisoformat(before[0]["expiresAt"])


async def test_quarter_end_policy(setup) -> None:
    api, staff, member = setup
    await api.data(SETTINGS, {"i": {"pointsExpiryPolicy": 2, "pointsExpiryQuarters": 2}}, staff)
    await buy(api, staff, "o1", 100)
    local = api.container.now().astimezone(SHANGHAI).date()
    ends = (local.month - 1) // 3 + 2  # the quarter (counted from this year's first) whose end is the expiry
    after = ends + 1  # expiry is the first moment of the quarter after it
    expected = datetime.combine(date(local.year + after // 4, (after % 4) * 3 + 1, 1), time(0), SHANGHAI
                                ).astimezone(UTC)
    assert (await points(api, member.access_token))["expirySchedule"] == [
        {"expiresAt": expected.isoformat(), "points": 100}]


async def test_invalid_policy_settings_are_refused(setup) -> None:
    api, staff, _member = setup
    body = await api.gql(SETTINGS, {"i": {"pointsExpiryPolicy": 3, "pointsExpiryQuarters": 0}}, staff)
    assert {e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]} == {
        "pointsExpiryPolicy", "pointsExpiryQuarters"}
