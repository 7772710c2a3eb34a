"""During a PostgreSQL outage clients get a retryable SERVICE_UNAVAILABLE with retryAfterSeconds,
not INTERNAL_SERVER_ERROR (issue #13 item 12)."""

from __future__ import annotations

import logging

import pytest

from api.app import create_app
from api.sms import DevCodeSink
from domain.auth.viewer import Role
from tests.conftest import app_settings
from tests.support.client import ApiClient, error_codes
from tests.support.servers import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
async def down_api():
    """An app whose PostgreSQL is not there (nothing listens on the port): the outage as clients see it."""
    url = f"postgresql+asyncpg://app@127.0.0.1:{free_port()}/loyalty"
    api = ApiClient(create_app(app_settings(url), code_sender=DevCodeSink()), DevCodeSink())
    yield api
    await api.close()
    await api.container.close()


async def test_field_errors_during_an_outage_are_retryable(down_api: ApiClient, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        body = await down_api.gql('mutation { requestLoginCode(phone: "13800138000") { maskedPhone } }')
    assert error_codes(body) == ["SERVICE_UNAVAILABLE"], body
    assert body["errors"][0]["extensions"]["retryAfterSeconds"] > 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_member_request_during_an_outage_is_503_and_retryable(down_api: ApiClient) -> None:
    token = down_api.container.tokens.issue_access(Role.MEMBER, 1, down_api.container.now()).token
    response = await down_api.post("{ me { id } }", token=token)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert error_codes(response.json()) == ["SERVICE_UNAVAILABLE"]


async def test_a_staff_write_during_an_outage_is_retryable(down_api: ApiClient) -> None:
    token = down_api.container.tokens.issue_access(Role.STAFF, 1, down_api.container.now()).token
    # Staff tokens are checked against the account (role, version) before the operation, so the
    # outage answers like a member's request: 503 with Retry-After.
    response = await down_api.post("""mutation { adjustPoints(input: {memberId: "1", amount: 5, reason: "r",
        idempotencyKey: "k1"}) { balance { total } } }""", token=token)
    assert response.status_code == 503, response.text
    assert error_codes(response.json()) == ["SERVICE_UNAVAILABLE"]
