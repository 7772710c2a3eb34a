"""Outbound channel adapters (domain.messaging.model.ChannelSender), chosen by settings.

Development: every external channel appends what it would send to one JSON-lines file (the sink), so a
developer (and a test) can read it. Production: each channel posts to its provider; a channel without a
provider is left out, and the send job records its messages as skipped ("channel not configured")."""

from __future__ import annotations

import json
import logging
from datetime import time
from pathlib import Path

import httpx

from api.settings import Settings
from domain.messaging.model import ChannelSender, MessageChannel, QuietHours, Rendered, SendPolicy

log = logging.getLogger(__name__)


class MessageSink:
    """The development adapter for every external channel: one line per message, and a list in memory."""

    def __init__(self, path: str | None) -> None:
        self._path = Path(path) if path else None
        self.sent: list[dict[str, object]] = []

    async def send(self, message: Rendered) -> str:
        line: dict[str, object] = {
            "channel": message.channel.value, "memberId": message.member_id, "key": message.message_key,
            "kind": message.kind, "to": message.address, "title": message.title, "body": message.body}
        self.sent.append(line)
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
        return f"sink:{len(self.sent)}"


class _HttpChannel:
    def __init__(self, url: str, token: str | None, timeout_seconds: float = 10.0) -> None:
        self._url = url
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False, headers=headers)

    async def _post(self, payload: dict[str, object]) -> str:
        response = await self._client.post(self._url, json=payload)
        if response.status_code >= 300:
            raise RuntimeError(f"provider answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        return str(body.get("id") or body.get("msgid") or response.status_code) if isinstance(body, dict) else "ok"

    async def send(self, message: Rendered) -> str:
        """Each provider's own payload: see the subclasses."""
        raise NotImplementedError

    async def close(self) -> None:
        await self._client.aclose()


class HttpPushChannel(_HttpChannel):
    """App push through an HTTP push provider: one JSON notification per device token."""

    async def send(self, message: Rendered) -> str:
        return await self._post({
            "to": message.address,
            "notification": {"title": message.title, "body": message.body},
            "data": {"kind": message.kind, "key": message.message_key},
            # The provider drops a repeat of the same collapse key: a retried send shows once.
            "collapseKey": message.message_key,
        })


class MiniProgramChannel(_HttpChannel):
    """WeChat mini-program subscribe message: a template id and its data fields, to the member's openid."""

    def __init__(self, url: str, token: str | None, templates: dict[str, str]) -> None:
        super().__init__(url, token)
        self._templates = templates

    async def send(self, message: Rendered) -> str:
        template_id = self._templates.get(message.kind)
        if template_id is None:
            raise LookupError(f"no mini-program template configured for {message.kind}")
        data = {name: {"value": str(value)[:20]} for name, value in message.variables.items()}
        return await self._post({"touser": message.address, "template_id": template_id, "data": data})


class SmsGatewayChannel(_HttpChannel):
    async def send(self, message: Rendered) -> str:
        return await self._post({"phone": message.address, "text": f"{message.title}：{message.body}"})


def build_channels(settings: Settings,
                   sink: MessageSink | None = None) -> tuple[dict[MessageChannel, ChannelSender], list[_HttpChannel]]:
    """The adapters by channel, and the HTTP ones to close when the job ends. INBOX needs none (the
    send job writes the inbox in its own transaction)."""
    channels: dict[MessageChannel, ChannelSender] = {}
    closable: list[_HttpChannel] = []
    dev_sink = sink or (None if settings.is_production else MessageSink(settings.message_sink_path))
    providers: dict[MessageChannel, _HttpChannel | None] = {
        MessageChannel.PUSH: HttpPushChannel(settings.push_provider_url, settings.push_provider_token)
        if settings.push_provider_url else None,
        MessageChannel.MINI_PROGRAM: MiniProgramChannel(settings.mini_program_url, settings.mini_program_token,
                                                        settings.mini_program_templates)
        if settings.mini_program_url else None,
        MessageChannel.SMS: SmsGatewayChannel(settings.sms_gateway_url, settings.sms_gateway_token)
        if settings.sms_gateway_url else None,
    }
    for channel, provider in providers.items():
        if provider is not None:
            channels[channel] = provider
            closable.append(provider)
        elif dev_sink is not None:
            channels[channel] = dev_sink
    return channels, closable


def send_policy(settings: Settings) -> SendPolicy:
    return SendPolicy(parse_quiet_hours(settings.quiet_hours), settings.marketing_daily_cap,
                      settings.marketing_weekly_cap)


def parse_quiet_hours(raw: str) -> QuietHours | None:
    if not raw.strip():
        return None
    start, _, end = raw.partition("-")
    return QuietHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
