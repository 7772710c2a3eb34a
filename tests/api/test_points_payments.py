"""Points as payment at the POS: quote, authorize (a hold nothing else can spend), capture (a ledger
debit) or release / time out; the payment rules; races on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from domain.payments.expiry import release_expired_holds
from domain.points.expiry import expire_points
from tests.support.books import assert_books_balance, assert_holds_balance
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

QUOTE = """query($i: QuotePointsPaymentInput!) { quotePointsPayment(input: $i) {
  maxPoints coversCents eligibleCents limitCents usablePoints pointsPerYuan stepCents blockedBy } }"""
AUTHORIZE = """mutation($i: AuthorizePointsPaymentInput!) { authorizePointsPayment(input: $i) {
  payment { orderId storeId points coversCents orderCents status expiresAt } } }"""
CAPTURE = """mutation($s: String!, $o: String!) { capturePointsPayment(storeId: $s, orderId: $o) {
  payment { status points coversCents } } }"""
RELEASE = """mutation($s: String!, $o: String!) { releasePointsPayment(storeId: $s, orderId: $o) {
  payment { status points } } }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) { settings {
  paymentPointsPerYuan paymentExcludedCategories } } }"""
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""
POINTS = "{ me { points { available held total } } }"
HISTORY = "{ me { pointsHistory(first: 5) { edges { node { kind amount sourceType } } } } }"
REDEEM = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, quantity: 1, idempotencyKey: $k}) {
  redemption { id } } }"""
GIFT = """mutation($to: String!, $a: Int!, $k: String!) { giftPoints(input: {recipient: {phone: $to}, amount: $a,
  idempotencyKey: $k}) { entry { id } } }"""

PHONE = "13800138000"


def order(order_id: str, points: int | None = None, key: str = "k1", amount: int = 10_000,
          items: list[dict] | None = None, phone: str = PHONE) -> dict:
    return {"member": {"phone": phone}, "storeId": "S1", "orderId": order_id, "amountCents": amount,
            "items": items or [{"category": "服饰", "amountCents": amount}], "points": points,
            "idempotencyKey": key}


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    staff = await staff_token(api)
    # Two lots: the older one (300) must be held first.
    await api.data(ADJUST, {"m": member.member_id, "a": 300, "k": "seed-1"}, staff)
    await api.data(ADJUST, {"m": member.member_id, "a": 700, "k": "seed-2"}, staff)
    return api, member, staff


async def points(api: ApiClient, token: str) -> dict:
    return (await api.data(POINTS, token=token))["me"]["points"]


async def test_quote_follows_the_program_rules(setup) -> None:
    api, member, staff = setup
    items = [{"category": "服饰", "amountCents": 6_000}, {"category": "烟酒", "amountCents": 4_000}]
    mine = {"amountCents": 10_000, "items": items}
    # Defaults: 100 points = ¥1, half the order at most: 5,000 cents, but the member has 1,000 points.
    quote = (await api.data(QUOTE, {"i": mine}, member.access_token))["quotePointsPayment"]
    assert quote == {"maxPoints": 1000, "coversCents": 1000, "eligibleCents": 10_000, "limitCents": 5000,
                     "usablePoints": 1000, "pointsPerYuan": 100, "stepCents": 1, "blockedBy": None}
    await api.data(SETTINGS, {"i": {"paymentPointsPerYuan": 10, "paymentMaxShareBp": 3000,
                                    "paymentExcludedCategories": ["烟酒"], "paymentMinBalanceLeft": 105}}, staff)
    quote = (await api.data(QUOTE, {"i": {**mine, "member": {"phone": PHONE}}}, staff))["quotePointsPayment"]
    # 10 points = ¥1 (a point pays 10 cents); 30% of ¥100 = ¥30 but only ¥60 eligible; 895 usable
    # points pay 8,950 cents, so the share cap decides: 3,000 cents = 300 points.
    assert (quote["maxPoints"], quote["coversCents"], quote["eligibleCents"], quote["limitCents"],
            quote["usablePoints"], quote["stepCents"]) == (300, 3000, 6000, 3000, 895, 10)
    only_excluded = {"amountCents": 4_000, "items": [{"category": "烟酒", "amountCents": 4_000}]}
    assert (await api.data(QUOTE, {"i": only_excluded}, member.access_token))["quotePointsPayment"][
        "blockedBy"] == "NO_ELIGIBLE_ITEMS"
    await api.data(SETTINGS, {"i": {"paymentMinOrderCents": 20_000}}, staff)
    assert (await api.data(QUOTE, {"i": mine}, member.access_token))["quotePointsPayment"] == {
        **quote, "maxPoints": 0, "coversCents": 0, "blockedBy": "BELOW_MINIMUM_ORDER"}
    await api.data(SETTINGS, {"i": {"paymentMinOrderCents": 0, "paymentMinBalanceLeft": 1000}}, staff)
    assert (await api.data(QUOTE, {"i": mine}, member.access_token))["quotePointsPayment"][
        "blockedBy"] == "NOT_ENOUGH_POINTS"
    # Who may ask: a member only for themself; staff must name the member.
    other = await api.gql(QUOTE, {"i": {**mine, "member": {"phone": "13900139000"}}}, member.access_token)
    assert error_codes(other) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(QUOTE, {"i": mine}, staff)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(QUOTE, {"i": mine})) == ["UNAUTHENTICATED"]


async def test_authorize_holds_the_oldest_points_and_capture_debits_them(setup) -> None:
    api, member, staff = setup
    held = (await api.data(AUTHORIZE, {"i": order("A-1", 400)}, staff))["authorizePointsPayment"]["payment"]
    assert (held["points"], held["coversCents"], held["status"]) == (400, 400, "HELD")
    assert await points(api, member.access_token) == {"available": 600, "held": 400, "total": 1000}
    assert await assert_holds_balance(api.container.engine) == {int(member.member_id): 400}
    # Retrying the same attempt replays it; another attempt on the same order is refused.
    again = await api.data(AUTHORIZE, {"i": order("A-1", 400)}, staff)
    assert again["authorizePointsPayment"]["payment"] == held
    assert error_codes(await api.gql(AUTHORIZE, {"i": order("A-1", 400, key="k2")}, staff)) == ["CONFLICT"]
    assert await points(api, member.access_token) == {"available": 600, "held": 400, "total": 1000}

    captured = (await api.data(CAPTURE, {"s": "S1", "o": "A-1"}, staff))["capturePointsPayment"]["payment"]
    assert captured == {"status": "CAPTURED", "points": 400, "coversCents": 400}
    assert await points(api, member.access_token) == {"available": 600, "held": 0, "total": 600}
    history = (await api.data(HISTORY, token=member.access_token))["me"]["pointsHistory"]["edges"]
    assert history[0]["node"] == {"kind": "REDEEM", "amount": -400, "sourceType": "PAYMENT"}
    # Capture is idempotent on the order; a captured payment cannot be released.
    assert (await api.data(CAPTURE, {"s": "S1", "o": "A-1"}, staff))["capturePointsPayment"]["payment"] == captured
    body = await api.gql(RELEASE, {"s": "S1", "o": "A-1"}, staff)
    assert error_codes(body) == ["POINTS_PAYMENT_NOT_OPEN"] and body["errors"][0]["extensions"]["status"] == "CAPTURED"
    await assert_books_balance(api.container.engine)
    # The oldest lot (300) went first, then 100 of the next: 600 left in the 700 lot.
    async with api.container.engine.connect() as conn:
        from sqlalchemy import select

        from domain.store.tables import points_lots
        left = [r for r, in await conn.execute(select(points_lots.c.remaining).order_by(points_lots.c.id))]
    assert left == [0, 600]
    assert await assert_holds_balance(api.container.engine) == {}


async def test_held_points_cannot_be_spent_elsewhere(setup) -> None:
    api, member, staff = setup
    await api.sign_in("13900139000")
    reward = await add_reward(api.container, price=700, stock=5)
    await api.data(AUTHORIZE, {"i": order("B-1", 400)}, staff)
    assert error_codes(await api.gql(REDEEM, {"r": reward.id, "k": "r1"}, member.access_token)) == [
        "INSUFFICIENT_POINTS"]
    assert error_codes(await api.gql(GIFT, {"to": "13900139000", "a": 601, "k": "g1"}, member.access_token)) == [
        "INSUFFICIENT_POINTS"]
    second = await api.gql(AUTHORIZE, {"i": order("B-2", 601)}, staff)
    assert error_codes(second) == ["INSUFFICIENT_POINTS"]
    assert await points(api, member.access_token) == {"available": 600, "held": 400, "total": 1000}
    # Releasing frees them for anything.
    released = await api.data(RELEASE, {"s": "S1", "o": "B-1"}, staff)
    assert released["releasePointsPayment"]["payment"] == {"status": "RELEASED", "points": 400}
    assert (await api.data(RELEASE, {"s": "S1", "o": "B-1"}, staff))["releasePointsPayment"]["payment"][
        "status"] == "RELEASED"
    body = await api.gql(CAPTURE, {"s": "S1", "o": "B-1"}, staff)
    assert error_codes(body) == ["POINTS_PAYMENT_NOT_OPEN"] and body["errors"][0]["extensions"]["status"] == "RELEASED"
    assert await points(api, member.access_token) == {"available": 1000, "held": 0, "total": 1000}
    await api.data(REDEEM, {"r": reward.id, "k": "r1"}, member.access_token)
    await assert_books_balance(api.container.engine)
    assert await assert_holds_balance(api.container.engine) == {}


async def test_authorize_refuses_what_the_rules_do_not_allow_and_changes_nothing(setup) -> None:
    api, member, staff = setup
    await api.data(SETTINGS, {"i": {"paymentPointsPerYuan": 3}}, staff)  # 3 points = ¥1: points pay whole yuan
    body = await api.gql(AUTHORIZE, {"i": order("C-1", 100)}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "points"
    over_share = await api.gql(AUTHORIZE, {"i": order("C-1", 153, amount=10_000)}, staff)  # ¥51 > half of ¥100
    assert error_codes(over_share) == ["BAD_USER_INPUT"]
    await api.data(SETTINGS, {"i": {"paymentPointsPerYuan": 100}}, staff)
    assert error_codes(await api.gql(AUTHORIZE, {"i": order("C-1", 1001, amount=1_000_000)}, staff)) == [
        "INSUFFICIENT_POINTS"]
    assert error_codes(await api.gql(AUTHORIZE, {"i": order("C-1", 0)}, staff)) == ["BAD_USER_INPUT"]
    bad_items = order("C-1", 10, items=[{"category": "服饰", "amountCents": 1}])
    assert error_codes(await api.gql(AUTHORIZE, {"i": bad_items}, staff)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(AUTHORIZE, {"i": order("C-1", 10)}, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(CAPTURE, {"s": "S1", "o": "nope"}, staff)) == ["NOT_FOUND"]
    assert await points(api, member.access_token) == {"available": 1000, "held": 0, "total": 1000}
    # Without points: the quote's maximum (here 1,000 points for a ¥100 order, half of it allowed).
    paid = await api.data(AUTHORIZE, {"i": order("C-1", None)}, staff)
    assert paid["authorizePointsPayment"]["payment"]["points"] == 1000


async def test_holds_time_out_and_the_job_frees_them_once(setup, monkeypatch) -> None:
    api, member, staff = setup
    await api.data(AUTHORIZE, {"i": order("D-1", 500)}, staff)
    later = api.container.now() + timedelta(minutes=16)  # the default hold is 15 minutes
    monkeypatch.setattr(api.container, "now", lambda: later)
    body = await api.gql(CAPTURE, {"s": "S1", "o": "D-1"}, staff)
    assert error_codes(body) == ["POINTS_PAYMENT_NOT_OPEN"] and body["errors"][0]["extensions"]["status"] == "EXPIRED"
    assert await release_expired_holds(api.container.uow, later) == {"holds": 1, "points": 500}
    assert await release_expired_holds(api.container.uow, later) == {"holds": 0, "points": 0}
    assert await points(api, member.access_token) == {"available": 1000, "held": 0, "total": 1000}
    assert (await api.data(RELEASE, {"s": "S1", "o": "D-1"}, staff))["releasePointsPayment"]["payment"][
        "status"] == "EXPIRED"
    await assert_books_balance(api.container.engine)


async def test_a_late_job_does_not_keep_an_expired_hold_from_the_member(setup, monkeypatch) -> None:
    api, member, staff = setup
    await api.data(AUTHORIZE, {"i": order("E-1", 1000)}, staff)
    later = api.container.now() + timedelta(minutes=20)
    monkeypatch.setattr(api.container, "now", lambda: later)
    # No job ran: the next authorization frees the expired hold itself.
    paid = await api.data(AUTHORIZE, {"i": order("E-2", 800)}, staff)
    assert paid["authorizePointsPayment"]["payment"]["status"] == "HELD"
    assert await assert_holds_balance(api.container.engine) == {int(member.member_id): 800}


async def test_points_held_when_their_lot_expires_still_pay(api: ApiClient, monkeypatch) -> None:
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 500, "k": "seed"}, staff)
    schedule = await api.data("{ me { points { expirySchedule { expiresAt } } } }", token=member.access_token)
    expires_at = datetime.fromisoformat(schedule["me"]["points"]["expirySchedule"][0]["expiresAt"])
    before_expiry = expires_at - timedelta(minutes=5)
    monkeypatch.setattr(api.container, "now", lambda: before_expiry)
    await api.data(SETTINGS, {"i": {"paymentHoldMinutes": 60}}, staff)
    await api.data(AUTHORIZE, {"i": order("F-1", 300)}, staff)
    after_expiry = expires_at + timedelta(minutes=5)
    monkeypatch.setattr(api.container, "now", lambda: after_expiry)
    # The expiry job writes off only the unheld 200; the held 300 are still the order's.
    counts = await expire_points(api.container.uow, after_expiry)
    assert counts["points"] == 200
    assert (await api.data(CAPTURE, {"s": "S1", "o": "F-1"}, staff))["capturePointsPayment"]["payment"][
        "status"] == "CAPTURED"
    assert await points(api, member.access_token) == {"available": 0, "held": 0, "total": 0}
    await assert_books_balance(api.container.engine)


@pytest.mark.postgres
async def test_concurrent_authorizations_never_overdraw(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 1000, "k": "seed"}, staff)
    bodies = await asyncio.gather(*(api.gql(AUTHORIZE, {"i": order(f"R-{i}", 150, key=f"k{i}")}, staff)
                                    for i in range(20)))
    won = [b for b in bodies if "errors" not in b]
    assert len(won) == 6  # 6 x 150 = 900; a seventh would need 1,050
    assert {c for b in bodies if "errors" in b for c in error_codes(b)} == {"INSUFFICIENT_POINTS"}
    assert await points(api, member.access_token) == {"available": 100, "held": 900, "total": 1000}
    assert await assert_holds_balance(api.container.engine) == {int(member.member_id): 900}
    # Captures and releases racing each other and a second round of authorizations.
    orders = [b["data"]["authorizePointsPayment"]["payment"]["orderId"] for b in won]
    calls = [api.gql(CAPTURE if i % 2 else RELEASE, {"s": "S1", "o": o}, staff) for i, o in enumerate(orders)]
    calls += [api.gql(AUTHORIZE, {"i": order(f"T-{i}", 100, key=f"t{i}")}, staff) for i in range(10)]
    await asyncio.gather(*calls)
    balances = await assert_books_balance(api.container.engine)
    held = await assert_holds_balance(api.container.engine)
    assert balances[int(member.member_id)] == 1000 - 3 * 150
    mine = await points(api, member.access_token)
    assert mine["held"] == held.get(int(member.member_id), 0) and mine["available"] + mine["held"] == mine["total"]
    assert mine["available"] >= 0


@pytest.mark.postgres
async def test_authorize_racing_redeem_spends_each_point_once(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    reward = await add_reward(api.container, price=600, stock=None)
    members = []
    for i in range(10):
        s = await api.sign_in(f"1380000{i:04d}")
        await api.data(ADJUST, {"m": s.member_id, "a": 1000, "k": f"seed-{i}"}, staff)
        members.append((s, f"1380000{i:04d}"))
    calls = []
    for i, (s, phone) in enumerate(members):
        calls.append(api.gql(REDEEM, {"r": reward.id, "k": f"r{i}"}, s.access_token))
        calls.append(api.gql(AUTHORIZE, {"i": order(f"X-{i}", 600, key=f"x{i}", phone=phone)}, staff))
    bodies = await asyncio.gather(*calls)
    for i in range(10):
        pair = bodies[2 * i:2 * i + 2]
        assert sum("errors" not in b for b in pair) == 1, pair
        assert [c for b in pair for c in error_codes(b)] == ["INSUFFICIENT_POINTS"]
    balances = await assert_books_balance(api.container.engine)
    held = await assert_holds_balance(api.container.engine)
    for s, _phone in members:
        mine = await points(api, s.access_token)
        assert mine["available"] == 400
        assert balances[int(s.member_id)] - held.get(int(s.member_id), 0) == 400


PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
REFUND = """mutation($o: String!, $r: String!, $a: Int!) { recordRefund(input: {storeId: "S1", orderId: $o,
  refundId: $r, amountCents: $a}) { pointsReturned refund { pointsReversed } } }"""
PAYMENT_STATE = """mutation($o: String!) { capturePointsPayment(storeId: "S1", orderId: $o) {
  payment { points pointsRefunded } } }"""


async def lot_remaining(api: ApiClient) -> list[int]:
    from sqlalchemy import select

    from domain.store.tables import points_lots
    async with api.container.engine.connect() as conn:
        return [r for r, in await conn.execute(select(points_lots.c.remaining).order_by(points_lots.c.id))]


async def pay_and_record(api: ApiClient, staff: str, order_id: str, points: int, amount: int = 10_000) -> int:
    await api.data(AUTHORIZE, {"i": order(order_id, points, amount=amount)}, staff)
    await api.data(CAPTURE, {"s": "S1", "o": order_id}, staff)
    recorded = await api.data(PURCHASE, {"i": {"member": {"phone": PHONE}, "storeId": "S1", "orderId": order_id,
                                               "amountCents": amount,
                                               "items": [{"category": "服饰", "amountCents": amount}]}}, staff)
    return recorded["recordPurchase"]["pointsEarned"]


async def test_refunds_return_paid_points_to_their_lots_in_proportion(setup) -> None:
    api, member, staff = setup
    # ¥100 order, 400 points pay ¥4: the base rate (1 point per ¥1) earns on the ¥96 paid in money.
    assert await pay_and_record(api, staff, "G-1", 400) == 96
    assert await lot_remaining(api) == [0, 600, 96]
    first = (await api.data(REFUND, {"o": "G-1", "r": "rf-1", "a": 3333}, staff))["recordRefund"]
    # 400 * 3333 // 10000 = 133 points back; 96 * 3333 // 10000 = 31 earned points reversed.
    assert (first["pointsReturned"], first["refund"]["pointsReversed"]) == (133, 31)
    # Back to the capture's lots, the one expiring last first: 100 to the 700 lot, 33 to the 300 lot.
    assert await lot_remaining(api) == [33, 700, 65]
    replay = (await api.data(REFUND, {"o": "G-1", "r": "rf-1", "a": 3333}, staff))["recordRefund"]
    assert replay == first
    rest = (await api.data(REFUND, {"o": "G-1", "r": "rf-2", "a": 6667}, staff))["recordRefund"]
    assert (rest["pointsReturned"], rest["refund"]["pointsReversed"]) == (267, 65)
    assert await lot_remaining(api) == [300, 700, 0]
    assert await points(api, member.access_token) == {"available": 1000, "held": 0, "total": 1000}
    state = (await api.data(PAYMENT_STATE, {"o": "G-1"}, staff))["capturePointsPayment"]["payment"]
    assert state == {"points": 400, "pointsRefunded": 400}
    await assert_books_balance(api.container.engine)


async def test_many_small_refunds_never_return_more_than_was_paid(setup) -> None:
    api, _member, staff = setup
    await pay_and_record(api, staff, "H-1", 999, amount=2_000)
    returned = [(await api.data(REFUND, {"o": "H-1", "r": f"s-{i}", "a": 300}, staff))["recordRefund"][
        "pointsReturned"] for i in range(6)]
    # After refunds totalling R cents the member has had 999 * R // 2000 points back in all.
    assert returned == [149, 150, 150, 150, 150, 150]
    last = (await api.data(REFUND, {"o": "H-1", "r": "s-last", "a": 200}, staff))["recordRefund"]
    assert sum(returned) + last["pointsReturned"] == 999
    await assert_books_balance(api.container.engine)


async def test_paid_points_whose_lot_expired_come_back_for_a_grace_period(api: ApiClient, monkeypatch) -> None:
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 500, "k": "seed"}, staff)
    schedule = await api.data("{ me { points { expirySchedule { expiresAt } } } }", token=member.access_token)
    expires_at = datetime.fromisoformat(schedule["me"]["points"]["expirySchedule"][0]["expiresAt"])
    monkeypatch.setattr(api.container, "now", lambda: expires_at - timedelta(minutes=5))
    await pay_and_record(api, staff, "J-1", 300)
    later = expires_at + timedelta(days=1)
    monkeypatch.setattr(api.container, "now", lambda: later)
    assert (await expire_points(api.container.uow, later))["points"] == 200
    back = (await api.data(REFUND, {"o": "J-1", "r": "rf", "a": 10_000}, staff))["recordRefund"]
    assert back["pointsReturned"] == 300
    mine = await api.data("{ me { points { available total expirySchedule { expiresAt points } } } }",
                          token=member.access_token)
    assert (mine["me"]["points"]["available"], mine["me"]["points"]["total"]) == (300, 300)
    [reissued] = mine["me"]["points"]["expirySchedule"]
    assert reissued["points"] == 300
    assert datetime.fromisoformat(reissued["expiresAt"]) == later + timedelta(days=30)
    await assert_books_balance(api.container.engine)


SAVE_REWARD = """mutation($i: SaveRewardInput!) { saveReward(input: $i) {
  reward { id pointsPrice cashPriceCents } } }"""
REDEEM_CASH = """mutation($r: ID!, $k: String!, $p: String) {
  redeemReward(input: {rewardId: $r, quantity: 2, idempotencyKey: $k, paymentReference: $p}) {
    redemption { id pointsSpent cashPaidCents paymentReference status } } }"""


async def add_cash_reward(api: ApiClient, staff: str, cash: int = 2_990) -> str:
    saved = await api.data(SAVE_REWARD, {"i": {"name": "咖啡机（积分+现金）", "category": "家电", "kind": "GOODS",
                                               "pointsPrice": 100, "cashPriceCents": cash, "stock": 10}}, staff)
    assert saved["saveReward"]["reward"]["cashPriceCents"] == cash
    return saved["saveReward"]["reward"]["id"]


async def test_points_and_cash_rewards_need_the_payment_reference_of_the_cash_part(setup) -> None:
    api, member, staff = setup
    reward = await add_cash_reward(api, staff)
    missing = await api.gql(REDEEM_CASH, {"r": reward, "k": "c1", "p": None}, member.access_token)
    assert error_codes(missing) == ["BAD_USER_INPUT"]
    assert missing["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "paymentReference"
    assert error_codes(await api.gql(REDEEM_CASH, {"r": reward, "k": "c1", "p": "bad ref!"}, member.access_token)) \
        == ["BAD_USER_INPUT"]
    assert await points(api, member.access_token) == {"available": 1000, "held": 0, "total": 1000}
    done = (await api.data(REDEEM_CASH, {"r": reward, "k": "c1", "p": "WXPAY-4200001"}, member.access_token))[
        "redeemReward"]["redemption"]
    assert (done["pointsSpent"], done["cashPaidCents"], done["paymentReference"]) == (200, 5980, "WXPAY-4200001")
    replay = await api.data(REDEEM_CASH, {"r": reward, "k": "c1", "p": "WXPAY-4200001"}, member.access_token)
    assert replay["redeemReward"]["redemption"] == done
    # One payment pays one redemption.
    again = await api.gql(REDEEM_CASH, {"r": reward, "k": "c2", "p": "WXPAY-4200001"}, member.access_token)
    assert error_codes(again) == ["CONFLICT"]
    # A points-only reward refuses a reference (it would be a payment taken for nothing).
    plain = await add_reward(api.container, price=10)
    body = await api.gql(REDEEM_CASH, {"r": plain.id, "k": "c3", "p": "WXPAY-4200002"}, member.access_token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert await points(api, member.access_token) == {"available": 800, "held": 0, "total": 800}
    bad = await api.gql(SAVE_REWARD, {"i": {"name": "x", "category": "y", "kind": "GOODS", "pointsPrice": 1,
                                            "cashPriceCents": -1}}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    await assert_books_balance(api.container.engine)


@pytest.mark.postgres
async def test_one_payment_reference_pays_one_redemption_under_concurrency(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    reward = await add_cash_reward(api, staff)
    members = []
    for i in range(10):
        s = await api.sign_in(f"1380000{i:04d}")
        await api.data(ADJUST, {"m": s.member_id, "a": 1000, "k": f"seed-{i}"}, staff)
        members.append(s)
    bodies = await asyncio.gather(*(api.gql(REDEEM_CASH, {"r": reward, "k": "same", "p": "ALIPAY-77"}, s.access_token)
                                    for s in members))
    assert sum("errors" not in b for b in bodies) == 1
    assert {c for b in bodies if "errors" in b for c in error_codes(b)} == {"CONFLICT"}
    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances.values()) == [800] + [1000] * 9


@pytest.mark.postgres
async def test_capture_racing_release_on_one_order_ends_it_once(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 1000, "k": "seed"}, staff)
    for i in range(5):
        await api.data(AUTHORIZE, {"i": order(f"Z-{i}", 100, key=f"z{i}")}, staff)
    bodies = await asyncio.gather(*(api.gql(mutation, {"s": "S1", "o": f"Z-{i}"}, staff)
                                    for i in range(5) for mutation in (CAPTURE, RELEASE)))
    captured = 0
    for i in range(5):
        capture, release = bodies[2 * i:2 * i + 2]
        assert [c for b in (capture, release) for c in error_codes(b)] == ["POINTS_PAYMENT_NOT_OPEN"]
        captured += "errors" not in capture
    assert await points(api, member.access_token) == {"available": 1000 - 100 * captured, "held": 0,
                                                      "total": 1000 - 100 * captured}
    await assert_books_balance(api.container.engine)
    assert await assert_holds_balance(api.container.engine) == {}
