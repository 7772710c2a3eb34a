"""Journeys and campaigns through the API and the automation job, on SQLite and PostgreSQL: a dormant
journey gives its coupon to the treatment group only, reminds in 3 days while the coupon is unused,
lets members leave on a purchase, and its results count both groups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.automation.model import holdout_bucket
from domain.automation.runner import run_automations
from domain.segments.job import compute_segments
from domain.store.tables import audit_log, outbound_messages
from tests.api.test_points_purchases import PURCHASE, order
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE_TEMPLATE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"""
SAVE = """mutation($i: SaveAutomationInput!) { saveAutomation(input: $i) {
  automation { id status steps { action } } } }"""
ACTIVATE = "mutation($id: ID!) { activateAutomation(id: $id) { automation { status } } }"
PAUSE = "mutation($id: ID!) { pauseAutomation(id: $id) { automation { status } } }"
PREVIEW = "query($id: ID!) { previewAutomation(id: $id) }"
RESULTS = """query($id: ID!) { automationResults(id: $id) { liftBp goalDays
  treatment { members converted conversionBp } holdout { members converted conversionBp } } }"""
COUPONS = "{ me { id coupons { nodes { source } } } }"
MEMBERS = 12
HOLDOUT_BP = 3_000


async def _dormant_members(api: ApiClient, monkeypatch: pytest.MonkeyPatch, staff: str) -> dict[int, str]:
    """Members who joined and bought once, then 120 days pass: DORMANT once compute-segments has run.
    (The program clock moves forward; tokens are checked against the real time, so they stay valid.)"""
    real_now = api.container.now
    tokens = {}
    for n in range(MEMBERS):
        phone = f"1380013{n:04d}"
        session = await api.sign_in(phone)
        tokens[int(session.member_id or 0)] = session.access_token
        await api.data(PURCHASE, {"i": order(f"old-{n}", phone, 100)}, staff)
    monkeypatch.setattr(api.container, "now", lambda: real_now() + timedelta(days=120))
    await compute_segments(api.container.uow, api.container.now())
    return tokens


def _journey(template_id: str) -> dict:
    return {"kind": "JOURNEY", "name": "唤醒沉睡会员", "trigger": "STAGE_DORMANT", "holdoutBp": HOLDOUT_BP,
            "goalDays": 14, "periodDays": 90, "steps": [
                {"action": "ISSUE_COUPON", "couponTemplateId": template_id, "messageKind": "WIN_BACK"},
                {"action": "SEND_MESSAGE", "delayDays": 3, "messageKind": "WIN_BACK_REMINDER",
                 "onlyIfCouponUnused": True}]}


async def test_dormant_journey_gives_the_coupon_skips_the_holdout_and_counts_both_groups(
        make_client, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api: ApiClient = make_client(redis_url=redis_url)
    await configure_program(api.container)
    staff = await staff_token(api)
    tokens = await _dormant_members(api, monkeypatch, staff)
    coupon = {"name": "回归礼满100减20", "kind": "SPEND_AND_SAVE", "valueCents": 2_000, "minSpendCents": 10_000,
              "validDays": 30}
    template_id = (await api.data(SAVE_TEMPLATE, {"i": coupon}, staff))["saveCouponTemplate"]["template"]["id"]
    saved = (await api.data(SAVE, {"i": _journey(template_id)}, staff))["saveAutomation"]["automation"]
    assert saved["status"] == "DRAFT"
    journey = saved["id"]
    assert (await api.data(PREVIEW, {"id": journey}, staff))["previewAutomation"] == MEMBERS
    assert (await run_automations(api.container.uow, api.container.clock))["entered"] == 0  # a draft does not run
    assert (await api.data(ACTIVATE, {"id": journey}, staff))["activateAutomation"]["automation"]["status"] == "ACTIVE"

    held = {m for m in tokens if holdout_bucket(int(journey), m) < HOLDOUT_BP}
    treated = set(tokens) - held
    assert held and treated  # the fixture must put members in both groups for this test to mean anything

    first = await run_automations(api.container.uow, api.container.clock)
    assert first["entered"] == MEMBERS and first["coupons"] == len(treated)
    for member_id, token in tokens.items():
        sources = [c["source"] for c in (await api.data(COUPONS, None, token))["me"]["coupons"]["nodes"]]
        assert sources == ([] if member_id in held else ["AUTOMATION"]), member_id
    again = await run_automations(api.container.uow, api.container.clock)
    assert again["entered"] == 0 and again["coupons"] == 0  # once per member per period

    # One treated and one held-out member buy: the treated one leaves the journey; both count as converted.
    buyer, held_buyer = min(treated), min(held)
    phones = {m: f"1380013{i:04d}" for i, m in enumerate(sorted(tokens))}
    await api.data(PURCHASE, {"i": order("back-1", phones[buyer], 150)}, staff)
    await api.data(PURCHASE, {"i": order("back-2", phones[held_buyer], 150)}, staff)
    assert (await run_automations(api.container.uow, api.container.clock))["exited"] == 1

    # Three days on, the reminder goes to treated members whose coupon is unused, not to the one who left.
    shifted = api.container.now
    monkeypatch.setattr(api.container, "now", lambda: shifted() + timedelta(days=3, minutes=1))
    later = await run_automations(api.container.uow, api.container.clock)
    assert later["messages"] == len(treated) - 1
    async with api.container.engine.connect() as conn:
        reminded = {r.member_id for r in await conn.execute(
            outbound_messages.select().where(outbound_messages.c.kind == "WIN_BACK_REMINDER"))}
    assert reminded == treated - {buyer}

    results = (await api.data(RESULTS, {"id": journey}, staff))["automationResults"]
    assert results["treatment"] == {"members": len(treated), "converted": 1,
                                    "conversionBp": 10_000 // len(treated)}
    assert results["holdout"] == {"members": len(held), "converted": 1, "conversionBp": 10_000 // len(held)}
    assert results["liftBp"] == 10_000 // len(treated) - 10_000 // len(held)


async def test_segment_campaign_runs_once_at_its_time_and_is_audited(
        api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await configure_program(api.container)
    staff = await staff_token(api)
    tokens = await _dormant_members(api, monkeypatch, staff)
    start = api.container.now() + timedelta(hours=1)
    campaign = {"kind": "CAMPAIGN", "name": "沉睡会员打标", "trigger": "SEGMENT", "holdoutBp": 0,
                "segment": {"stages": ["DORMANT"]}, "scheduledAt": start.isoformat(),
                "steps": [{"action": "ADD_TAG", "tag": "唤醒中"}]}
    cid = (await api.data(SAVE, {"i": campaign}, staff))["saveAutomation"]["automation"]["id"]
    assert (await api.data(PREVIEW, {"id": cid}, staff))["previewAutomation"] == MEMBERS
    await api.data(ACTIVATE, {"id": cid}, staff)
    assert (await run_automations(api.container.uow, api.container.clock))["entered"] == 0  # not yet
    shifted = api.container.now
    monkeypatch.setattr(api.container, "now", lambda: shifted() + timedelta(hours=2))
    assert (await run_automations(api.container.uow, api.container.clock))["tags"] == MEMBERS
    assert (await run_automations(api.container.uow, api.container.clock))["entered"] == 0
    some = next(iter(tokens.values()))
    assert (await api.data("{ me { tags } }", None, some))["me"]["tags"] == ["唤醒中"]
    assert error_codes(await api.gql(PAUSE, {"id": cid}, staff)) == ["CONFLICT"]  # it has run
    async with api.container.engine.connect() as conn:
        actions = [r.action for r in await conn.execute(
            audit_log.select().where(audit_log.c.target == f"automation:{cid}").order_by(audit_log.c.id))]
    assert actions == ["automation.saved", "automation.activated"]


async def test_invalid_automations_are_refused_with_field_errors(api: ApiClient) -> None:
    staff = await staff_token(api)
    bad = {"kind": "CAMPAIGN", "name": "", "trigger": "STAGE_DORMANT", "holdoutBp": 9_000,
           "steps": [{"action": "SEND_MESSAGE", "messageKind": "NOPE"}]}
    body = await api.gql(SAVE, {"i": bad}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    fields = {e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]}
    assert {"name", "holdoutBp", "trigger", "segment", "scheduledAt", "steps.0.messageKind"} <= fields
    member = await api.sign_in("13900139000")
    assert error_codes(await api.gql(RESULTS, {"id": "1"}, member.access_token)) == ["FORBIDDEN"]
