"""Member messages through the API: the inbox, channel preferences, the send job and the points-expiring
trigger (consent, quiet hours, caps, one reminder per member and lot window), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from api.message_channels import MessageSink
from domain.messaging.model import MessageChannel, QuietHours, SendPolicy
from domain.messaging.sending import send_due_messages
from domain.messaging.triggers import remind_expiring_points
from tests.support.client import ENGLISH, ApiClient, error_codes
from tests.support.roles import staff_token

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "gift", idempotencyKey: $k}) { entry { id } } }"""
CONSENT = "mutation($c: Boolean!) { updateProfile(input: {marketingConsent: $c}) { member { id } } }"
LINK = "mutation($i: LinkIdentityInput!) { linkIdentity(input: $i) { identity { channel } } }"
CHANNELS = """mutation($c: [ChannelPreferenceInput!]!) { setMessageChannels(channels: $c) {
  channels { channel enabled } } }"""
INBOX = """query($first: Int!, $after: String) { me { unreadNotificationsCount
  notifications(first: $first, after: $after) { edges { cursor node { id kind title body read readAt } }
  pageInfo { hasNextPage endCursor } } } }"""
MARK = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { unreadCount } }"
MARK_ALL = "mutation { markAllNotificationsRead { unreadCount } }"
SENDS = """query($m: ID!) { messageSends(memberId: $m, first: 50) {
  channel kind category status reason result messageKey variables } }"""

# 2026-03-02 02:00 UTC is 10:00 in Shanghai: outside the default quiet hours.
JOINED = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
SHANGHAI_10AM = datetime(2026, 2, 27, 2, 0, tzinfo=UTC)  # three days before the lots of JOINED expire
NO_QUIET = SendPolicy(None, daily_cap=10, weekly_cap=20)


async def _member(api: ApiClient, monkeypatch: pytest.MonkeyPatch, phone: str, staff: str, points: int,
                  consent: bool, device: bool = True) -> str:
    """Signed in now (tokens are checked against the real time); the points are earned at JOINED."""
    member = await api.sign_in(phone)
    real_now = api.container.now
    _at(api, monkeypatch, JOINED)
    await api.data(ADJUST, {"m": member.member_id, "a": points, "k": f"gift-{phone}"}, staff)
    monkeypatch.setattr(api.container, "now", real_now)
    if consent:
        await api.data(CONSENT, {"c": True}, member.access_token)
    if device:
        await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": f"device-{phone}"}}, member.access_token)
    return member.access_token


def _at(api: ApiClient, monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(api.container, "now", lambda: moment)


async def _send(api: ApiClient, sink: MessageSink, policy: SendPolicy = NO_QUIET) -> dict[str, int]:
    channels = {MessageChannel.PUSH: sink, MessageChannel.MINI_PROGRAM: sink, MessageChannel.SMS: sink}
    return await send_due_messages(api.container.uow, channels, policy, api.container.clock)


async def test_expiring_points_make_one_reminder_per_member_and_lot_window_honouring_consent(
        make_client, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api: ApiClient = make_client(redis_url=redis_url)  # the deployed shape: cache and events in Redis
    staff = await staff_token(api)
    consenting = await _member(api, monkeypatch, "13800138001", staff, 300, consent=True)
    silent = await _member(api, monkeypatch, "13800138002", staff, 300, consent=False)
    no_push = await _member(api, monkeypatch, "13800138003", staff, 300, consent=True)
    await api.data(CHANNELS, {"c": [{"channel": "PUSH", "enabled": False}]}, no_push)

    _at(api, monkeypatch, SHANGHAI_10AM)
    first = await remind_expiring_points(api.container.uow, api.container.clock, days=7)
    again = await remind_expiring_points(api.container.uow, api.container.clock, days=7)
    sink = MessageSink(None)
    await _send(api, sink)
    await _send(api, sink)  # a second pass sends nothing twice

    # consenting: INBOX, PUSH, MINI_PROGRAM; no_push: INBOX, MINI_PROGRAM (both skipped later: no openid linked)
    assert first == {"queued": 5} and again == {"queued": 0}
    body = await api.gql(INBOX, {"first": 10}, consenting, headers=ENGLISH)
    me = body["data"]["me"]
    assert me["unreadNotificationsCount"] == 1
    [edge] = me["notifications"]["edges"]
    assert edge["node"]["kind"] == "POINTS_EXPIRING" and edge["node"]["read"] is False
    assert edge["node"]["body"] == "300 of your points expire on 2026-03-02. Redeem them before then."
    zh = await api.data(INBOX, {"first": 10}, consenting)
    assert zh["me"]["notifications"]["edges"][0]["node"]["title"] == "积分即将过期"
    assert [(m["channel"], m["to"]) for m in sink.sent] == [("PUSH", "device-13800138001")]
    assert (await api.data(INBOX, {"first": 10}, silent))["me"]["unreadNotificationsCount"] == 0
    assert (await api.data(INBOX, {"first": 10}, no_push))["me"]["unreadNotificationsCount"] == 1

    # The send record says what, why, where and the result, for staff.
    no_push_id = (await api.data("{ me { id } }", None, no_push))["me"]["id"]
    sends = {s["channel"]: s for s in (await api.data(SENDS, {"m": no_push_id}, staff))["messageSends"]}
    assert set(sends) == {"INBOX", "MINI_PROGRAM"}
    assert sends["INBOX"]["status"] == "SENT" and sends["INBOX"]["reason"] == "trigger:points-expiring:7d"
    assert sends["MINI_PROGRAM"]["status"] == "SKIPPED"
    assert sends["MINI_PROGRAM"]["result"] == "no address for this channel"
    assert sends["INBOX"]["variables"] == {"points": 300, "expiresOn": "2026-03-02"}


async def test_consent_withdrawn_after_queueing_stops_the_send(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    member = await _member(api, monkeypatch, "13800138011", staff, 100, consent=True)
    _at(api, monkeypatch, SHANGHAI_10AM)
    await remind_expiring_points(api.container.uow, api.container.clock, days=7)
    await api.data(CONSENT, {"c": False}, member)
    sink = MessageSink(None)
    counts = await _send(api, sink)
    assert counts["sent"] == 0 and counts["skipped"] == 3 and sink.sent == []
    assert (await api.data(INBOX, {"first": 10}, member))["me"]["unreadNotificationsCount"] == 0


async def test_quiet_hours_defer_pushes_until_morning_and_the_inbox_still_fills(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    member = await _member(api, monkeypatch, "13800138021", staff, 100, consent=True)
    late = datetime(2026, 2, 27, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    _at(api, monkeypatch, late)
    await remind_expiring_points(api.container.uow, api.container.clock, days=7)
    policy = SendPolicy(QuietHours(time(21), time(9)), daily_cap=10, weekly_cap=20)
    sink = MessageSink(None)
    counts = await _send(api, sink, policy)
    assert counts["deferred"] == 1 and sink.sent == []  # push held back; the mini-program has no address
    assert (await api.data(INBOX, {"first": 10}, member))["me"]["unreadNotificationsCount"] == 1

    _at(api, monkeypatch, datetime(2026, 2, 28, 0, 59, tzinfo=UTC))  # 08:59: still quiet, not yet due
    assert (await _send(api, sink, policy))["deferred"] == 0 and sink.sent == []
    _at(api, monkeypatch, datetime(2026, 2, 28, 1, 0, tzinfo=UTC))  # 09:00
    assert (await _send(api, sink, policy))["sent"] == 1
    assert [m["channel"] for m in sink.sent] == ["PUSH"]


async def test_daily_cap_skips_a_second_marketing_message_the_same_day(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    member = await api.sign_in("13800138031")
    await api.data(CONSENT, {"c": True}, member.access_token)
    await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "device-31"}}, member.access_token)
    # Two lot windows: points earned on two days expire on two days, both within the reminder window.
    for day, key in ((JOINED, "a"), (JOINED + timedelta(days=1), "b")):
        _at(api, monkeypatch, day)
        await api.data(ADJUST, {"m": member.member_id, "a": 50, "k": key}, staff)
    _at(api, monkeypatch, SHANGHAI_10AM)
    assert (await remind_expiring_points(api.container.uow, api.container.clock, days=7)) == {"queued": 6}
    sink = MessageSink(None)
    await _send(api, sink, SendPolicy(None, daily_cap=1, weekly_cap=5))
    inbox = (await api.data(INBOX, {"first": 10}, member.access_token))["me"]
    assert inbox["unreadNotificationsCount"] == 1  # the second window's reminder hit the cap
    assert len(sink.sent) == 1
    sends = (await api.data(SENDS, {"m": member.member_id}, staff))["messageSends"]
    assert sorted(s["result"] for s in sends if s["status"] == "SKIPPED") == [
        "daily cap reached", "daily cap reached", "no address for this channel", "no address for this channel"]


async def test_inbox_pages_newest_first_and_marking_read_is_idempotent(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    member = await api.sign_in("13800138041")
    other = await api.sign_in("13800138042")
    await api.data(CONSENT, {"c": True}, member.access_token)
    for n in range(3):  # three lot windows, three reminders, on three days
        _at(api, monkeypatch, JOINED + timedelta(days=n))
        await api.data(ADJUST, {"m": member.member_id, "a": 10 + n, "k": f"k{n}"}, staff)
    for n in range(3):
        _at(api, monkeypatch, SHANGHAI_10AM + timedelta(days=n, minutes=n))
        await remind_expiring_points(api.container.uow, api.container.clock, days=7)
        await _send(api, MessageSink(None))
    page = (await api.data(INBOX, {"first": 2}, member.access_token))["me"]
    assert page["unreadNotificationsCount"] == 3
    nodes = [e["node"] for e in page["notifications"]["edges"]]
    assert page["notifications"]["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(INBOX, {"first": 2, "after": page["notifications"]["pageInfo"]["endCursor"]},
                           member.access_token))["me"]["notifications"]
    assert rest["pageInfo"]["hasNextPage"] is False
    everything = nodes + [e["node"] for e in rest["edges"]]
    assert len({n["id"] for n in everything}) == 3
    assert [n["body"].split("积分")[0] for n in everything] == ["您有12", "您有11", "您有10"]  # newest first

    assert (await api.data(MARK, {"ids": [nodes[0]["id"]]}, member.access_token))["markNotificationsRead"] == {
        "unreadCount": 2}
    assert (await api.data(MARK, {"ids": [nodes[0]["id"]]}, member.access_token))["markNotificationsRead"] == {
        "unreadCount": 2}
    # Someone else's notification: NOT_FOUND, and nothing of theirs changes.
    assert error_codes(await api.gql(MARK, {"ids": [nodes[1]["id"]]}, other.access_token)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(MARK, {"ids": []}, member.access_token)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(INBOX, {"first": 0}, member.access_token)) == ["BAD_USER_INPUT"]
    assert (await api.data(MARK_ALL, None, member.access_token))["markAllNotificationsRead"] == {"unreadCount": 0}
    assert (await api.data(MARK_ALL, None, member.access_token))["markAllNotificationsRead"] == {"unreadCount": 0}
    final = (await api.data(INBOX, {"first": 5}, member.access_token))["me"]["notifications"]["edges"]
    assert all(e["node"]["read"] for e in final)


async def test_a_failing_provider_is_retried_with_backoff_then_succeeds(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    await _member(api, monkeypatch, "13800138051", staff, 100, consent=True)
    _at(api, monkeypatch, SHANGHAI_10AM)
    await remind_expiring_points(api.container.uow, api.container.clock, days=7)

    class Flaky(MessageSink):
        failures = 1

        async def send(self, message):  # type: ignore[no-untyped-def]
            if self.failures:
                self.failures -= 1
                raise ConnectionError("provider down")
            return await super().send(message)

    flaky = Flaky(None)
    channels = {MessageChannel.PUSH: flaky}
    assert (await send_due_messages(api.container.uow, channels, NO_QUIET, api.container.clock))["retrying"] == 1
    # Not due again until the backoff has passed.
    assert (await send_due_messages(api.container.uow, channels, NO_QUIET, api.container.clock))["sent"] == 0
    _at(api, monkeypatch, SHANGHAI_10AM + timedelta(minutes=1))
    assert (await send_due_messages(api.container.uow, channels, NO_QUIET, api.container.clock))["sent"] == 1
    assert len(flaky.sent) == 1


async def test_erasure_takes_the_inbox_and_the_send_record(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await staff_token(api)
    member = await _member(api, monkeypatch, "13800138061", staff, 100, consent=True)
    member_id = (await api.data("{ me { id } }", None, member))["me"]["id"]
    _at(api, monkeypatch, SHANGHAI_10AM)
    await remind_expiring_points(api.container.uow, api.container.clock, days=7)
    await _send(api, MessageSink(None))
    assert (await api.data(SENDS, {"m": member_id}, staff))["messageSends"]
    await api.data('mutation { requestErasure(input: {confirmation: "ERASE MY DATA"}) { erasedAt } }', None, member)
    assert (await api.data(SENDS, {"m": member_id}, staff))["messageSends"] == []


NOTIFICATIONS_SUB = """subscription($after: String) { notificationReceived(after: $after) {
  kind cursor unreadCount notification { kind title } } }"""


async def test_notifications_arrive_live_over_redis_and_a_reconnect_resumes(
        make_client, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import websockets

    from tests.api.test_subscriptions import PROTOCOL, receive, subscribe
    from tests.support.live_server import served

    api: ApiClient = make_client(redis_url=redis_url)
    staff = await staff_token(api)
    member = await _member(api, monkeypatch, "13800138071", staff, 100, consent=True)
    async with served(api.app) as host:
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, member, NOTIFICATIONS_SUB)
            first = (await receive(ws))["payload"]["data"]["notificationReceived"]
            assert first["kind"] == "CURRENT" and first["unreadCount"] == 0 and first["notification"] is None
            _at(api, monkeypatch, SHANGHAI_10AM)
            await remind_expiring_points(api.container.uow, api.container.clock, days=7)
            await _send(api, MessageSink(None))
            item = (await receive(ws))["payload"]["data"]["notificationReceived"]
            assert item["kind"] == "ITEM" and item["unreadCount"] == 1
            assert item["notification"] == {"kind": "POINTS_EXPIRING", "title": "积分即将过期"}
        # Offline, a second reminder arrives (another lot window); resuming with the cursor replays it.
        staff_adjust = {"m": (await api.data("{ me { id } }", None, member))["me"]["id"], "a": 5, "k": "later"}
        _at(api, monkeypatch, JOINED + timedelta(days=2))
        await api.data(ADJUST, staff_adjust, staff)
        _at(api, monkeypatch, SHANGHAI_10AM + timedelta(days=1))
        await remind_expiring_points(api.container.uow, api.container.clock, days=7)
        await _send(api, MessageSink(None))
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, member, NOTIFICATIONS_SUB, {"after": item["cursor"]})
            missed = (await receive(ws))["payload"]["data"]["notificationReceived"]
            assert missed["kind"] == "ITEM" and missed["unreadCount"] == 2
            assert json.dumps(missed["notification"], ensure_ascii=False).count("积分即将过期") == 1


TEMPLATES_QUERY = "{ messageTemplates { kind category channels variables titleZhCn titleEn } }"
PREVIEW = """query($k: String!, $l: String!, $v: JSON) { previewMessage(kind: $k, language: $l, variables: $v) {
  title body } }"""


async def test_staff_list_and_preview_templates_in_both_languages(api: ApiClient) -> None:
    staff = await staff_token(api)
    found = {t["kind"]: t for t in (await api.data(TEMPLATES_QUERY, None, staff))["messageTemplates"]}
    assert found["POINTS_EXPIRING"]["category"] == "MARKETING"
    assert found["TIER_CHANGED"]["category"] == "TRANSACTIONAL"
    preview = (await api.data(PREVIEW, {"k": "WIN_BACK", "l": "zh-CN", "v": {"couponName": "满100减20券"}},
                              staff))["previewMessage"]
    assert preview == {"title": "好久不见", "body": "我们想您了！送您满100减20券，欢迎回来。"}
    assert error_codes(await api.gql(PREVIEW, {"k": "WIN_BACK", "l": "fr"}, staff)) == ["BAD_USER_INPUT"]
    member = await api.sign_in("13800138081")
    assert error_codes(await api.gql(TEMPLATES_QUERY, None, member.access_token)) == ["FORBIDDEN"]


async def test_scheduled_triggers_announce_tier_changes_coupons_and_events_once(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.messaging.triggers import run_message_triggers
    from tests.api.test_events_referrals import SAVE as SAVE_EVENT
    from tests.api.test_events_referrals import SIGN_UP, event_input
    from tests.api.test_points_purchases import PURCHASE, order
    from tests.support.program import configure_program

    await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in("13800138091")
    await api.data(CONSENT, {"c": True}, member.access_token)
    await api.data(PURCHASE, {"i": order("big-1", "13800138091", 60_000)}, staff)  # ¥60,000: Gold
    coupon = {"name": "满300减50", "kind": "SPEND_AND_SAVE", "valueCents": 5_000, "minSpendCents": 30_000,
              "validDays": 2}
    template_id = (await api.data("""mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) {
        template { id } } }""", {"i": coupon}, staff))["saveCouponTemplate"]["template"]["id"]
    await api.data("""mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }""",
                   {"i": {"templateId": template_id, "idempotencyKey": "k1", "memberIds": [member.member_id]}}, staff)
    event = (await api.data(SAVE_EVENT, {"i": event_input(api, title="品酒会", startsAt=(
        api.container.now() + timedelta(hours=20)).isoformat(), signupClosesAt=(
        api.container.now() + timedelta(hours=10)).isoformat())}, staff))["saveEvent"]["id"]
    await api.data(SIGN_UP, {"e": event}, member.access_token)

    first = await run_message_triggers(api.container.uow, api.container.clock)
    again = await run_message_triggers(api.container.uow, api.container.clock)
    assert first == {"points-expiring": 0, "tier-changed": 2, "coupon-issued": 2, "coupon-expiring": 3,
                     "event-starting": 3, "birthday": 0, "birthday-soon": 0, "badge-awarded": 0,
                     "referral-qualified": 0}
    assert set(again.values()) == {0}
    await _send(api, MessageSink(None))
    body = await api.gql(INBOX, {"first": 10}, member.access_token, headers=ENGLISH)
    texts = sorted(e["node"]["body"] for e in body["data"]["me"]["notifications"]["edges"])
    assert any(t == "You are now Gold." for t in texts), texts
    assert any(t == "满300减50 is in your wallet." for t in texts), texts
    assert any(t.startswith("Your 满300减50 expires on ") for t in texts), texts
    assert any(t.startswith("品酒会, which you signed up for, starts at ") for t in texts), texts


async def test_birthday_greetings_on_the_day_and_three_days_before_once_a_year(api: ApiClient) -> None:
    from domain.messaging.triggers import run_message_triggers

    today = api.container.today()  # birthdays set in 1992, a leap year, so 29 February stays a date
    soon, now_ = await api.sign_in("13800138101"), await api.sign_in("13800138102")
    for session, day, name in ((soon, today + timedelta(days=3), "小王"), (now_, today, "小李")):
        await api.data("""mutation($b: Date!, $n: String!) { updateProfile(input: {birthday: $b, displayName: $n,
            marketingConsent: true}) { member { id } } }""", {"b": day.replace(year=1992).isoformat(), "n": name},
                       session.access_token)
    first = await run_message_triggers(api.container.uow, api.container.clock)
    assert (first["birthday"], first["birthday-soon"]) == (3, 3)
    assert set((await run_message_triggers(api.container.uow, api.container.clock)).values()) == {0}
    await _send(api, MessageSink(None))
    bodies = {}
    for session in (soon, now_):
        body = await api.gql(INBOX, {"first": 5}, session.access_token, headers=ENGLISH)
        bodies[session.member_id] = [e["node"]["body"] for e in body["data"]["me"]["notifications"]["edges"]]
    assert bodies[soon.member_id] == ["小王, your birthday is in 3 days: a gift is on its way."]
    assert bodies[now_.member_id] == ["Happy birthday, 小李! Your birthday gift is waiting."]
