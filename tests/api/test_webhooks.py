"""Webhooks to partners: signed, retried with backoff, never lost between commit and send."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.webhooks import HttpWebhookSender
from domain.webhooks.services import deliver_due
from tests.support.client import ApiClient, error_codes
from tests.support.live_server import served
from tests.support.program import configure_program
from tests.support.roles import staff_token


class Receiver:
    """A partner's endpoint: verifies signatures, fails on demand, remembers event ids it accepted."""

    def __init__(self) -> None:
        self.secret = ""
        self.fail_next = 0
        self.attempts = 0
        self.accepted: dict[str, dict] = {}
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.attempts += 1
        body = await request.body()
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{request.headers['x-loyalty-timestamp']}.".encode()
                                        + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers["x-loyalty-signature"]):
            return Response(status_code=401)
        if self.fail_next:
            self.fail_next -= 1
            return Response(status_code=503)
        self.accepted.setdefault(request.headers["x-loyalty-event-id"], json.loads(body))
        return Response(status_code=204)


class Crash(BaseException):
    """Stands in for the delivery process dying right after the request went out."""


class CrashAfterSending:
    def __init__(self, inner: HttpWebhookSender) -> None:
        self.inner = inner

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> int:
        await self.inner.send(url, headers, body)
        raise Crash


async def test_partner_events_are_signed_retried_and_delivered_once_per_event(api: ApiClient) -> None:
    await configure_program(api.container)
    staff = await staff_token(api)
    made = (await api.data("""mutation { createPartner(input: {name: "Coffee Co", partnerUnits: 1, programPoints: 1,
      dailyEarnCap: 1000, dailyBurnCap: 1000}) { clientSecret partner { id clientId } } }""", token=staff))[
        "createPartner"]
    partner = (await api.data("mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s) "
                              "{ accessToken } }", {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))[
        "partnerToken"]["accessToken"]
    member = await api.sign_in("13800138000")
    ref = (await api.data("mutation($p: ID!) { linkPartner(partnerId: $p) { memberRef } }",
                          {"p": made["partner"]["id"]}, member.access_token))["linkPartner"]["memberRef"]
    receiver = Receiver()
    sender = HttpWebhookSender()
    async with served(receiver.app) as host:
        hook = await api.data("""mutation($u: String!, $p: ID!) { addWebhook(url: $u, partnerId: $p,
          eventTypes: ["partner.transaction"]) { secret } }""", {"u": f"http://{host}/hook",
                                                                 "p": made["partner"]["id"]}, staff)
        receiver.secret = hook["addWebhook"]["secret"]
        await api.data("""mutation($m: String!) { partnerEarn(memberRef: $m, transactionId: "T1", partnerAmount: 5)
          { points } }""", {"m": ref}, partner)
        # Nothing was sent inside the request: the event waits in the outbox until the job runs.
        assert receiver.attempts == 0
        now = api.container.now()

        # The job dies right after sending: the delivery is not recorded, so it is sent again.
        with pytest.raises(Crash):
            await deliver_due(api.container.uow, CrashAfterSending(sender), now)
        receiver.fail_next = 1
        assert await deliver_due(api.container.uow, sender, now) == {"delivered": 0, "retrying": 1, "failed": 0}
        assert await deliver_due(api.container.uow, sender, now) == {"delivered": 0, "retrying": 0, "failed": 0}, (
            "backing off")
        later = now + timedelta(minutes=5)
        assert await deliver_due(api.container.uow, sender, later) == {"delivered": 1, "retrying": 0, "failed": 0}
        assert await deliver_due(api.container.uow, sender, later + timedelta(hours=1)) == {
            "delivered": 0, "retrying": 0, "failed": 0}
    await sender.close()
    assert receiver.attempts == 3
    assert len(receiver.accepted) == 1, "one event id, however many attempts"
    event = next(iter(receiver.accepted.values()))
    assert event["type"] == "partner.transaction"
    assert event["data"] == {"transactionId": "T1", "kind": "EARN", "points": 5, "partnerAmount": 5, "memberRef": ref}
    log = await api.data("{ webhookDeliveries { pageInfo { hasNextPage } nodes { status attempts lastStatus } } }",
                         token=staff)
    assert log["webhookDeliveries"]["nodes"] == [{"status": "DELIVERED", "attempts": 2, "lastStatus": 204}]
    assert log["webhookDeliveries"]["pageInfo"]["hasNextPage"] is False
    assert error_codes(await api.gql("{ webhookDeliveries { nodes { status } } }", token=member.access_token)) == [
        "FORBIDDEN"]
