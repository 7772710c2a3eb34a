"""Sign-out and erasure drop the worker's verified copies of the subject's access tokens.

The unit of work publishes `AccessEnded` after the commit of a sign-out or an erasure; this broker
wrapper sees it go by and drops the matching tokens from `JwtTokens`' cache before passing it on."""

from __future__ import annotations

from collections.abc import Callable

from api.auth import JwtTokens
from domain.ports import Broker, Listening, Subscription


class TokenDroppingBroker:
    def __init__(self, broker: Broker, tokens: JwtTokens) -> None:
        self._broker = broker
        self._tokens = tokens

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        if message.get("type") == "AccessEnded":
            family = message.get("family_id")
            self._tokens.forget(str(message["role"]), int(message["subject_id"]),  # type: ignore[call-overload]
                                family if isinstance(family, str) else None)
        await self._broker.publish(channel, message)

    async def subscribe(self, channel: str) -> Subscription:
        return await self._broker.subscribe(channel)

    async def listen(self, channel: str, callback: Callable[[dict[str, object]], None]) -> Listening:
        return await self._broker.listen(channel, callback)

    async def close(self) -> None:
        await self._broker.close()

    def __getattr__(self, name: str) -> object:  # anything else the wrapped broker offers
        return getattr(self._broker, name)
