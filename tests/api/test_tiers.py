"""Tiers: immediate upgrade on the qualifying purchase, downgrade only at review after the hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.tiers.services import evaluate_tiers
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

PURCHASE = """mutation($o: String!, $c: Int!) { recordPurchase(input: {
  member: {phone: "13800138000"}, orderId: $o, storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}]
}) { pointsEarned tierChanged } }"""
REFUND = """mutation($o: String!, $r: String!, $c: Int!) { recordRefund(input: {
  orderId: $o, storeId: "S1", refundId: $r, amountCents: $c }) { refund { pointsReversed } } }"""
TIER = """{ me {
  tier { current { code multiplierPct } next { code thresholdCents }
         progress { amountInWindowCents spendToNextCents windowStart windowEnd } expiresAt }
  tierHistory { totalCount edges { node { reason spendCents fromTier { code } toTier { code name } } } }
  points { total pending }
} }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    return api, member, await staff_token(api)


def move_clock(api: ApiClient, monkeypatch, days: float) -> None:
    moment = api.container.now() + timedelta(days=days)
    monkeypatch.setattr(api.container, "now", lambda: moment)


async def test_new_member_is_on_the_base_tier_with_progress(setup) -> None:
    api, member, _ = setup
    tier = (await api.data(TIER, token=member.access_token))["me"]["tier"]
    assert tier["current"]["code"] == "BASE" and tier["next"] == {"code": "GOLD", "thresholdCents": 5_000_000}
    assert tier["progress"]["spendToNextCents"] == 5_000_000 and tier["expiresAt"] is None


async def test_crossing_a_threshold_upgrades_at_once_and_pays_the_reward_once(setup) -> None:
    api, member, staff = setup
    first = (await api.data(PURCHASE, {"o": "T-1", "c": 3_000_000}, staff))["recordPurchase"]
    assert first == {"pointsEarned": 30_000, "tierChanged": False}
    second = (await api.data(PURCHASE, {"o": "T-2", "c": 2_500_000}, staff))["recordPurchase"]
    assert second["tierChanged"] is True
    me = (await api.data(TIER, token=member.access_token))["me"]
    assert me["tier"]["current"] == {"code": "GOLD", "multiplierPct": 125}
    assert me["tier"]["progress"]["amountInWindowCents"] == 5_500_000
    assert me["tier"]["progress"]["spendToNextCents"] == 4_500_000
    assert me["tier"]["expiresAt"] is not None
    assert [h["node"]["reason"] for h in me["tierHistory"]["edges"]] == ["UPGRADE"]
    change = me["tierHistory"]["edges"][0]["node"]
    assert change["fromTier"] is None or change["fromTier"]["code"] == "BASE"
    assert change["toTier"]["code"] == "GOLD" and change["toTier"]["name"], "the screen shows tier names, not ids"
    assert me["tierHistory"]["totalCount"] == 1
    # 30,000 + 25,000 at base rate, plus the Gold welcome reward (available at once).
    assert me["points"]["total"] == 55_000 + 500
    # Gold members earn 1.25x from now on.
    third = (await api.data(PURCHASE, {"o": "T-3", "c": 10_000}, staff))["recordPurchase"]
    assert third["pointsEarned"] == 125


async def test_a_big_purchase_can_jump_several_tiers(setup) -> None:
    api, member, staff = setup
    await api.data(PURCHASE, {"o": "BIG", "c": 25_000_000}, staff)
    me = (await api.data(TIER, token=member.access_token))["me"]
    assert me["tier"]["current"]["code"] == "DIAMOND" and me["tier"]["next"] is None
    assert me["points"]["total"] == 250_000 + 2_000, "the reward of the tier reached"


async def test_downgrade_waits_for_the_review_after_the_hold(setup, monkeypatch) -> None:
    api, member, staff = setup
    # A 24-month window keeps G-1 in it at the review, so only the refund can take Gold away.
    await api.data(WINDOW, {"m": 24}, staff)
    await api.data(PURCHASE, {"o": "G-1", "c": 6_000_000}, staff)
    # A refund drops the spend below Gold, but the tier is held.
    await api.data(REFUND, {"o": "G-1", "r": "RF", "c": 2_000_000}, staff)
    assert (await api.data(TIER, token=member.access_token))["me"]["tier"]["current"]["code"] == "GOLD"
    assert await evaluate_tiers(api.container.uow, api.container.now()) == {
        "reviewed": 0, "downgraded": 0, "upgraded": 0}

    move_clock(api, monkeypatch, 366)
    counts = await evaluate_tiers(api.container.uow, api.container.now())
    assert counts == {"reviewed": 1, "downgraded": 1, "upgraded": 0}
    assert await evaluate_tiers(api.container.uow, api.container.now()) == {
        "reviewed": 0, "downgraded": 0, "upgraded": 0}, "the review is idempotent"
    me = (await api.data(TIER, token=member.access_token))["me"]
    assert me["tier"]["current"]["code"] == "BASE"
    assert [(h["node"]["reason"], h["node"]["spendCents"]) for h in me["tierHistory"]["edges"]] == [
        ("DOWNGRADE", 4_000_000), ("UPGRADE", 6_000_000)], "6,000,000 bought less 2,000,000 refunded"


async def test_requalifying_members_keep_their_tier(setup, monkeypatch) -> None:
    api, _member, staff = setup
    await api.data(PURCHASE, {"o": "K-1", "c": 5_000_000}, staff)
    move_clock(api, monkeypatch, 300)
    await api.data(PURCHASE, {"o": "K-2", "c": 5_000_000}, staff)  # reaches Platinum: upgrade
    move_clock(api, monkeypatch, 100)  # day 400: K-1 has left the window
    counts = await evaluate_tiers(api.container.uow, api.container.now())
    assert counts["reviewed"] == 0, "the Platinum hold started at the upgrade and has not run out"


async def test_tier_configuration_is_staff_only_and_validated(setup) -> None:
    api, member, staff = setup
    save = """mutation($i: SaveTierInput!) { saveTier(input: $i) { tier { code rank } } }"""
    bad = {"code": "SILVER", "name": "Silver", "rank": 1, "thresholdCents": 1_000}
    assert error_codes(await api.gql(save, {"i": bad}, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(save, {"i": bad}, staff)) == ["BAD_USER_INPUT"], "rank 1 is Gold's"
    ok = {"code": "black", "name": "Black Card", "rank": 4, "thresholdCents": 50_000_000, "multiplierPct": 300}
    assert (await api.data(save, {"i": ok}, staff))["saveTier"]["tier"] == {"code": "BLACK", "rank": 4}
    ladder = (await api.data("{ tiers { code } }", token=member.access_token))["tiers"]
    assert [t["code"] for t in ladder] == ["BASE", "GOLD", "PLATINUM", "DIAMOND", "BLACK"]


SAVE_TIER = """mutation($i: SaveTierInput!) { saveTier(input: $i) { tier { code thresholdCents } } }"""
GOLD_AT_40K = {"code": "GOLD", "name": "Gold", "rank": 1, "thresholdCents": 4_000_000, "multiplierPct": 125,
               "upgradeRewardPoints": 500, "benefits": ["Free parking 2h"]}
WINDOW = """mutation($m: Int!) { updateProgramSettings(input: {tierWindowMonths: $m}) {
  settings { tierWindowMonths } } }"""


def months_between(progress: dict) -> int:
    start, end = progress["windowStart"], progress["windowEnd"]
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


async def test_a_staff_change_to_the_ladder_or_settings_shows_on_the_next_home_screen(setup) -> None:
    api, member, staff = setup
    before = (await api.data(TIER, token=member.access_token))["me"]["tier"]  # the worker now holds the ladder
    assert before["next"] == {"code": "GOLD", "thresholdCents": 5_000_000}
    assert months_between(before["progress"]) == 12
    gold = next(t for t in (await api.data("{ tiers { id code } }", token=staff))["tiers"] if t["code"] == "GOLD")
    await api.data(SAVE_TIER, {"i": {"id": gold["id"], **GOLD_AT_40K}}, staff)
    after = (await api.data(TIER, token=member.access_token))["me"]["tier"]
    assert after["next"] == {"code": "GOLD", "thresholdCents": 4_000_000}
    assert after["progress"]["spendToNextCents"] == 4_000_000
    await api.data(WINDOW, {"m": 6}, staff)
    assert months_between((await api.data(TIER, token=member.access_token))["me"]["tier"]["progress"]) == 6


async def test_another_worker_sees_a_ladder_change_once_its_copy_expires(make_client) -> None:
    # Two apps on one database, as two uvicorn workers are; the second one's clock for its copy of
    # the ladder is driven by hand instead of waiting.
    first, second = make_client(), make_client()
    await configure_program(first.container)
    staff = await staff_token(first)
    member = await first.sign_in("13800138000")
    clock = [1000.0]
    second.container.program._clock = lambda: clock[0]
    assert (await second.data(TIER, token=member.access_token))["me"]["tier"]["next"]["thresholdCents"] == 5_000_000
    gold = next(t for t in (await first.data("{ tiers { id code } }", token=staff))["tiers"] if t["code"] == "GOLD")
    await first.data(SAVE_TIER, {"i": {"id": gold["id"], **GOLD_AT_40K}}, staff)
    assert (await first.data(TIER, token=member.access_token))["me"]["tier"]["next"]["thresholdCents"] == 4_000_000
    # Until its copy expires the other worker still shows the old threshold: the bounded delay
    # traded for two statements fewer per home screen.
    assert (await second.data(TIER, token=member.access_token))["me"]["tier"]["next"]["thresholdCents"] == 5_000_000
    clock[0] += 1.5  # past the 1 s the other worker keeps its copy
    assert (await second.data(TIER, token=member.access_token))["me"]["tier"]["next"]["thresholdCents"] == 4_000_000
