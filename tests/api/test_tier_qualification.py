"""Tier qualification beyond spend: purchase counts and qualifying (tier) points, ANY / ALL,
rolling months or the calendar year, and the downgrade policy at review; progress names each path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.tiers.model import QualifyMode
from domain.tiers.services import evaluate_tiers, save_tier
from tests.support.client import ApiClient
from tests.support.program import STAFF, configure_program
from tests.support.roles import staff_token

PHONE = "13800138000"
PURCHASE = """mutation($o: String!, $c: Int!, $at: DateTime) { recordPurchase(input: {
  member: {phone: "13800138000"}, orderId: $o, storeId: "S1", amountCents: $c,
  items: [{category: "x", amountCents: $c}], purchasedAt: $at }) { pointsEarned } }"""
TIER = """{ me { tier { current { code } progress { amountInWindowCents purchasesInWindow tierPointsInWindow
  windowStart mode paths { path current required remaining } sentence } } } }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) {
  settings { tierWindowMonths } } }"""
GIFT = """mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount } } }"""
SAVE_TIER = """mutation($i: SaveTierInput!) { saveTier(input: $i) { tier { code minPurchases minTierPoints
  qualifyMode spendPath } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    tiers = await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in(PHONE)
    return api, staff, member, tiers


async def tier_of(api: ApiClient, token: str) -> dict:
    return (await api.data(TIER, token=token))["me"]["tier"]


async def buy(api: ApiClient, staff: str, order: str, cents: int, at: datetime | None = None) -> None:
    await api.data(PURCHASE, {"o": order, "c": cents, "at": at.isoformat() if at else None}, staff)


async def test_spend_or_purchase_count_and_the_sentence_names_both_paths(setup) -> None:
    api, staff, member, tiers = setup
    await save_tier(api.container.uow(), STAFF, replace(tiers["GOLD"], min_purchases=3))
    await buy(api, staff, "o1", 10_000)
    tier = await tier_of(api, member.access_token)
    assert tier["progress"]["paths"] == [
        {"path": "SPEND", "current": 10_000, "required": 5_000_000, "remaining": 4_990_000},
        {"path": "PURCHASES", "current": 1, "required": 3, "remaining": 2}]
    assert tier["progress"]["sentence"] == "再消费¥49,900，或再购物2次即可升级为Gold"
    english = await api.gql(TIER, token=member.access_token, headers={"accept-language": "en"})
    assert english["data"]["me"]["tier"]["progress"]["sentence"] == "¥49,900 more, or 2 more purchases to reach Gold"
    await buy(api, staff, "o2", 10_000)
    assert (await tier_of(api, member.access_token))["current"]["code"] == "BASE"
    await buy(api, staff, "o3", 10_050)
    tier = await tier_of(api, member.access_token)
    assert tier["current"]["code"] == "GOLD" and tier["progress"]["purchasesInWindow"] == 3
    assert tier["progress"]["sentence"] == "再消费¥99,699.50即可升级为Platinum"


async def test_all_paths_must_be_met_under_all(setup) -> None:
    api, staff, member, tiers = setup
    await save_tier(api.container.uow(), STAFF, replace(tiers["GOLD"], min_purchases=3, qualify_mode=QualifyMode.ALL))
    await buy(api, staff, "big", 5_000_000)
    tier = await tier_of(api, member.access_token)
    assert tier["current"]["code"] == "BASE", "spend alone is not enough under ALL"
    assert tier["progress"]["mode"] == "ALL" and tier["progress"]["sentence"] == "再购物2次即可升级为Gold"
    await buy(api, staff, "s1", 100)
    await buy(api, staff, "s2", 100)
    assert (await tier_of(api, member.access_token))["current"]["code"] == "GOLD"


async def test_tier_points_qualify_and_spending_points_does_not_lower_them(setup) -> None:
    api, staff, member, tiers = setup
    data = await api.data(SAVE_TIER, {"i": {"id": str(tiers["GOLD"].id), "code": "GOLD", "name": "Gold", "rank": 1,
                                            "thresholdCents": 5_000_000, "multiplierPct": 125,
                                            "upgradeRewardPoints": 500, "spendPath": False, "minTierPoints": 1_000}},
                          staff)
    assert data["saveTier"]["tier"] == {"code": "GOLD", "minPurchases": None, "minTierPoints": 1_000,
                                        "qualifyMode": "ANY", "spendPath": False}
    await buy(api, staff, "o1", 99_900, api.container.now() - timedelta(days=10))  # 999 points, spendable now
    tier = await tier_of(api, member.access_token)
    assert tier["current"]["code"] == "BASE" and tier["progress"]["paths"] == [
        {"path": "TIER_POINTS", "current": 999, "required": 1_000, "remaining": 1}]
    assert tier["progress"]["sentence"] == "再获得1定级积分即可升级为Gold"
    await buy(api, staff, "o2", 100, api.container.now() - timedelta(days=10))
    tier = await tier_of(api, member.access_token)
    # The 500 upgrade reward points are spendable but not qualifying.
    assert tier["current"]["code"] == "GOLD" and tier["progress"]["tierPointsInWindow"] == 1_000
    await api.sign_in("13900139000")
    await api.data(GIFT, {"i": {"recipient": {"phone": "13900139000"}, "amount": 1_200, "idempotencyKey": "g"}},
                   member.access_token)
    assert (await tier_of(api, member.access_token))["progress"]["tierPointsInWindow"] == 1_000


async def test_calendar_year_window_starts_on_local_new_year(setup) -> None:
    api, staff, member, _tiers = setup
    await api.data(SETTINGS, {"i": {"tierCalendarYear": 1}}, staff)
    zone = ZoneInfo("Asia/Shanghai")
    new_year = datetime.combine(api.container.now().astimezone(zone).date().replace(month=1, day=1), time(0), zone)
    await buy(api, staff, "old", 5_000_000, (new_year - timedelta(minutes=30)).astimezone(UTC))
    tier = await tier_of(api, member.access_token)
    assert tier["current"]["code"] == "BASE" and tier["progress"]["amountInWindowCents"] == 0
    assert tier["progress"]["windowStart"] == new_year.astimezone(UTC).isoformat()
    await buy(api, staff, "new", 5_000_000, (new_year + timedelta(minutes=30)).astimezone(UTC))
    assert (await tier_of(api, member.access_token))["current"]["code"] == "GOLD"


@pytest.mark.parametrize("one_step", [0, 1])
async def test_downgrade_policy_at_review(setup, monkeypatch, one_step: int) -> None:
    api, staff, member, _tiers = setup
    await api.data(SETTINGS, {"i": {"tierDowngradeOneStep": one_step}}, staff)
    await buy(api, staff, "big", 20_000_000)
    assert (await tier_of(api, member.access_token))["current"]["code"] == "DIAMOND"
    later = api.container.now() + timedelta(days=370)  # hold over, nothing bought in the window
    monkeypatch.setattr(api.container, "now", lambda: later)
    await evaluate_tiers(api.container.uow, later)
    expected = "PLATINUM" if one_step else "BASE"
    assert (await tier_of(api, member.access_token))["current"]["code"] == expected
    # One step at a time: the next step comes after another grace period, not at the next run.
    await evaluate_tiers(api.container.uow, later + timedelta(days=1))
    assert (await tier_of(api, member.access_token))["current"]["code"] == expected
    if one_step:
        await evaluate_tiers(api.container.uow, later + timedelta(days=370))
        monkeypatch.setattr(api.container, "now", lambda: later + timedelta(days=370))
        assert (await tier_of(api, member.access_token))["current"]["code"] == "GOLD"
