"""/metrics after a member journey: what operators graph and alert on is really counted; not public."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.jobs import find_job, run_recorded
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

PURCHASE = """mutation Buy($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
POINTS = "query HomePoints { me { points { available } } }"


async def scrape(api: ApiClient, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.redis
async def test_metrics_after_a_member_journey(make_client: Callable[..., ApiClient], redis_url: str) -> None:
    api = make_client(redis_url=redis_url)
    before = await scrape(api)
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    bought = await api.data(PURCHASE, {"i": {"member": {"phone": "13800138000"}, "orderId": "M-1", "storeId": "S1",
                                             "amountCents": 10_000, "items": [{"category": "apparel",
                                                                               "amountCents": 10_000}]}}, staff)
    assert bought["recordPurchase"]["pointsEarned"] > 0
    for _ in range(2):
        await api.data(POINTS, token=member.access_token)
    refused = await api.gql(POINTS)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    await run_recorded(api.container, find_job("expire-points"), "cli")
    after = await scrape(api)

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) - value(before, name, **labels) >= by

    assert grew("loyalty_graphql_request_seconds_count", 3, operation="HomePoints", type="query")
    assert grew("loyalty_graphql_request_seconds_count", operation="Buy", type="mutation")
    assert grew("loyalty_graphql_request_seconds_bucket", 3, operation="HomePoints", type="query", le="+Inf")
    assert grew("loyalty_graphql_errors_total", code="UNAUTHENTICATED")
    assert value(after, "loyalty_login_codes_sent_total") - value(before, "loyalty_login_codes_sent_total") == 1
    assert grew("loyalty_cache_reads_total", result="hit") or grew("loyalty_cache_reads_total", result="miss")
    assert grew("loyalty_redis_command_seconds_count", command="EVALSHA") or \
        grew("loyalty_redis_command_seconds_count", command="EVAL")
    assert grew("loyalty_job_seconds_count", job="expire-points")
    assert ("loyalty_redis_breaker_open_until_timestamp_seconds", ()) in after
    assert ("loyalty_outbox_lag_seconds", ()) in after and ("loyalty_websockets_open", ()) in after
    if api.container.engine.dialect.name == "postgresql":
        assert grew("loyalty_db_pool_wait_seconds_count", pool="write")
        assert ("loyalty_db_pool_connections_in_use", (("pool", "write"),)) in after


async def test_metrics_are_not_public(make_client: Callable[..., ApiClient]) -> None:
    open_api = make_client()
    remote = httpx.AsyncClient(transport=httpx.ASGITransport(app=open_api.app, client=("203.0.113.7", 4000)),
                               base_url="http://testserver")
    async with remote:
        assert (await remote.get("/metrics")).status_code == 404, "no token set: loopback callers only"
    assert (await open_api.http.get("/metrics")).status_code == 200

    guarded = make_client(metrics_token="m" * 32)
    assert (await guarded.http.get("/metrics")).status_code == 404
    assert (await guarded.http.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 404
    assert (await guarded.http.get("/metrics", headers={"authorization": "Bearer " + "m" * 32})).status_code == 200
