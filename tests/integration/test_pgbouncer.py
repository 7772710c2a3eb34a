"""The app behind PgBouncer in transaction mode (DATABASE_PGBOUNCER=1): a member journey and a
redemption race run with two server connections shared by every request, and the books balance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.app import create_app
from api.sms import DevCodeSink
from tests.conftest import app_settings
from tests.support.books import assert_books_balance
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import pgbouncer

pytestmark = pytest.mark.postgres

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""
REDEEM = """mutation($r: ID!, $k: String!) {
  redeemReward(input: {rewardId: $r, quantity: 1, idempotencyKey: $k}) { redemption { id } } }"""
HOME = """{ me { points { total available } tier { current { name } }
  pointsHistory(first: 5) { edges { node { amount } } } } }"""


@pytest.fixture
async def bounced_api(postgres_url: str, pg_server_url: str) -> AsyncIterator[ApiClient]:
    database = postgres_url.rsplit("/", 1)[1]
    with pgbouncer(pg_server_url) as bouncer:
        sink = DevCodeSink()
        app = create_app(app_settings(f"{bouncer}/{database}", database_pgbouncer=True, db_pool_size=20),
                         code_sender=sink)
        client = ApiClient(app, sink)
        try:
            yield client
        finally:
            await client.close()
            await client.container.close()


async def test_a_journey_and_a_redemption_race_through_pgbouncer(bounced_api: ApiClient) -> None:
    api = bounced_api
    await configure_program(api.container)
    staff = await staff_token(api)
    reward = await add_reward(api.container, price=100, stock=3)
    members = []
    for i in range(12):
        member = await api.sign_in(f"1380000{i:04d}")
        await api.data(ADJUST, {"m": member.member_id, "a": 150, "k": f"seed-{i}"}, staff)
        members.append(member)
    homes = await asyncio.gather(*(api.gql(HOME, token=m.access_token) for m in members))
    assert all("errors" not in h and h["data"]["me"]["points"]["total"] == 150 for h in homes), homes[:1]
    bodies = await asyncio.gather(*(api.gql(REDEEM, {"r": reward.id, "k": "race"}, m.access_token) for m in members))
    assert sum("errors" not in b for b in bodies) == 3
    assert {c for b in bodies for c in error_codes(b)} == {"OUT_OF_STOCK"}
    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances.values()).count(50) == 3
