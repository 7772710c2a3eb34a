"""The member-app contract, driven the way an app drives it: the `gql` client over HTTP and
graphql-transport-ws against a served app on the real PostgreSQL and redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import _client_factory, _close
from tests.support.client import ApiClient
from tests.support.live_server import served
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@dataclass
class App:
    api: ApiClient  # the same app, in process: for the texted code and staff set-up only
    host: str
    staff: str

    @asynccontextmanager
    async def http(self, token: str | None = None) -> AsyncIterator[Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        # A generous timeout: the suite shares two cores with other work, and a slow answer is not a wrong one.
        transport = HTTPXAsyncTransport(url=f"http://{self.host}/graphql", headers=headers, timeout=60)
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            yield session

    @asynccontextmanager
    async def ws(self, token: str) -> AsyncIterator[Any]:
        transport = WebsocketsTransport(url=f"ws://{self.host}/graphql", init_payload={"accessToken": token},
                                        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            yield session

    async def run(self, document: str, variables: dict | None = None, token: str | None = None) -> dict:
        async with self.http(token) as session:
            return await session.execute(GraphQLRequest(document, variable_values=variables or {}))

    def code_for(self, phone: str) -> str:
        return self.api.sink.latest[phone]


@pytest.fixture
async def app(postgres_url: str, redis_url: str) -> AsyncIterator[App]:
    make, clients = _client_factory(postgres_url)
    api = make(redis_url=redis_url)
    try:
        await configure_program(api.container)
        staff = await staff_token(api)
        async with served(api.app) as host:
            yield App(api, host, staff)
    finally:
        await _close(clients)
