"""The HTTP side of webhook delivery."""

from __future__ import annotations

import httpx


class HttpWebhookSender:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> int:
        response = await self._client.post(url, content=body, headers=headers)
        return response.status_code

    async def close(self) -> None:
        await self._client.aclose()
