"""What a stalled Redis (SIGSTOP on the real redis-server) must not open up: erasure stays enforced
and rate limits stay limits (issue #13 items 2 and 4). Two apps on one database and one Redis play
two uvicorn workers."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from domain.members.services import profile_cache_key
from domain.store.tables import posts
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import redis_server

pytestmark = pytest.mark.redis

ME = "{ me { id phone displayName } }"
POST = """mutation($b: String!) { createPost(input: {body: $b}) { post { id } } }"""
STAFF_ERASE = """mutation($m: ID!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
  reason: "hotline call"}) { memberId alreadyErased } }"""
EXPORT = "{ exportMyData { memberId } }"


def two_workers(make_client, url: str) -> tuple[ApiClient, ApiClient]:
    prefix = f"stall:{time.monotonic_ns()}:"
    return make_client(redis_url=url, redis_prefix=prefix), make_client(redis_url=url, redis_prefix=prefix)


async def _paused(proc, seconds: float) -> None:
    proc.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(seconds)
    finally:
        proc.send_signal(signal.SIGCONT)


async def _count_posts(api: ApiClient, member_id: str) -> int:
    async with api.container.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(posts).where(posts.c.author_id == int(member_id)))


async def test_erasure_during_a_redis_stall_is_enforced_on_every_worker(make_client) -> None:
    with redis_server() as (url, proc):
        staff_side, member_side = two_workers(make_client, url)
        await configure_program(staff_side.container)
        member = await member_side.sign_in("13800138000")
        await member_side.data('mutation { updateProfile(input: {displayName: "Lin"}) { member { id } } }',
                               token=member.access_token)
        for _ in range(3):  # the profile is now cached in Redis
            assert (await member_side.data(ME, token=member.access_token))["me"]["displayName"] == "Lin"
        staff = await staff_token(staff_side)

        stall = asyncio.create_task(_paused(proc, 4.0))
        await asyncio.sleep(0.1)
        erased = await staff_side.gql(STAFF_ERASE, {"m": member.member_id}, staff)
        await stall
        assert "errors" not in erased, erased

        reads = [await member_side.gql(ME, token=member.access_token) for _ in range(5)]
        assert all(error_codes(r) == ["UNAUTHENTICATED"] for r in reads), reads
        writes = [await member_side.gql(POST, {"b": f"still here {i}"}, member.access_token) for i in range(5)]
        assert all(error_codes(w) == ["UNAUTHENTICATED"] for w in writes), writes
        assert await _count_posts(member_side, member.member_id) == 0


async def test_writes_recheck_erasure_in_the_database_even_with_a_stale_cached_profile(make_client) -> None:
    with redis_server() as (url, _proc):
        staff_side, member_side = two_workers(make_client, url)
        await configure_program(staff_side.container)
        member = await member_side.sign_in("13800138000")
        await member_side.data(ME, token=member.access_token)
        raw = Redis.from_url(url)
        key = member_side.container.settings.redis_prefix + profile_cache_key(int(member.member_id))
        before = await raw.hgetall(key)
        await staff_side.data(STAFF_ERASE, {"m": member.member_id}, await staff_token(staff_side))
        # Whatever put it there (a lost write-through, a restored snapshot), the cache says "not erased":
        await raw.hset(key, mapping={b"v": 10**9, b"d": before[b"d"]})
        assert json.loads(before[b"d"])["phone"] != ""
        answer = await member_side.gql(POST, {"b": "written after erasure"}, member.access_token)
        await raw.aclose()
        assert error_codes(answer) == ["UNAUTHENTICATED"], answer
        assert await _count_posts(member_side, member.member_id) == 0


async def test_export_limit_holds_while_redis_is_stalled(make_client) -> None:
    with redis_server() as (url, proc):
        first, second = two_workers(make_client, url)
        await configure_program(first.container)
        member = await first.sign_in("13800138000")
        proc.send_signal(signal.SIGSTOP)
        try:
            answers = [await (first if i % 2 else second).gql(EXPORT, token=member.access_token) for i in range(8)]
        finally:
            proc.send_signal(signal.SIGCONT)
        served = sum(1 for a in answers if "errors" not in a)
        refused = [c for a in answers for c in error_codes(a)]
        assert served <= 5, f"{served} of 8 exports served with a limit of 5/hour"
        assert set(refused) <= {"RATE_LIMITED", "SERVICE_UNAVAILABLE"}, refused


PARTNER_EARN = """mutation($m: String!, $t: String!) { partnerEarn(memberRef: $m, transactionId: $t,
  partnerAmount: 1) { points } }"""


async def test_an_over_limit_partner_stays_limited_while_redis_is_stalled(make_client) -> None:
    with redis_server() as (url, proc):
        prefix = f"stall:{time.monotonic_ns()}:"
        first, second = (make_client(redis_url=url, redis_prefix=prefix, partner_requests_per_minute=5)
                         for _ in range(2))
        await configure_program(first.container)
        staff = await staff_token(first)
        terms = {"name": "Busy Co", "partnerUnits": 1, "programPoints": 1, "dailyEarnCap": 100000,
                 "dailyBurnCap": 1000}
        made = (await first.data("""mutation($i: CreatePartnerInput!) { createPartner(input: $i) { clientSecret
            partner { id clientId } } }""", {"i": terms}, staff))["createPartner"]
        token = (await first.data("""mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s)
            { accessToken } }""", {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))["partnerToken"][
            "accessToken"]
        member = await first.sign_in("13800138000")
        ref = (await first.data("""mutation($p: ID!) { linkPartner(partnerId: $p, sharePhone: true) { memberRef } }""",
                                {"p": made["partner"]["id"]}, member.access_token))["linkPartner"]["memberRef"]
        if time.time() % 60 > 45:  # keep the whole test inside one fixed one-minute window
            await asyncio.sleep(61 - time.time() % 60)
        before = [await (first if i % 2 else second).gql(PARTNER_EARN, {"m": ref, "t": f"B{i}"}, token)
                  for i in range(6)]
        assert error_codes(before[-1]) == ["RATE_LIMITED"]
        proc.send_signal(signal.SIGSTOP)
        try:
            during = [await (first if i % 2 else second).gql(PARTNER_EARN, {"m": ref, "t": f"D{i}"}, token)
                      for i in range(50)]
        finally:
            proc.send_signal(signal.SIGCONT)
        served = sum(1 for a in during if "errors" not in a)
        assert served == 0, f"an over-limit partner got {served} of 50 calls through"
        assert {c for a in during for c in error_codes(a)} == {"RATE_LIMITED"}
