"""Access log lines say which operation ran, of what type, for whom, how it ended and how long it took."""

from __future__ import annotations

import logging

import pytest

from tests.support.client import ApiClient


def _access_fields(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.name == "api.access"]


async def test_access_line_carries_operation_type_role_and_result(api: ApiClient,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    session = await api.sign_in("13800138000")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="api.access"):
        await api.data("query Home { me { id } }", token=session.access_token)
        await api.gql("query Anonymous { me { id } }")
        await api.gql("mutation Refresh($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
                      {"t": "nope"})
    home, anonymous, refresh = _access_fields(caplog)
    assert home["operation"] == "Home" and home["operationType"] == "query"
    assert home["role"] == "MEMBER" and home["result"] == "OK"
    assert isinstance(home["ms"], float) and home["status"] == 200
    assert anonymous["role"] == "ANONYMOUS" and anonymous["result"] == "UNAUTHENTICATED"
    assert refresh["operation"] == "Refresh" and refresh["operationType"] == "mutation"
    assert refresh["result"] != "OK"


async def test_access_line_for_a_document_that_does_not_parse(api: ApiClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="api.access"):
        await api.http.post("/graphql", json={"query": "{ me { "})
    (line,) = _access_fields(caplog)
    assert line["result"] == "GRAPHQL_PARSE_FAILED" and line["operation"] is None


async def test_access_line_as_written_carries_the_request_id(api: ApiClient) -> None:
    import io
    import json

    from api.logs import JsonFormatter

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("api.access")
    access.addHandler(handler)
    previous = access.level
    access.setLevel(logging.INFO)
    try:
        response = await api.http.post("/graphql", json={"query": "query Tiers { tiers { code } }"},
                                        headers={"x-request-id": "journey-42"})
    finally:
        access.removeHandler(handler)
        access.setLevel(previous)
    (line,) = [json.loads(raw) for raw in out.getvalue().splitlines()]
    assert response.headers["x-request-id"] == "journey-42"
    assert line["request_id"] == "journey-42" and line["operation"] == "Tiers" and line["operationType"] == "query"
    assert line["role"] == "ANONYMOUS" and line["result"] == "OK" and isinstance(line["ms"], float)
