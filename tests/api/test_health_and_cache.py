"""Probes, and the profile cache in front of the database: Redis helps, but is never required."""

from __future__ import annotations

import gc

import pytest
from redis.asyncio import Redis

from domain.members.services import profile_cache_key
from tests.support.client import ApiClient
from tests.support.servers import free_port, redis_server

ME = "{ me { id displayName } }"
RENAME = 'mutation($n: String!) { updateProfile(input: {displayName: $n}) { member { displayName } } }'


async def test_liveness_and_readiness(api: ApiClient) -> None:
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


@pytest.mark.redis
async def test_profile_is_cached_in_redis_and_written_through_on_change(make_client, redis_url: str) -> None:
    api = make_client(redis_url=redis_url)
    s = await api.sign_in("13800138000")
    await api.data(ME, token=s.access_token)
    raw = Redis.from_url(redis_url)
    key = api.container.settings.redis_prefix + profile_cache_key(int(s.member_id))
    assert await raw.hget(key, "v") == b"1"

    await api.data(RENAME, {"n": "Lin"}, s.access_token)
    assert await raw.hget(key, "v") == b"2", "the new version replaced the cached one after commit"
    assert (await api.data(ME, token=s.access_token))["me"]["displayName"] == "Lin"
    await raw.aclose()


@pytest.mark.redis
# redis-py does not close the sockets of connections whose server was killed under them;
# collect them here so their ResourceWarnings land on this test, which expects them.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_requests_succeed_when_redis_dies(make_client) -> None:
    with redis_server() as (url, proc):
        api = make_client(redis_url=url)
        s = await api.sign_in("13800138000")
        await api.data(RENAME, {"n": "Before outage"}, s.access_token)
        assert (await api.http.get("/readyz")).json()["redis"] == "ok"
        proc.kill()
        proc.wait()

        assert (await api.data(ME, token=s.access_token))["me"]["displayName"] == "Before outage"
        renamed = await api.data(RENAME, {"n": "During outage"}, s.access_token)
        assert renamed["updateProfile"]["member"]["displayName"] == "During outage"
        assert (await api.data(ME, token=s.access_token))["me"]["displayName"] == "During outage"
        ready = await api.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["redis"] == "unavailable"
        await api.container.close()
        gc.collect()


@pytest.mark.redis
async def test_app_starts_and_serves_with_redis_configured_but_never_up(make_client) -> None:
    api = make_client(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    s = await api.sign_in("13800138000")
    assert (await api.data(ME, token=s.access_token))["me"]["id"] == s.member_id
