"""Write paths cost a fixed number of SQL statements, whatever the member's history or the number
of lots a debit consumes (issue 19): redeem <= 10, check-in <= 6, earn <= 8, gift constant.

A member with a long history (hundreds of entries and open lots) is written to exactly like a new
one: the counts are compared between the two, not only against the ceiling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from domain.points.rules import Activity, EarningRule, RuleKind
from domain.program.services import save_rule
from domain.store.tables import points_accounts, points_entries, points_lots
from tests.support.books import assert_books_balance
from tests.support.catalog import add_reward
from tests.support.client import ApiClient
from tests.support.program import STAFF, configure_program
from tests.support.roles import staff_token
from tests.support.sql_counter import count_statements

PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned purchase { id } } }"""
REDEEM = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
  redemption { id pointsSpent } } }"""
CHECK_IN = "mutation { checkIn { points streak } }"
GIFT = """mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount } } }"""
POINTS = "{ me { points { available total } } }"

LOTS = 300  # open lots of the long-history member, 10 points each


async def give_lots(api: ApiClient, member_id: int, lots: int, points_each: int) -> None:
    """A history straight into the tables (entries, lots and account agree), as years of small
    earnings would leave it; the API would take minutes to build it."""
    now = api.container.now()
    async with api.container.engine.begin() as conn:
        for i in range(lots):
            at = now - timedelta(days=300) + timedelta(minutes=i)
            entry_id = (await conn.execute(insert(points_entries).values(
                member_id=member_id, kind="EARN", amount=points_each, reason="seed", source_type="seed",
                source_ref=str(i), idempotency_key=f"seed/{member_id}/{i}", details={}, created_at=at,
            ).returning(points_entries.c.id))).scalar_one()
            await conn.execute(insert(points_lots).values(
                member_id=member_id, entry_id=entry_id, original=points_each, remaining=points_each,
                earned_at=at, available_at=at, expires_at=now + timedelta(days=300)))
        await conn.execute(insert(points_accounts).values(
            member_id=member_id, balance=lots * points_each, version=1, updated_at=now))


@pytest.fixture
async def members(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    fresh = await api.sign_in("13800138000")
    long = await api.sign_in("13900139000")
    await give_lots(api, int(fresh.member_id), 1, LOTS * 10)
    await give_lots(api, int(long.member_id), LOTS, 10)
    # A warm worker: the ladder, rules and settings come from its program snapshot (refreshed once
    # a second under load), so the counts below are what every request but one a second pays.
    api.container.program._ttl = 3600.0
    for who in (fresh, long):  # and each member's cached profile, read when a member token is used
        await api.data(POINTS, token=who.access_token)
    return api, staff, fresh, long


async def counted(api: ApiClient, query: str, variables: dict | None, token: str) -> tuple[dict, list[str]]:
    # Both pools: the write engine and PostgreSQL's autocommit read engine (read-only units of work).
    with count_statements(api.container.engine) as seen, count_statements(api.container.read_engine) as read:
        body = await api.gql(query, variables, token)
    assert "errors" not in body, body
    extra = read if api.container.read_engine is not api.container.engine else []
    return body["data"], [*seen, *extra]


STAFF_TOKEN_CHECK = 1


def ceiling(api: ApiClient, limit: int) -> int:
    """The issue's ceilings hold on PostgreSQL, where a debit or credit is one statement; SQLite (the
    embedded default) spends a few more on them, but as constant a number."""
    return limit if api.container.engine.dialect.name == "postgresql" else limit + 4


def show(statements: list[str]) -> str:
    return "\n".join(s.split("\n")[0][:160] for s in statements)


async def test_redeeming_costs_the_same_statements_for_one_lot_or_two_hundred(members) -> None:
    api, _staff, fresh, long = members
    from schema.refs import global_id
    reward = await add_reward(api.container, name="Hot", price=2000, stock=100)
    rid = str(global_id("Reward", reward.id))
    counts = []
    for who in (fresh, long):
        data, seen = await counted(api, REDEEM, {"r": rid, "k": "k1"}, who.access_token)
        assert data["redeemReward"]["redemption"]["pointsSpent"] == 2000
        counts.append((len(seen), show(seen)))
    assert counts[0][0] == counts[1][0], f"1 lot vs 200 lots:\n{counts[0][1]}\n---\n{counts[1][1]}"
    assert counts[1][0] <= ceiling(api, 10), counts[1][1]
    balances = await assert_books_balance(api.container.engine)
    assert balances[int(long.member_id)] == LOTS * 10 - 2000
    assert (await api.data(POINTS, token=long.access_token))["me"]["points"]["available"] == LOTS * 10 - 2000


async def test_checking_in_costs_at_most_six_statements_whatever_the_history(members) -> None:
    api, _staff, fresh, long = members
    rule = EarningRule(0, RuleKind.ACTIVITY, "Check-in", activity=Activity.CHECK_IN, points=5, cap=5)
    await save_rule(api.container.uow(), STAFF, rule, api.container.now())
    third = await api.sign_in("13700137000")
    await api.data(CHECK_IN, token=third.access_token)  # fills the program snapshot with the new rule
    counts = []
    for who in (fresh, long):
        data, seen = await counted(api, CHECK_IN, None, who.access_token)
        assert data["checkIn"] == {"points": 5, "streak": 1}
        counts.append((len(seen), show(seen)))
    assert counts[0][0] == counts[1][0], f"{counts[0][1]}\n---\n{counts[1][1]}"
    assert counts[1][0] <= ceiling(api, 6), counts[1][1]
    await assert_books_balance(api.container.engine)


async def test_earning_costs_at_most_eight_statements_whatever_the_history(members) -> None:
    api, staff, _fresh, _long = members
    counts = []
    for phone in ("13800138000", "13800138000", "13900139000"):
        order = {"member": {"phone": phone}, "orderId": f"O-{len(counts)}", "storeId": "S1", "amountCents": 38800,
                 "items": [{"category": "apparel", "amountCents": 38800}]}
        data, seen = await counted(api, PURCHASE, {"i": order}, staff)
        assert data["recordPurchase"]["pointsEarned"] == 388
        counts.append((len(seen), show(seen)))
    counts = counts[1:]  # the first purchase filled the snapshot with the earning rules
    assert counts[0][0] == counts[1][0], f"{counts[0][1]}\n---\n{counts[1][1]}"
    # 8 for the purchase, plus the one read that checks the POS's staff token against its account
    # (role, version, stores: a deactivated account is refused at once, issue 18).
    assert counts[1][0] <= ceiling(api, 8) + STAFF_TOKEN_CHECK, counts[1][1]
    await assert_books_balance(api.container.engine)


async def test_gifting_costs_the_same_statements_for_one_lot_or_twenty(members) -> None:
    api, _staff, fresh, long = members
    counts = []
    for sender, phone in ((fresh, "13900139000"), (long, "13800138000")):
        gift = {"recipient": {"phone": phone}, "amount": 200, "idempotencyKey": f"g{sender.member_id}"}
        data, seen = await counted(api, GIFT, {"i": gift}, sender.access_token)
        assert data["giftPoints"]["entry"]["amount"] == -200
        counts.append((len(seen), show(seen)))
    assert counts[0][0] == counts[1][0], f"{counts[0][1]}\n---\n{counts[1][1]}"
    await assert_books_balance(api.container.engine)


def aggregates_open_lots(statement: str) -> bool:
    """The balance split (available / pending / expiring soon): a sum over all of a member's open lots."""
    return "sum(" in statement.lower() and "points_lots" in statement and "min(" in statement.lower()


async def test_a_write_reads_none_of_the_members_open_lots_to_cache_the_balance(members) -> None:
    """Earning, checking in and gifting for a member with 300 open lots: the cached balance is fenced
    at the committed version (the next read fills it), so the write's cost does not grow with the
    member's open lots; the balance the member then sees is still the ledger's."""
    api, staff, _fresh, long = members
    order = {"member": {"phone": "13900139000"}, "orderId": "O-fence", "storeId": "S1", "amountCents": 38800,
             "items": [{"category": "apparel", "amountCents": 38800}]}
    _data, earn = await counted(api, PURCHASE, {"i": order}, staff)
    _data, check_in = await counted(api, CHECK_IN, None, long.access_token)
    gift = {"recipient": {"phone": "13800138000"}, "amount": 200, "idempotencyKey": "g-fence"}
    _data, gifted = await counted(api, GIFT, {"i": gift}, long.access_token)
    for seen in (earn, check_in):
        assert not any(aggregates_open_lots(s) for s in seen), show(seen)
    # The gift's one is its answer before the lock (not enough points?), a rule of the use case.
    assert sum(aggregates_open_lots(s) for s in gifted) == 1, show(gifted)
    balances = await assert_books_balance(api.container.engine)
    shown = (await api.data(POINTS, token=long.access_token))["me"]["points"]
    assert shown["total"] == balances[int(long.member_id)]
