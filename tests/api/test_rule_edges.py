"""Rules tested at their edges, through the API a member app or till uses: each test fails when its
rule is off by one (a second, a day, one item, one row) in either direction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.auth.viewer import Role, Viewer
from domain.checkins.services import SummaryQuery
from domain.checkins.services import summary as checkin_summary
from domain.errors import Forbidden, NotFound
from domain.points.balance import BalanceRead
from domain.points.expiry import expire_points
from domain.points.lots import add_months
from domain.points.queries import HistoryQuery, balance_for, history
from domain.store.tables import members
from domain.tiers.services import evaluate_tiers, tier_history, tier_progress
from tests.support.catalog import add_reward
from tests.support.client import ENGLISH, ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) { adjustPoints(input: {memberId: $m, amount: $a,
  reason: "edge", idempotencyKey: $k}) { balance { total } } }"""
GIFT = """mutation($p: String!, $a: Int!, $k: String!) { giftPoints(input: {recipient: {phone: $p}, amount: $a,
  idempotencyKey: $k}) { balance { available } } }"""
POINTS = "{ me { points { available pending total expiringSoon(days: 30) } } }"
HISTORY = """query($first: Int!, $after: String, $kinds: [PointsEntryKind!]) {
  me { pointsHistory(first: $first, after: $after, kinds: $kinds) {
    edges { node { kind amount } } pageInfo { hasNextPage endCursor } } } }"""
PURCHASE = """mutation($o: String!, $c: Int!, $at: DateTime) { recordPurchase(input: {
  member: {phone: "13800138000"}, orderId: $o, storeId: "S1", amountCents: $c, purchasedAt: $at,
  items: [{category: "x", amountCents: $c}] }) { pointsEarned tierChanged } }"""
REFUND = """mutation($o: String!, $r: String!, $c: Int!) { recordRefund(input: {
  orderId: $o, storeId: "S1", refundId: $r, amountCents: $c }) { refund { pointsReversed } } }"""
TIER = """{ me { tier { current { code } progress { amountInWindowCents spendToNextCents } }
  tierHistory { nodes { reason spendCents } } } }"""
ALICE, BOB = "13800138000", "13900139000"


class Clock:
    """The app's clock, held still and moved by the test to exact moments. It starts at the real
    time, because access tokens are checked against the real clock."""

    def __init__(self, api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.start = self.moment = api.container.now().replace(microsecond=0)
        monkeypatch.setattr(api.container, "now", lambda: self.moment)

    def set(self, moment: datetime) -> datetime:
        self.moment = moment
        return moment


@pytest.fixture
async def setup(api: ApiClient, monkeypatch: pytest.MonkeyPatch):
    clock = Clock(api, monkeypatch)
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in(ALICE)
    bob = await api.sign_in(BOB)
    return api, clock, staff, alice, bob


async def points(api: ApiClient, token: str) -> dict:
    return (await api.data(POINTS, token=token))["me"]["points"]


async def kinds_in_history(api: ApiClient, token: str, first: int = 50, kinds: list[str] | None = None) -> list:
    page = (await api.data(HISTORY, {"first": first, "kinds": kinds}, token))["me"]["pointsHistory"]
    return [(e["node"]["kind"], e["node"]["amount"]) for e in page["edges"]]


# -- points: expiry, pending, oldest first ------------------------------------------------------


async def test_points_expire_at_their_expiry_moment_not_a_moment_later(setup) -> None:
    api, clock, staff, alice, _bob = setup
    await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": "lot"}, staff)
    expiry = add_months(clock.start, 12)  # the program's default points_expiry_months

    clock.set(expiry - timedelta(seconds=1))
    assert (await points(api, alice.access_token))["available"] == 100, "still spendable a second before"
    assert (await expire_points(api.container.uow, clock.moment))["lots"] == 0

    clock.set(expiry)
    assert (await points(api, alice.access_token))["available"] == 0, "not spendable at the expiry moment"
    assert await expire_points(api.container.uow, clock.moment) == {"members": 1, "lots": 1, "points": 100}
    assert (await points(api, alice.access_token))["total"] == 0
    assert (await kinds_in_history(api, alice.access_token))[0] == ("EXPIRE", -100)


async def test_purchase_points_are_pending_until_the_return_window_ends_to_the_second(setup) -> None:
    api, clock, staff, alice, _bob = setup
    await api.data(PURCHASE, {"o": "P-1", "c": 38_800}, staff)
    window_end = clock.start + timedelta(days=7)  # the program's default return_window_days

    clock.set(window_end - timedelta(seconds=1))
    assert await points(api, alice.access_token) == {"available": 0, "pending": 388, "total": 388,
                                                     "expiringSoon": 0}
    early = await api.gql(GIFT, {"p": BOB, "a": 1, "k": "early"}, alice.access_token)
    assert error_codes(early) == ["INSUFFICIENT_POINTS"], "pending points cannot be spent"

    clock.set(window_end)
    assert await points(api, alice.access_token) == {"available": 388, "pending": 0, "total": 388,
                                                     "expiringSoon": 0}
    await api.data(GIFT, {"p": BOB, "a": 388, "k": "on-time"}, alice.access_token)
    assert (await points(api, alice.access_token))["total"] == 0


async def test_the_oldest_points_are_spent_first(setup) -> None:
    api, clock, staff, alice, _bob = setup
    await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": "old"}, staff)  # expires clock.start + 12 months
    clock.set(add_months(clock.start, 1))
    await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": "new"}, staff)  # expires clock.start + 13 months
    clock.set(add_months(clock.start, 2))
    await api.data(GIFT, {"p": BOB, "a": 150, "k": "spend"}, alice.access_token)

    # The old lot was used up, so nothing expires with it; the newer lot keeps its last 50.
    clock.set(add_months(clock.start, 12))
    await expire_points(api.container.uow, clock.moment)
    assert (await points(api, alice.access_token))["total"] == 50
    assert "EXPIRE" not in [k for k, _ in await kinds_in_history(api, alice.access_token)]
    clock.set(add_months(clock.start, 13))
    await expire_points(api.container.uow, clock.moment)
    assert (await kinds_in_history(api, alice.access_token))[0] == ("EXPIRE", -50)


# -- history pages ------------------------------------------------------------------------------


async def test_has_next_page_is_false_exactly_at_the_last_page_boundary(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    for i in range(20):
        await api.data(ADJUST, {"m": alice.member_id, "a": i + 1, "k": f"h{i}"}, staff)

    async def page(first: int, after: str | None = None) -> dict:
        return (await api.data(HISTORY, {"first": first, "after": after}, alice.access_token))["me"]["pointsHistory"]

    first = await page(10)
    assert first["pageInfo"]["hasNextPage"] is True
    second = await page(10, first["pageInfo"]["endCursor"])
    assert [e["node"]["amount"] for e in second["edges"]] == list(range(10, 0, -1))
    assert second["pageInfo"]["hasNextPage"] is False, "20 entries in pages of 10: no third page"
    assert (await page(20))["pageInfo"]["hasNextPage"] is False
    assert (await page(19))["pageInfo"]["hasNextPage"] is True


async def test_the_kinds_filter_keeps_only_the_asked_kinds_across_pages(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    for i in range(3):
        await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": f"a{i}"}, staff)
        await api.data(GIFT, {"p": BOB, "a": i + 1, "k": f"g{i}"}, alice.access_token)
    assert await kinds_in_history(api, alice.access_token, kinds=["GIFT_OUT"]) == [
        ("GIFT_OUT", -3), ("GIFT_OUT", -2), ("GIFT_OUT", -1)]
    both = await kinds_in_history(api, alice.access_token, kinds=["GIFT_OUT", "ADJUST"])
    assert len(both) == 6
    pages, after = [], None
    while True:
        page = (await api.data(HISTORY, {"first": 2, "after": after, "kinds": ["ADJUST"]},
                               alice.access_token))["me"]["pointsHistory"]
        pages.append([e["node"]["kind"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [["ADJUST", "ADJUST"], ["ADJUST"]]
    assert await kinds_in_history(api, alice.access_token, kinds=["EXPIRE"]) == []


# -- rewards: sorting with ties ------------------------------------------------------------------


async def test_reward_sorting_with_equal_prices_pages_without_gaps_or_repeats(setup) -> None:
    api, _clock, _staff, alice, _bob = setup
    for i, price in enumerate([300, 500, 500, 100, 500, 500]):
        await add_reward(api.container, f"R{i}", price=price)
    query = """query($after: String, $sort: RewardSort!) { rewards(first: 2, after: $after, sort: $sort) {
      edges { node { name } } pageInfo { hasNextPage endCursor } } }"""

    async def all_pages(sort: str) -> list[str]:
        names, after = [], None
        while True:
            page = (await api.data(query, {"after": after, "sort": sort}, alice.access_token))["rewards"]
            names += [e["node"]["name"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return names
            after = page["pageInfo"]["endCursor"]

    # Equal prices: newest first when descending, oldest first when ascending; page cuts inside ties.
    assert await all_pages("PRICE_DESC") == ["R5", "R4", "R2", "R1", "R0", "R3"]
    assert await all_pages("PRICE_ASC") == ["R3", "R0", "R1", "R2", "R4", "R5"]
    assert await all_pages("NEWEST") == ["R5", "R4", "R3", "R2", "R1", "R0"]


# -- tiers: refunds and the rolling window ------------------------------------------------------


async def test_refunded_spend_does_not_count_towards_a_tier(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    await api.data(PURCHASE, {"o": "A", "c": 4_000_000}, staff)
    await api.data(REFUND, {"o": "A", "r": "RF", "c": 1_000_000}, staff)
    # 5,500,000 bought, 1,000,000 of it refunded: 4,500,000 counts, short of Gold (5,000,000).
    second = (await api.data(PURCHASE, {"o": "B", "c": 1_500_000}, staff))["recordPurchase"]
    assert second["tierChanged"] is False
    me = (await api.data(TIER, token=alice.access_token))["me"]
    assert me["tier"] == {"current": {"code": "BASE"},
                          "progress": {"amountInWindowCents": 4_500_000, "spendToNextCents": 500_000}}
    # Exactly the threshold after refunds qualifies.
    third = (await api.data(PURCHASE, {"o": "C", "c": 500_000}, staff))["recordPurchase"]
    assert third["tierChanged"] is True
    me = (await api.data(TIER, token=alice.access_token))["me"]
    assert me["tier"]["current"]["code"] == "GOLD"
    assert me["tierHistory"]["nodes"] == [{"reason": "UPGRADE", "spendCents": 5_000_000}]


async def test_the_tier_window_counts_a_purchase_by_when_it_was_made(setup) -> None:
    api, clock, staff, alice, _bob = setup
    # Recorded today, bought 13 months ago: outside the 12-month window, for the decision and the display.
    old = add_months(clock.start, -13).isoformat()
    late = (await api.data(PURCHASE, {"o": "OLD", "c": 6_000_000, "at": old}, staff))["recordPurchase"]
    assert late["tierChanged"] is False
    me = (await api.data(TIER, token=alice.access_token))["me"]
    assert me["tier"]["progress"]["amountInWindowCents"] == 0 and me["tier"]["current"]["code"] == "BASE"
    # Bought a second inside the window: it counts.
    recent = (add_months(clock.start, -12) + timedelta(seconds=1)).isoformat()
    inside = (await api.data(PURCHASE, {"o": "IN", "c": 5_000_000, "at": recent}, staff))["recordPurchase"]
    assert inside["tierChanged"] is True
    me = (await api.data(TIER, token=alice.access_token))["me"]
    assert me["tier"]["progress"]["amountInWindowCents"] == 5_000_000


# -- check-ins ----------------------------------------------------------------------------------

CHECK_IN = "mutation { checkIn { points streak } }"
STREAK = "{ me { checkIns { streak today } } }"


async def test_one_missed_day_resets_the_streak(setup) -> None:
    api, clock, staff, alice, _bob = setup
    await api.data("""mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Check-in", activity: CHECK_IN,
      points: 10, cap: 10}) { rule { id } } }""", token=staff)
    day = clock.start
    for expected in (1, 2):
        assert (await api.data(CHECK_IN, token=alice.access_token))["checkIn"]["streak"] == expected
        day = clock.set(day + timedelta(days=1))
    # The next day, not yet checked in: the streak is still alive.
    assert (await api.data(STREAK, token=alice.access_token))["me"]["checkIns"] == {"streak": 2, "today": False}
    day = clock.set(day + timedelta(days=1))  # one day missed
    assert (await api.data(STREAK, token=alice.access_token))["me"]["checkIns"] == {"streak": 0, "today": False}
    assert (await api.data(CHECK_IN, token=alice.access_token))["checkIn"]["streak"] == 1


# -- coupons limited to categories ----------------------------------------------------------------


async def test_spend_and_save_limited_to_categories_counts_only_eligible_items(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    save = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"""
    template = (await api.data(save, {"i": {"name": "满300减50 beauty", "kind": "SPEND_AND_SAVE",
                                            "valueCents": 5_000, "minSpendCents": 30_000, "validDays": 30,
                                            "categories": ["beauty"]}}, staff))["saveCouponTemplate"]["template"]
    await api.data("""mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }""",
                   {"i": {"templateId": template["id"], "idempotencyKey": "k", "memberIds": [alice.member_id]}},
                   staff)
    code = (await api.data("{ me { coupons { nodes { code } } } }", token=alice.access_token)
            )["me"]["coupons"]["nodes"][0]["code"]
    validate = """query($i: CouponOrderInput!) { validateCoupon(input: $i) { applies discountCents } }"""

    async def check(*items: tuple[str, int]) -> dict:
        basket = {"code": code, "storeId": "S1", "items": [{"category": c, "amountCents": a} for c, a in items]}
        return (await api.data(validate, {"i": basket}, staff))["validateCoupon"]

    assert await check(("beauty", 29_999), ("apparel", 50_000)) == {"applies": False, "discountCents": 0}
    assert await check(("beauty", 30_000), ("apparel", 1)) == {"applies": True, "discountCents": 5_000}
    assert await check(("beauty", 10_000), ("beauty", 20_000)) == {"applies": True, "discountCents": 5_000}


# -- privacy: erasure resets every personal field, not only text ----------------------------------

# Columns of `members` that erasure keeps or sets on purpose; every other column must look like a
# new member's after erasure, whatever its type (a column added later is checked without a change here).
KEPT_ON_ERASURE = {"id", "phone", "member_code", "joined_at", "version", "referrer_id", "marketing_consent_at",
                   "leaderboard_opt_out"}


async def test_erasure_resets_non_text_personal_data_too(setup) -> None:
    api, _clock, staff, alice, bob = setup
    await api.data("""mutation { updateProfile(input: {displayName: "Qiao", birthday: "1990-01-01",
      gender: FEMALE, tags: ["vip"], marketingConsent: true}) { member { id } } }""", token=alice.access_token)
    await api.data("""mutation($m: ID!) { correctBirthday(input: {memberId: $m, birthday: "1991-07-13",
      reason: "typo"}) { member { id } } }""", {"m": alice.member_id}, staff)
    await api.data("""mutation { requestErasure(input: {confirmation: "ERASE MY DATA"}) { memberId } }""",
                   token=alice.access_token)
    async with api.container.engine.connect() as conn:
        rows = {r.id: r._mapping for r in await conn.execute(select(members))}
    erased, fresh = rows[int(alice.member_id)], rows[int(bob.member_id)]
    personal = [c.name for c in members.columns if c.name not in KEPT_ON_ERASURE]
    assert {c: erased[c] for c in personal} == {c: fresh[c] for c in personal}
    assert {"gender", "birthday", "birthday_locked", "marketing_consent"} <= set(personal)


# -- use cases refuse callers even where no GraphQL field lets them ask ---------------------------


# Forbidden, or NotFound where the rule is that another member learns nothing, not even existence.
REFUSED = (Forbidden, NotFound)


async def test_use_cases_refuse_another_members_data_when_called_directly(setup) -> None:
    api, _clock, _staff, alice, bob = setup
    container = api.container
    intruder = Viewer(Role.MEMBER, int(bob.member_id))
    victim = int(alice.member_id)
    with pytest.raises(REFUSED):
        await history(HistoryQuery(victim, 10), container.deps(intruder))
    with pytest.raises(REFUSED):
        await balance_for(BalanceRead(victim, 30), container.deps(intruder))
    with pytest.raises(REFUSED):
        await tier_progress(container.uow(), intruder, victim, container.now())
    with pytest.raises(REFUSED):
        await tier_history(container.uow(), intruder, victim)
    with pytest.raises(REFUSED):
        await checkin_summary(SummaryQuery(victim), container.deps(intruder))
    # The same calls for oneself are answered: the refusal is about the caller, not the call.
    own = Viewer(Role.MEMBER, victim)
    assert (await history(HistoryQuery(victim, 10), container.deps(own))).entries == []


async def test_a_repeat_tap_returns_the_days_check_in_and_make_ups_keep_to_their_edges(setup) -> None:
    api, clock, staff, alice, bob = setup
    await api.data("""mutation { updateProgramSettings(input: {makeupCheckinsPerMonth: 1, makeupCostPoints: 20}) {
      settings { makeupCheckinsPerMonth } } }""", token=staff)
    tap = "mutation { checkIn { day points streak alreadyCheckedIn } }"
    clock.set(datetime(2026, 11, 5, 4, 0, tzinfo=UTC))
    for member in (alice, bob):
        await api.data(ADJUST, {"m": member.member_id, "a": 100, "k": f"seed-{member.member_id}"}, staff)
    # Bob checks in before there is a check-in rule (0 points), Alice after (10 points).
    assert (await api.data(tap, token=bob.access_token))["checkIn"]["points"] == 0
    await api.data("""mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Check-in", activity: CHECK_IN,
      points: 10, cap: 10}) { rule { id } } }""", token=staff)
    first = (await api.data(tap, token=alice.access_token))["checkIn"]
    again = (await api.data(tap, token=alice.access_token))["checkIn"]
    assert again == {**first, "alreadyCheckedIn": True} and first["points"] == 10, "her own day's points"

    makeup = "mutation($d: Date!) { makeUpCheckIn(day: $d) { day points streak alreadyCheckedIn } }"
    clock.set(datetime(2026, 11, 10, 4, 0, tzinfo=UTC))
    await api.data(makeup, {"d": "2026-11-01"}, bob.access_token)  # Bob's make-up is not Alice's

    async def refused(day: str) -> tuple[list, list]:
        body = await api.gql(makeup, {"d": day}, alice.access_token)
        fields = [f["field"] for e in body["errors"] for f in e["extensions"].get("fieldErrors", [])]
        return error_codes(body), fields

    assert await refused("2026-11-10") == (["BAD_USER_INPUT"], ["day"]), "today is a check-in, not a make-up"
    assert await refused("2026-11-05") == (["BAD_USER_INPUT"], ["day"]), "already checked in that day"
    made = (await api.data(makeup, {"d": "2026-11-01"}, alice.access_token))["makeUpCheckIn"]
    assert made == {"day": "2026-11-01", "points": 0, "streak": 1, "alreadyCheckedIn": False}
    assert (await refused("2026-11-02"))[0] == ["LIMIT_EXCEEDED"], "the 1st of the month counts towards the limit"
    history = await kinds_in_history(api, alice.access_token)
    assert history[0] == ("REDEEM", -20) and (await points(api, alice.access_token))["total"] == 100 + 10 - 20
    month = "{ me { checkIns { month { day makeup } } } }"
    assert (await api.data(month, token=alice.access_token))["me"]["checkIns"]["month"] == [
        {"day": "2026-11-01", "makeup": True}, {"day": "2026-11-05", "makeup": False}]


async def test_the_month_view_holds_exactly_that_months_days_and_refuses_unreal_months(setup) -> None:
    api, clock, _staff, alice, bob = setup
    for moment in (datetime(2026, 11, 30, 4, 0, tzinfo=UTC), datetime(2026, 12, 1, 4, 0, tzinfo=UTC)):
        clock.set(moment)
        await api.data(CHECK_IN, token=alice.access_token)
    await api.data(CHECK_IN, token=bob.access_token)  # Dec 1, Bob's own
    view = "query($y: Int, $m: Int) { me { checkIns { month(year: $y, month: $m) { day } } } }"

    async def days(year: int, month: int, token: str = alice.access_token) -> list[str]:
        found = (await api.data(view, {"y": year, "m": month}, token))["me"]["checkIns"]["month"]
        return [d["day"] for d in found]

    assert await days(2026, 11) == ["2026-11-30"]
    assert await days(2026, 12) == ["2026-12-01"]
    assert await days(2026, 10) == []
    assert await days(2026, 11, bob.access_token) == []
    for year, month in ((2000, 1), (2100, 12)):
        assert await days(year, month) == [], "the first and last allowed months"
    for year, month in ((2026, 0), (2026, 13), (1999, 6), (2101, 6)):
        body = await api.gql(view, {"y": year, "m": month}, alice.access_token)
        assert error_codes(body) == ["BAD_USER_INPUT"], (year, month)
        assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "month"


# -- claimable offers and the coupon badge ----------------------------------------------------------

SAVE_TEMPLATE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"""
OFFERS = "{ offers { name canClaim notClaimableReason } }"
CLAIM = "mutation($t: ID!) { claimOffer(templateId: $t) { coupon { code } } }"
BADGE = "{ me { availableCouponsCount } }"


async def test_claimable_offers_open_and_close_at_their_moments_and_run_out(setup) -> None:
    api, clock, staff, alice, bob = setup
    opens, closes = clock.start + timedelta(hours=1), clock.start + timedelta(hours=2)

    async def save(name: str, **fields: object) -> str:
        values = {"name": name, "kind": "CASH_OFF", "valueCents": 1_000, "claimable": True, **fields}
        return (await api.data(SAVE_TEMPLATE, {"i": values}, staff))["saveCouponTemplate"]["template"]["id"]

    timed = await save("Timed", validFrom=opens.isoformat(), validUntil=closes.isoformat())
    await save("Not claimable", claimable=False, validDays=30)
    await save("Switched off", active=False, validDays=30)
    scarce = await save("Only one", totalQuantity=1, validDays=1)

    async def listed(token: str = alice.access_token) -> dict[str, str | None]:
        """Listed offers by name, each with why it cannot be claimed (None: it can)."""
        offers = (await api.data(OFFERS, token=token))["offers"]
        assert all(o["canClaim"] is (o["notClaimableReason"] is None) for o in offers), offers
        return {o["name"]: o["notClaimableReason"] for o in offers}

    clock.set(opens - timedelta(seconds=1))
    assert await listed() == {"Only one": None}
    not_yet = await api.gql(CLAIM, {"t": timed}, alice.access_token, ENGLISH)
    assert error_codes(not_yet) == ["NOT_FOUND"] and "not started" in not_yet["errors"][0]["message"]
    clock.set(opens)
    assert await listed() == {"Only one": None, "Timed": None}
    await api.data(CLAIM, {"t": timed}, alice.access_token)
    assert await listed() == {"Only one": None, "Timed": "LIMIT_REACHED"}
    assert error_codes(await api.gql(CLAIM, {"t": timed}, alice.access_token)) == ["LIMIT_EXCEEDED"]
    clock.set(closes - timedelta(seconds=1))
    await api.data(CLAIM, {"t": timed}, bob.access_token)
    clock.set(closes)
    assert await listed() == {"Only one": None}
    ended = await api.gql(CLAIM, {"t": timed}, alice.access_token, ENGLISH)
    assert error_codes(ended) == ["NOT_FOUND"] and "ended" in ended["errors"][0]["message"]

    await api.data(CLAIM, {"t": scarce}, bob.access_token)
    assert await listed() == {"Only one": "SOLD_OUT"}, "the last one was claimed: still listed, not claimable"
    assert error_codes(await api.gql(CLAIM, {"t": scarce}, alice.access_token)) == ["OUT_OF_STOCK"]

    # The badge counts the coupons a member holds and can still use, up to their last moment.
    badge = {}
    for who in (alice, bob):
        badge[who.member_id] = (await api.data(BADGE, token=who.access_token))["me"]["availableCouponsCount"]
    assert badge == {alice.member_id: 0, bob.member_id: 1}, "Timed ran out at its close; Bob holds Only one"
    clock.set(closes + timedelta(days=1) - timedelta(seconds=1))
    assert (await api.data(BADGE, token=bob.access_token))["me"]["availableCouponsCount"] == 1
    clock.set(closes + timedelta(days=1))
    assert (await api.data(BADGE, token=bob.access_token))["me"]["availableCouponsCount"] == 0


async def test_leaderboard_masks_every_name_longer_than_one_character(setup) -> None:
    api, _clock, staff, alice, bob = setup
    for who, name in ((alice, "Al"), (bob, "B")):
        await api.data("mutation($n: String!) { updateProfile(input: {displayName: $n}) { member { id } } }",
                       {"n": name}, who.access_token)
    await api.data(PURCHASE, {"o": "L-1", "c": 20_000}, staff)
    await api.data("""mutation { recordPurchase(input: {member: {phone: "13900139000"}, orderId: "L-2",
      storeId: "S1", amountCents: 10000, items: [{category: "x", amountCents: 10000}]}) { pointsEarned } }""",
                   token=staff)
    rows = (await api.data("{ pointsLeaderboard(period: MONTH) { nodes { displayName points } } }",
                           token=alice.access_token))["pointsLeaderboard"]["nodes"]
    assert rows == [{"displayName": "A*", "points": 200}, {"displayName": "B", "points": 100}]


async def test_an_adjustment_without_a_reason_names_the_reason_field(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    body = await api.gql("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 5, reason: " ",
      idempotencyKey: "no-reason"}) { balance { total } } }""", {"m": alice.member_id}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert [f["field"] for f in body["errors"][0]["extensions"]["fieldErrors"]] == ["reason"]


async def test_purchase_and_refund_refusals_name_their_field(setup) -> None:
    api, _clock, staff, _alice, _bob = setup
    record = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""

    async def fields(query: str, values: dict) -> list[str]:
        body = await api.gql(query, {"i": values}, staff)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        return sorted({f["field"] for f in body["errors"][0]["extensions"]["fieldErrors"]})

    base = {"member": {"phone": ALICE}, "orderId": "V-1", "storeId": "S1"}
    assert await fields(record, {**base, "amountCents": 0, "items": [{"category": "x", "amountCents": 0}]}) == [
        "amountCents"], "a purchase of nothing"
    assert await fields(record, {**base, "amountCents": 100, "items": [
        {"category": "x", "amountCents": 150}, {"category": "y", "amountCents": -50}]}) == ["items"]
    await api.data(record, {"i": {**base, "amountCents": 100, "items": [{"category": "x", "amountCents": 100}]}},
                   staff)
    refund = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { refund { refundId } } }"""
    assert await fields(refund, {"orderId": "V-1", "storeId": "S1", "refundId": "R", "amountCents": 101}) == [
        "amountCents"], "more than was paid"


# -- tiers: the ladder as saved, reviews that renew or move down ------------------------------------


async def test_the_ladder_reads_back_as_saved_and_an_unknown_tier_id_is_not_found(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    ladder = (await api.data("""{ tiers { code name rank thresholdCents multiplierPct upgradeRewardPoints
      benefits active } }""", token=alice.access_token))["tiers"]
    assert ladder[1] == {"code": "GOLD", "name": "Gold", "rank": 1, "thresholdCents": 5_000_000,
                         "multiplierPct": 125, "upgradeRewardPoints": 500, "benefits": ["Free parking 2h"],
                         "active": True}
    save = """mutation($i: SaveTierInput!) { saveTier(input: $i) { tier { code } } }"""
    unknown = {"id": "999999", "code": "GHOST", "name": "Ghost", "rank": 9, "thresholdCents": 90_000_000}
    assert error_codes(await api.gql(save, {"i": unknown}, staff)) == ["NOT_FOUND"]


async def test_a_review_renews_a_requalified_tier_and_a_downgrade_pays_no_reward(setup) -> None:
    api, clock, staff, alice, bob = setup
    # Purchases stay in the window at the review: only refunds can lower the spend.
    window = "mutation { updateProgramSettings(input: {tierWindowMonths: 24}) { settings { tierWindowMonths } } }"
    await api.data(window, token=staff)
    status = """{ me { tier { current { code } expiresAt } tierHistory { nodes { reason fromTierId } }
      points { total } } }"""
    # Alice: Gold and still qualifying at the review. Bob: straight to Platinum, then a refund.
    await api.data(PURCHASE, {"o": "A-1", "c": 6_000_000}, staff)
    bob_order = """mutation($c: Int!) { recordPurchase(input: {member: {phone: "13900139000"}, orderId: "B-1",
      storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}]}) { tierChanged } }"""
    await api.data(bob_order, {"c": 11_000_000}, staff)
    await api.data("""mutation { recordRefund(input: {orderId: "B-1", storeId: "S1", refundId: "R",
      amountCents: 5000000}) { refund { pointsReversed } } }""", token=staff)
    bob_before = (await api.data(status, token=bob.access_token))["me"]
    assert bob_before["tierHistory"]["nodes"] == [{"reason": "UPGRADE", "fromTierId": None}], "no tier row before"

    review = clock.set(add_months(clock.start, 12))
    counts = await evaluate_tiers(api.container.uow, review)
    assert counts == {"reviewed": 2, "downgraded": 1, "upgraded": 0}
    alice_now = (await api.data(status, token=alice.access_token))["me"]
    assert alice_now["tier"]["current"]["code"] == "GOLD"
    renewed = datetime.fromisoformat(alice_now["tier"]["expiresAt"])
    assert renewed == add_months(review, 12), "another full hold from the review"
    bob_now = (await api.data(status, token=bob.access_token))["me"]
    assert bob_now["tier"]["current"]["code"] == "GOLD"
    assert bob_now["points"]["total"] == bob_before["points"]["total"], "moving down to Gold pays no Gold reward"
    assert await evaluate_tiers(api.container.uow, review) == {"reviewed": 0, "downgraded": 0, "upgraded": 0}


# -- privacy: consents, audit pages, erased sessions ------------------------------------------------


async def test_consents_show_when_and_where_and_lists_refuse_bad_sizes_on_first(setup) -> None:
    api, clock, staff, alice, bob = setup
    set_consent = """mutation($s: String!) { setConsent(input: {kind: MARKETING, granted: true, source: $s}) {
      consent { kind } } }"""
    await api.data(set_consent, {"s": "MINI_PROGRAM"}, alice.access_token)
    consents = "{ me { consents { kind granted at source } } }"
    mine = {c["kind"]: c for c in (await api.data(consents, token=alice.access_token))["me"]["consents"]}
    assert mine["MARKETING"]["granted"] is True and mine["MARKETING"]["source"] == "MINI_PROGRAM"
    assert datetime.fromisoformat(mine["MARKETING"]["at"]) == clock.moment
    assert mine["PARTNER_SHARING"] == {"kind": "PARTNER_SHARING", "granted": False, "at": None, "source": None}
    others = {c["kind"]: c for c in (await api.data(consents, token=bob.access_token))["me"]["consents"]}
    assert others["MARKETING"] == {"kind": "MARKETING", "granted": False, "at": None, "source": None}
    profile = (await api.data("{ me { marketingConsent } }", token=alice.access_token))["me"]
    assert profile == {"marketingConsent": True}

    def fields(body: dict) -> list[str]:
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        return [f["field"] for f in body["errors"][0]["extensions"]["fieldErrors"]]

    assert fields(await api.gql(set_consent, {"s": "bad source!"}, alice.access_token)) == ["source"]
    history = "query($n: Int!) { me { consentHistory(first: $n) { totalCount nodes { source } } } }"
    assert (await api.data(history, {"n": 1}, alice.access_token))["me"]["consentHistory"] == {
        "totalCount": 1, "nodes": [{"source": "MINI_PROGRAM"}]}
    assert fields(await api.gql(history, {"n": 0}, alice.access_token)) == ["first"]
    assert fields(await api.gql(history, {"n": 101}, alice.access_token)) == ["first"]
    audit = """query($m: ID!, $n: Int!, $a: String) { memberAuditLog(memberId: $m, first: $n, after: $a) {
      edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }"""
    assert fields(await api.gql(audit, {"m": alice.member_id, "n": 0}, staff)) == ["first"]
    assert fields(await api.gql(audit, {"m": alice.member_id, "n": 201}, staff)) == ["first"]
    assert fields(await api.gql(audit, {"m": alice.member_id, "n": 5, "a": "not a cursor"}, staff)) == ["after"]
    for _ in range(3):  # each staff export is audited
        await api.data("query($m: ID!) { exportMemberData(memberId: $m) { truncatedSections } }",
                       {"m": alice.member_id}, staff)
    whole = (await api.data(audit, {"m": alice.member_id, "n": 200}, staff))["memberAuditLog"]
    assert len(whole["nodes"]) >= 3 and whole["pageInfo"]["hasNextPage"] is False
    assert [int(n["id"]) for n in whole["nodes"]] == sorted((int(n["id"]) for n in whole["nodes"]), reverse=True)
    walked: list[dict] = []
    cursor = None
    while True:  # page by 2 with `after`: the same entries, newest first, none twice
        page = (await api.data(audit, {"m": alice.member_id, "n": 2, "a": cursor}, staff))["memberAuditLog"]
        walked += page["nodes"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]
    assert walked == whole["nodes"], "after: strictly older entries"


async def test_an_erased_members_token_is_refused_with_the_reason(setup) -> None:
    api, _clock, _staff, alice, _bob = setup
    export = (await api.data("{ exportMyData { document } }", token=alice.access_token))["exportMyData"]
    assert export["document"]["memberId"] in (alice.member_id, int(alice.member_id))
    await api.data("""mutation { requestErasure(input: {confirmation: "ERASE MY DATA"}) { memberId } }""",
                   token=alice.access_token)
    body = await api.gql("{ me { id } }", token=alice.access_token)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["extensions"]["reason"] == "ACCOUNT_ERASED"


async def test_coupons_expire_at_their_last_moment_and_a_used_one_does_not_apply(setup) -> None:
    api, clock, staff, alice, _bob = setup
    template = (await api.data(SAVE_TEMPLATE, {"i": {"name": "10 off", "kind": "CASH_OFF", "valueCents": 1_000,
                                                     "validDays": 3, "perMemberLimit": 2}}, staff)
                )["saveCouponTemplate"]["template"]["id"]
    for key in ("one", "two"):
        await api.data("""mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }""",
                       {"i": {"templateId": template, "idempotencyKey": key, "memberIds": [alice.member_id]}}, staff)
    listing = """query($s: CouponStatus, $n: Int!) { me { coupons(status: $s, first: $n) {
      nodes { code redeemedAt } } } }"""
    codes = [c["code"] for c in (await api.data(listing, {"n": 10}, alice.access_token))["me"]["coupons"]["nodes"]]
    basket = {"storeId": "S1", "items": [{"category": "x", "amountCents": 5_000}]}
    redeem = """mutation($i: CouponOrderInput!) { redeemCoupon(input: $i) { discountCents } }"""
    await api.data(redeem, {"i": {**basket, "code": codes[0], "orderId": "O-1"}}, staff)
    used = (await api.data(listing, {"s": "REDEEMED", "n": 10}, alice.access_token))["me"]["coupons"]["nodes"]
    assert [(c["code"], datetime.fromisoformat(c["redeemedAt"])) for c in used] == [(codes[0], clock.moment)]
    validate = """query($i: CouponOrderInput!) { validateCoupon(input: $i) { applies discountCents } }"""
    again = (await api.data(validate, {"i": {**basket, "code": codes[0]}}, staff))["validateCoupon"]
    assert again == {"applies": False, "discountCents": 0}

    ends = clock.start + timedelta(days=3)
    clock.set(ends - timedelta(seconds=1))
    assert (await api.data(listing, {"s": "EXPIRED", "n": 10}, alice.access_token))["me"]["coupons"]["nodes"] == []
    clock.set(ends)
    expired = (await api.data(listing, {"s": "EXPIRED", "n": 10}, alice.access_token))["me"]["coupons"]["nodes"]
    assert [c["code"] for c in expired] == [codes[1]]
    body = await api.gql(listing, {"n": 0}, alice.access_token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "first"


async def test_catalog_and_redemption_lists_take_one_and_refuse_zero(setup) -> None:
    api, _clock, _staff, alice, _bob = setup
    for i in range(2):
        await add_reward(api.container, f"R{i}", price=10 * (i + 1))
    one = (await api.data("{ rewards(first: 1, sort: PRICE_ASC) { edges { node { name } } } }",
                          token=alice.access_token))["rewards"]["edges"]
    assert [e["node"]["name"] for e in one] == ["R0"]
    for query in ("{ rewards(first: 0) { edges { node { name } } } }",
                  "{ me { redemptions(first: 0) { nodes { id } } } }"):
        body = await api.gql(query, token=alice.access_token)
        assert error_codes(body) == ["BAD_USER_INPUT"], query
        assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "first", query


# -- tiers: history order and pages, the smallest reward, holds renewed only at review ---------------

TIER_PAGE = """query($f: Int!, $a: String) { me { tierHistory(first: $f, after: $a) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { reason toTier { code } } } } } }"""
HOLD = "{ me { tier { current { code } expiresAt } } }"


async def test_tier_history_is_newest_first_even_within_one_moment_and_pages_by_first(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    await api.data(PURCHASE, {"o": "H-1", "c": 5_000_000}, staff)  # Gold
    await api.data(PURCHASE, {"o": "H-2", "c": 5_000_000}, staff)  # Platinum, at the same (held) moment
    one = (await api.data(TIER_PAGE, {"f": 1}, alice.access_token))["me"]["tierHistory"]
    assert [e["node"]["toTier"]["code"] for e in one["edges"]] == ["PLATINUM"]
    assert one["pageInfo"]["hasNextPage"] is True and one["totalCount"] == 2
    rest = (await api.data(TIER_PAGE, {"f": 1, "a": one["pageInfo"]["endCursor"]}, alice.access_token))["me"]
    assert [e["node"]["toTier"]["code"] for e in rest["tierHistory"]["edges"]] == ["GOLD"], "the tie on the next page"
    both = (await api.data(TIER_PAGE, {"f": 2}, alice.access_token))["me"]["tierHistory"]
    assert [e["node"]["toTier"]["code"] for e in both["edges"]] == ["PLATINUM", "GOLD"]
    assert both["pageInfo"]["hasNextPage"] is False
    assert error_codes(await api.gql(TIER_PAGE, {"f": 0}, alice.access_token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(TIER_PAGE, {"f": 101}, alice.access_token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(TIER_PAGE, {"f": 100}, alice.access_token)) == []


async def test_an_upgrade_reward_of_one_point_is_paid(setup) -> None:
    api, _clock, staff, alice, _bob = setup
    gold = next(t for t in (await api.data("{ tiers { id code } }", token=staff))["tiers"] if t["code"] == "GOLD")
    save = """mutation($i: SaveTierInput!) { saveTier(input: $i) { tier { upgradeRewardPoints } } }"""
    await api.data(save, {"i": {"id": gold["id"], "code": "GOLD", "name": "Gold", "rank": 1,
                                "thresholdCents": 5_000_000, "multiplierPct": 125, "upgradeRewardPoints": 1}}, staff)
    await api.data(PURCHASE, {"o": "R-1", "c": 5_000_000}, staff)
    assert ("EARN", 1) in await kinds_in_history(api, alice.access_token)


async def test_a_purchase_after_the_hold_ran_out_does_not_renew_it_only_the_review_does(setup) -> None:
    api, clock, staff, alice, _bob = setup
    window = "mutation { updateProgramSettings(input: {tierWindowMonths: 24}) { settings { tierWindowMonths } } }"
    await api.data(window, token=staff)
    await api.data(PURCHASE, {"o": "G-1", "c": 6_000_000}, staff)
    held = add_months(clock.start, 12)
    assert datetime.fromisoformat((await api.data(HOLD, token=alice.access_token))["me"]["tier"]["expiresAt"]) == held
    clock.set(held + timedelta(seconds=1))  # the hold ran out; the review has not run yet
    await api.data(PURCHASE, {"o": "G-2", "c": 100}, staff)
    tier = (await api.data(HOLD, token=alice.access_token))["me"]["tier"]
    assert tier["current"]["code"] == "GOLD" and datetime.fromisoformat(tier["expiresAt"]) == held
    await evaluate_tiers(api.container.uow, clock.moment)
    tier = (await api.data(HOLD, token=alice.access_token))["me"]["tier"]
    assert datetime.fromisoformat(tier["expiresAt"]) == add_months(clock.moment, 12)
