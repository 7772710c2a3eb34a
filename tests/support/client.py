"""Drive the ASGI app over HTTP the way a member app or POS would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from api.container import Container
from api.sms import DevCodeSink
from domain.members.phone import normalize_phone

SIGN_IN = """
mutation SignIn($phone: String!, $code: String!) {
  signIn(phone: $phone, code: $code) {
    isNewMember
    member { id phone }
    session { accessToken refreshToken accessTokenExpiresAt role }
  }
}
"""

REQUEST_CODE = "mutation($p: String!) { requestLoginCode(phone: $p) { maskedPhone } }"


@dataclass
class Session:
    access_token: str
    refresh_token: str
    member_id: str | None = None


class ApiClient:
    def __init__(self, app: Starlette, sink: DevCodeSink) -> None:
        self.app = app
        self.sink = sink
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    @property
    def container(self) -> Container:
        return self.app.state.container

    async def post(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                    headers=all_headers)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                  headers: dict[str, str] | None = None) -> dict:
        response = await self.post(query, variables, token, headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict:
        body = await self.gql(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def request_code(self, phone: str) -> str:
        await self.data(REQUEST_CODE, {"p": phone})
        return self.sink.latest[normalize_phone(phone)]

    async def sign_in(self, phone: str) -> Session:
        code = await self.request_code(phone)
        data = await self.data(SIGN_IN, {"phone": phone, "code": code})
        s = data["signIn"]
        return Session(s["session"]["accessToken"], s["session"]["refreshToken"], s["member"]["id"])

    async def close(self) -> None:
        await self.http.aclose()


ENGLISH = {"accept-language": "en"}


def error_codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
