"""Offline events (capacity, tiers, window, attendance points once) and referrals (rewarded once)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.support.client import SIGN_IN, ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE = """mutation($i: SaveEventInput!) { saveEvent(input: $i) { id seatsLeft } }"""
SIGN_UP = "mutation($e: ID!) { signUpForEvent(eventId: $e) { status checkinCode } }"
CANCEL = "mutation($e: ID!) { cancelEventSignup(eventId: $e) { status } }"
DOOR = "mutation($c: String!) { checkInAttendee(code: $c) { status } }"
POINTS = "{ me { points { total } } }"


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    return api, await staff_token(api)


def event_input(api: ApiClient, **extra: object) -> dict:
    now = api.container.now()
    return {"title": "Wine tasting", "capacity": 2, "attendancePoints": 30,
            "signupOpensAt": (now - timedelta(days=1)).isoformat(),
            "signupClosesAt": (now + timedelta(days=5)).isoformat(),
            "startsAt": (now + timedelta(days=6)).isoformat(), **extra}


async def test_sign_up_cancel_and_attendance_points_once(setup) -> None:
    api, staff = setup
    event = (await api.data(SAVE, {"i": event_input(api)}, staff))["saveEvent"]["id"]
    alice = await api.sign_in("13800138000")
    signup = (await api.data(SIGN_UP, {"e": event}, alice.access_token))["signUpForEvent"]
    again = (await api.data(SIGN_UP, {"e": event}, alice.access_token))["signUpForEvent"]
    assert again == signup, "signing up twice keeps one seat"
    assert (await api.data(CANCEL, {"e": event}, alice.access_token))["cancelEventSignup"]["status"] == "CANCELLED"
    signup = (await api.data(SIGN_UP, {"e": event}, alice.access_token))["signUpForEvent"]
    upcoming = (await api.data("{ upcomingEvents { seatsLeft } }", token=alice.access_token))["upcomingEvents"]
    assert upcoming == [{"seatsLeft": 1}]
    for _ in range(2):
        assert (await api.data(DOOR, {"c": signup["checkinCode"]}, staff))["checkInAttendee"]["status"] == "ATTENDED"
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 30
    assert error_codes(await api.gql(DOOR, {"c": signup["checkinCode"]}, alice.access_token)) == ["FORBIDDEN"]


async def test_full_closed_and_tier_restricted_events_are_refused(setup) -> None:
    api, staff = setup
    now = api.container.now()
    closed = (await api.data(SAVE, {"i": event_input(api, signupClosesAt=(now - timedelta(hours=1)).isoformat(),
                                                    signupOpensAt=(now - timedelta(days=2)).isoformat())},
                             staff))["saveEvent"]["id"]
    vip = (await api.data(SAVE, {"i": event_input(api, minTierRank=2)}, staff))["saveEvent"]["id"]
    member = await api.sign_in("13800138000")
    assert error_codes(await api.gql(SIGN_UP, {"e": closed}, member.access_token)) == ["CONFLICT"]
    assert error_codes(await api.gql(SIGN_UP, {"e": vip}, member.access_token)) == ["NOT_ELIGIBLE"]
    assert error_codes(await api.gql(SIGN_UP, {"e": "999"}, member.access_token)) == ["NOT_FOUND"]
    bad = await api.gql(SAVE, {"i": event_input(api, capacity=0)}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_concurrent_sign_ups_never_overbook(setup) -> None:
    api, staff = setup
    event = (await api.data(SAVE, {"i": event_input(api, capacity=3)}, staff))["saveEvent"]["id"]
    members = [await api.sign_in(f"1380000{i:04d}") for i in range(10)]
    bodies = await asyncio.gather(*(api.gql(SIGN_UP, {"e": event}, m.access_token) for m in members))
    assert sum("errors" not in b for b in bodies) == 3
    assert {c for b in bodies for c in error_codes(b)} == {"EVENT_FULL"}


async def test_referral_rewards_both_once_on_the_first_purchase(setup) -> None:
    api, staff = setup
    alice = await api.sign_in("13800138000")
    code = (await api.data("{ me { referrals { inviteCode } } }", token=alice.access_token))["me"]["referrals"][
        "inviteCode"]
    sms = await api.request_code("13900139000")
    bad = await api.gql(SIGN_IN.replace("$code: String!)", "$code: String!, $invite: String)").replace(
        "code: $code)", "code: $code, inviteCode: $invite)"), {"phone": "13900139000", "code": sms, "invite": "NOPE"})
    assert error_codes(bad) == ["BAD_USER_INPUT"], "an unknown invite code fails the sign-up and creates nothing"
    signed = await api.data(SIGN_IN.replace("$code: String!)", "$code: String!, $invite: String)").replace(
        "code: $code)", "code: $code, inviteCode: $invite)"), {"phone": "13900139000", "code": sms, "invite": code})
    assert signed["signIn"]["isNewMember"] is True
    bob_token = signed["signIn"]["session"]["accessToken"]
    purchase = """mutation($o: String!) { recordPurchase(input: {member: {phone: "13900139000"}, orderId: $o,
      storeId: "S1", amountCents: 1000, items: [{category: "x", amountCents: 1000}]}) { pointsEarned } }"""
    for order in ("R1", "R2"):
        await api.data(purchase, {"o": order}, staff)
    assert (await api.data(POINTS, token=bob_token))["me"]["points"]["total"] == 10 + 10 + 100
    summary = (await api.data("{ me { referrals { invitedCount rewardedInvitees pointsEarned } points { total } } }",
                              token=alice.access_token))["me"]
    assert summary["referrals"] == {"invitedCount": 1, "rewardedInvitees": 1, "pointsEarned": 200}
    assert summary["points"]["total"] == 200
