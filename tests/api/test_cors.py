"""H5 and web front ends on other origins: preflight works for the allow-list, nobody else."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient

H5 = "https://h5.example.com"
PREFLIGHT = {"access-control-request-method": "POST",
             "access-control-request-headers": "authorization, content-type, accept-language"}


@pytest.fixture
def h5_api(make_client) -> ApiClient:
    return make_client(cors_origins=(H5,))


async def test_preflight_from_an_allowed_origin(h5_api: ApiClient) -> None:
    r = await h5_api.http.options("/graphql", headers={"origin": H5, **PREFLIGHT})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == H5
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = r.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


async def test_post_from_an_allowed_origin_is_readable(h5_api: ApiClient) -> None:
    r = await h5_api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": H5})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == H5
    assert "x-request-id" in r.headers.get("access-control-expose-headers", "").lower()


async def test_other_origins_get_no_cors_grant(h5_api: ApiClient) -> None:
    r = await h5_api.http.options("/graphql", headers={"origin": "https://evil.example", **PREFLIGHT})
    assert "access-control-allow-origin" not in r.headers
    r = await h5_api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
