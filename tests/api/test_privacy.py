"""Member privacy: consent history, data export, erasure, and the audit trail of staff reads."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import JSON, select
from sqlalchemy.ext.asyncio import AsyncEngine

import domain.privacy.export as export_module
from domain.privacy.model import needles, phone_forms, scrub, search_forms
from domain.segments.job import compute_segments
from domain.store.tables import metadata
from schema.refs import split_global_id
from tests.support.books import assert_books_balance
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SET_CONSENT = """mutation($i: SetConsentInput!) { setConsent(input: $i) { consent { id kind granted at source } } }"""
CONSENTS = """query($first: Int!, $after: String) { me { marketingConsent marketingConsentAt
  consents { kind granted at source }
  consentHistory(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id kind granted at source } } } } }"""
EXPORT = "{ exportMyData { memberId generatedAt document truncatedSections } }"
STAFF_EXPORT = "query($m: ID!) { exportMemberData(memberId: $m) { memberId document truncatedSections } }"
AUDIT = """query($m: ID!) { memberAuditLog(memberId: $m) {
  nodes { actorRole actorId action target detail createdAt } } }"""
ERASE = "mutation($c: String!) { requestErasure(input: {confirmation: $c}) { memberId erasedAt alreadyErased } }"
STAFF_ERASE = """mutation($m: ID!, $c: String!) { eraseMember(input: {memberId: $m, confirmation: $c,
  reason: "letter of 2026-11-20"}) { memberId alreadyErased } }"""
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""
REDEEM = """mutation($r: ID!, $k: String!) {
  redeemReward(input: {rewardId: $r, quantity: 1, idempotencyKey: $k}) { redemption { id voucherCode } } }"""
PURCHASE = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"
POST = """mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }"""
COMMENT = """mutation($p: ID!, $b: String!) { commentOnPost(postId: $p, body: $b) { comment { id } } }"""
LINK_IDENTITY = """mutation($e: String!) { linkIdentity(input: {channel: APP_DEVICE, externalId: $e}) {
  identity { externalId } } }"""
CREATE_PARTNER = """mutation($i: CreatePartnerInput!) { createPartner(input: $i) {
  clientSecret partner { id clientId } } }"""
PARTNER_TOKEN = """mutation($c: String!, $s: String!) {
  partnerToken(clientId: $c, clientSecret: $s) { accessToken } }"""
LINK_PARTNER = """mutation($p: ID!, $s: Boolean!) { linkPartner(partnerId: $p, sharePhone: $s) { memberRef } }"""
PARTNER_EARN = """mutation($m: String!, $t: String!) { partnerEarn(memberRef: $m, transactionId: $t,
  partnerAmount: 500) { points } }"""
PARTNER_MEMBER = "query($m: String!) { partnerMember(memberRef: $m) { displayName phone } }"
LOOKUP = "query($p: String!) { member(phone: $p) { id displayName } }"
GIFT = """mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount } } }"""
ME = "{ me { id phone displayName points { total } } }"
SAVE_SURVEY = "mutation($i: SaveSurveyInput!) { saveSurvey(input: $i) { id } }"
PUBLISH_SURVEY = "mutation($id: ID!) { publishSurvey(id: $id) { state } }"
ANSWER_SURVEY = """mutation($s: ID!, $c: String!) {
  answerSurvey(surveyId: $s, score: 6, comment: $c, idempotencyKey: "s-1") { answer { score } } }"""

PHONE = "13912345678"
NAME = "Qiao Erasable"
AVATAR = "https://cdn.example/erasable-avatar.png"
DEVICE = "device-erasable-77"
POST_TEXT = "erasable diary entry about my street"
COMMENT_TEXT = "erasable comment about my neighbour"
GIFT_TEXT = "from Qiao with erasable love"
SURVEY_TEXT = "erasable complaint naming my cashier"
BIRTHDAY = "1991-07-13"
FIRST_BIRTHDAY = "1990-01-01"  # only in the audit entry of the correction, as its "from"
SECRETS = (PHONE, NAME, AVATAR, DEVICE, POST_TEXT, COMMENT_TEXT, GIFT_TEXT, SURVEY_TEXT, BIRTHDAY, FIRST_BIRTHDAY,
           "erasable-tag")


async def _partner(api: ApiClient, staff: str) -> tuple[str, str]:
    made = (await api.data(CREATE_PARTNER, {"i": {"name": "Coffee Co", "partnerUnits": 100, "programPoints": 40,
                                                  "dailyEarnCap": 10_000, "dailyBurnCap": 10_000}}, staff))
    made = made["createPartner"]
    token = (await api.data(PARTNER_TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))
    return made["partner"]["id"], token["partnerToken"]["accessToken"]


async def _seed_member(api: ApiClient, staff: str):
    """A member with something in every area: profile, identity, ledger, redemption, purchase,
    post and comment, a gift with a message, a partner link and a webhook event naming them."""
    member = await api.sign_in(PHONE)
    friend = await api.sign_in("13700137000")
    token = member.access_token
    await api.data("""mutation($n: String!, $a: String!) { updateProfile(input: {displayName: $n, avatarUrl: $a,
      birthday: "1990-01-01", gender: FEMALE, tags: ["erasable-tag"]}) { member { id } } }""",
                   {"n": NAME, "a": AVATAR}, token)
    await api.data("""mutation($m: ID!) { correctBirthday(input: {memberId: $m, birthday: "1991-07-13",
      reason: "typo"}) { member { id } } }""", {"m": member.member_id}, staff)
    await api.data(LINK_IDENTITY, {"e": DEVICE}, token)
    await api.data(ADJUST, {"m": member.member_id, "a": 1000, "k": "seed"}, staff)
    reward = await add_reward(api.container, price=150, stock=3)
    await api.data(REDEEM, {"r": reward.id, "k": "r-1"}, token)
    await api.data(PURCHASE, {"i": {"member": {"phone": PHONE}, "orderId": "O-1", "storeId": "S1",
                                    "amountCents": 12_000, "items": [{"category": "apparel", "amountCents": 12_000}]}},
                   staff)
    await api.data(GIFT, {"i": {"recipient": {"phone": "13700137000"}, "amount": 100, "idempotencyKey": "g-1",
                                "message": GIFT_TEXT}}, token)
    post = (await api.data(POST, {"i": {"body": POST_TEXT}}, token))["createPost"]["post"]["id"]
    friend_post = (await api.data(POST, {"i": {"body": "friend's post"}}, friend.access_token))["createPost"]["post"]
    await api.data(COMMENT, {"p": friend_post["id"], "b": COMMENT_TEXT}, token)
    await api.data(SET_CONSENT, {"i": {"kind": "MARKETING", "granted": True, "source": "MINI_PROGRAM"}}, token)
    now = api.container.now()
    survey = (await api.data(SAVE_SURVEY, {"i": {
        "kind": "NPS", "question": "Would you recommend us?", "trigger": "AFTER_PURCHASE", "purchaseWithinDays": 7,
        "allowComment": True, "startsAt": (now - timedelta(hours=1)).isoformat(),
        "endsAt": (now + timedelta(days=7)).isoformat()}}, staff))["saveSurvey"]["id"]
    await api.data(PUBLISH_SURVEY, {"id": survey}, staff)
    await api.data(ANSWER_SURVEY, {"s": survey, "c": SURVEY_TEXT}, token)
    partner_id, partner = await _partner(api, staff)
    ref = (await api.data(LINK_PARTNER, {"p": partner_id, "s": True}, token))["linkPartner"]["memberRef"]
    await api.data(PARTNER_EARN, {"m": ref, "t": "T-1"}, partner)
    # A future event type that carries the phone (today's events only carry the member reference).
    async with api.container.uow() as uow:
        await uow.webhooks.enqueue("partner.transaction", {"memberRef": ref, "phone": "+86" + PHONE,
                                                          "note": f"welcome {NAME}"}, int(partner_id),
                                   api.container.now())
        await uow.commit()
    await api.data(LOOKUP, {"p": PHONE}, staff)
    return member, friend, post, ref, partner


async def _database_hits(engine: AsyncEngine, needles: tuple[str, ...]) -> set[tuple[str, str, str]]:
    """Every (table, column, needle) where any column of any table holds a needle: text, JSON, dates
    and the rest (enums stored as codes, numbers, flags), so personal data that is not free text is
    searched too. Generic over the metadata, so tables added later are searched too."""
    hits = set()
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = list(table.columns)
            for row in await conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (json.dumps(value, ensure_ascii=False) if isinstance(column.type, JSON)
                            else value.isoformat() if isinstance(value, date) else str(value))
                    hits.update((table.name, column.name, n) for n in needles if n in text)
    return hits


def _readable(raw: bytes) -> str:
    """Cached JSON escapes non-ASCII characters; compare against the characters themselves."""
    text = raw.decode("utf-8", "replace")
    try:
        return text + " " + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


async def _redis_hits(redis_url: str, prefix: str, needles: tuple[str, ...]) -> set[tuple[str, str]]:
    """Every key of this app (name or value, whatever its type) that holds a needle."""
    client = Redis.from_url(redis_url)
    hits = set()
    try:
        async for key in client.scan_iter(match=prefix + "*"):
            kind = (await client.type(key)).decode()
            if kind == "string":
                content = [await client.get(key)]
            elif kind == "hash":
                content = [b for pair in (await client.hgetall(key)).items() for b in pair]
            elif kind == "list":
                content = await client.lrange(key, 0, -1)
            elif kind in ("set", "zset"):
                content = list(await client.smembers(key)) if kind == "set" else await client.zrange(key, 0, -1)
            else:
                content = []
            text = " ".join([key.decode(), *(_readable(c) for c in content if c)])
            hits.update((key.decode(), n) for n in needles if n in text)
    finally:
        await client.aclose()
    return hits


@pytest.fixture
async def setup(make_client, redis_url: str):
    api: ApiClient = make_client(redis_url=redis_url)
    await configure_program(api.container)
    staff = await staff_token(api)
    return api, staff


async def test_consents_are_kept_as_a_history_and_drive_the_marketing_flag(setup) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    token = member.access_token
    given = (await api.data(SET_CONSENT, {"i": {"kind": "MARKETING", "granted": True, "source": "MINI_PROGRAM"}},
                            token))["setConsent"]["consent"]
    assert (given["kind"], given["granted"], given["source"]) == ("MARKETING", True, "MINI_PROGRAM")
    await api.data('mutation { updateProfile(input: {marketingConsent: false}) { member { id } } }', token=token)
    partner_id, partner = await _partner(api, staff)
    ref = (await api.data(LINK_PARTNER, {"p": partner_id, "s": True}, token))["linkPartner"]["memberRef"]
    assert (await api.data(PARTNER_MEMBER, {"m": ref}, partner))["partnerMember"]["phone"] == "+86" + PHONE
    await api.data(SET_CONSENT, {"i": {"kind": "PARTNER_SHARING", "granted": False}}, token)

    me = (await api.data(CONSENTS, {"first": 10}, token))["me"]
    records = [e["node"] for e in me["consentHistory"]["edges"]]
    assert me["consentHistory"]["totalCount"] == 4 and me["consentHistory"]["pageInfo"]["hasNextPage"] is False
    history = [(r["kind"], r["granted"], r["source"]) for r in records]
    assert history == [("PARTNER_SHARING", False, "APP"), ("PARTNER_SHARING", True, f"partner:{partner_id}"),
                       ("MARKETING", False, "profile"), ("MARKETING", True, "MINI_PROGRAM")], "newest first"
    times = [r["at"] for r in records]
    assert times == sorted(times, reverse=True) and all(times)
    assert me["marketingConsent"] is False and me["marketingConsentAt"] == records[2]["at"], (
        "the member row follows the latest MARKETING record")
    assert {c["kind"]: c["granted"] for c in me["consents"]} == {"MARKETING": False, "PARTNER_SHARING": False}
    assert (await api.data(PARTNER_MEMBER, {"m": ref}, partner))["partnerMember"]["phone"] is None, (
        "withdrawing partner sharing hides the phone from every partner")
    newest = (await api.data(CONSENTS, {"first": 2}, token))["me"]["consentHistory"]
    assert [e["node"]["id"] for e in newest["edges"]] == [r["id"] for r in records[:2]]
    assert newest["pageInfo"] == {"hasNextPage": True, "endCursor": newest["edges"][-1]["cursor"]}
    older = (await api.data(CONSENTS, {"first": 2, "after": newest["pageInfo"]["endCursor"]}, token))["me"]
    assert [e["node"]["id"] for e in older["consentHistory"]["edges"]] == [r["id"] for r in records[2:4]]
    assert older["consentHistory"]["pageInfo"]["hasNextPage"] is False

    unknown = await api.gql(SET_CONSENT, {"i": {"kind": "SMS_SPAM", "granted": True}}, token)
    assert error_codes(unknown) == ["BAD_USER_INPUT"]
    assert unknown["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "kind"
    assert error_codes(await api.gql(SET_CONSENT, {"i": {"kind": "MARKETING", "granted": True}}, staff)) == [
        "FORBIDDEN"]
    after = (await api.data(CONSENTS, {"first": 10}, token))["me"]["consentHistory"]
    assert len(after["edges"]) == 4 and after["totalCount"] == 4, "refused requests record nothing"


async def test_export_holds_all_the_members_data_and_staff_exports_are_audited(setup) -> None:
    api, staff = setup
    member, _friend, post, ref, _partner_token = await _seed_member(api, staff)
    doc = (await api.data(EXPORT, token=member.access_token))["exportMyData"]
    assert doc["memberId"] == member.member_id and doc["truncatedSections"] == []
    data = doc["document"]
    assert data["profile"][0]["phone"] == "+86" + PHONE and data["profile"][0]["displayName"] == NAME
    assert data["profile"][0]["birthday"] == BIRTHDAY and data["profile"][0]["avatarUrl"] == AVATAR
    assert [i["externalId"] for i in data["identities"]] == [DEVICE]
    ledger = data["pointsLedger"]
    assert sorted(e["kind"] for e in ledger) == ["ADJUST", "EARN", "EARN", "GIFT_OUT", "REDEEM"]
    assert sum(e["amount"] for e in ledger) == (await api.data(ME, token=member.access_token))["me"]["points"][
        "total"]
    assert len(data["redemptions"]) == 1 and data["purchases"][0]["orderId"] == "O-1"
    # The export is a data document: plain row ids (the API's post id is the global Node id).
    assert [p["body"] for p in data["posts"]] == [POST_TEXT] and data["posts"][0]["id"] == split_global_id(post)[1]
    assert [c["body"] for c in data["comments"]] == [COMMENT_TEXT]
    assert [(c["kind"], c["granted"]) for c in data["consents"]] == [("MARKETING", True), ("PARTNER_SHARING", True)]
    assert [link["memberRef"] for link in data["partnerLinks"]] == [ref]
    assert len(data["coupons"]) == len(data["checkIns"]) == 0
    assert set(data) >= set(export_module.EXPORT_SECTIONS)

    staff_doc = (await api.data(STAFF_EXPORT, {"m": member.member_id}, staff))["exportMemberData"]
    assert staff_doc["document"]["profile"] == data["profile"]
    audit = (await api.data(AUDIT, {"m": member.member_id}, staff))["memberAuditLog"]["nodes"]
    actions = [(e["actorRole"], e["action"]) for e in audit]
    assert actions[0] == ("staff", "member.exported"), "newest first"
    assert ("staff", "member.looked-up") in actions and ("member", "partner.linked") in actions
    looked_up = next(e for e in audit if e["action"] == "member.looked-up")
    assert looked_up["detail"] == {"by": "phone", "read": "profile"}, "the trail names how, not the phone"

    assert error_codes(await api.gql(STAFF_EXPORT, {"m": "987654"}, staff)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(STAFF_EXPORT, {"m": member.member_id}, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(AUDIT, {"m": member.member_id}, member.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(EXPORT)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql("{ exportMyData(memberId: 1) { memberId } }", token=member.access_token)) == [
        "GRAPHQL_VALIDATION_FAILED"], "members can only export themselves"


async def test_a_member_exports_a_few_times_an_hour_not_in_a_loop(setup) -> None:
    api, _staff = setup
    member = await api.sign_in(PHONE)
    for _ in range(export_module.EXPORTS_PER_HOUR):
        assert (await api.data(EXPORT, token=member.access_token))["exportMyData"]["memberId"] == member.member_id
    refused = await api.gql(EXPORT, token=member.access_token)
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert 0 < refused["errors"][0]["extensions"]["retryAfterSeconds"] <= 3600
    other = await api.sign_in("13700137000")
    assert (await api.data(EXPORT, token=other.access_token))["exportMyData"]["memberId"] == other.member_id


async def test_export_reads_a_long_ledger_in_pages_up_to_a_cap(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    for i in range(10):
        await api.data(ADJUST, {"m": member.member_id, "a": i + 1, "k": f"k{i}"}, staff)
    monkeypatch.setattr(export_module, "EXPORT_PAGE", 3)
    monkeypatch.setattr(export_module, "EXPORT_MAX_ROWS", 10)
    full = (await api.data(EXPORT, token=member.access_token))["exportMyData"]
    assert sorted(e["amount"] for e in full["document"]["pointsLedger"]) == list(range(1, 11)), (
        "pages join up without gaps or repeats")
    assert full["truncatedSections"] == []
    monkeypatch.setattr(export_module, "EXPORT_MAX_ROWS", 7)
    capped = (await api.data(EXPORT, token=member.access_token))["exportMyData"]
    assert [e["amount"] for e in capped["document"]["pointsLedger"]] == list(range(1, 8))
    assert capped["truncatedSections"] == ["pointsLedger"]


async def test_erasure_needs_the_confirmation_phrase(setup) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    wrong = await api.gql(ERASE, {"c": "yes"}, member.access_token)
    assert error_codes(wrong) == ["BAD_USER_INPUT"]
    assert wrong["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "confirmation"
    assert (await api.data(ME, token=member.access_token))["me"]["phone"] == "+86" + PHONE, "nothing changed"
    assert error_codes(await api.gql(ERASE, {"c": "ERASE MY DATA"}, staff)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(STAFF_ERASE, {"m": "987654", "c": "ERASE MY DATA"}, staff)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(STAFF_ERASE, {"m": member.member_id, "c": "no"}, staff)) == ["BAD_USER_INPUT"]


async def test_a_staff_reason_naming_the_member_is_scrubbed_too(setup) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    await api.data('mutation { updateProfile(input: {displayName: "Qiao Erasable"}) { member { id } } }',
                   token=member.access_token)
    erase = """mutation($m: ID!, $r: String!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
      reason: $r}) { alreadyErased } }"""
    reason = f"letter from {NAME}, +86{PHONE}, 2026-11-20"
    await api.data(erase, {"m": member.member_id, "r": reason}, staff)
    audit = (await api.data(AUDIT, {"m": member.member_id}, staff))["memberAuditLog"]["nodes"]
    erased = next(e for e in audit if e["action"] == "member.erased")
    assert PHONE not in str(erased["detail"]) and NAME not in str(erased["detail"])
    assert "2026-11-20" in str(erased["detail"]), "the rest of the reason stays for the record"


async def test_erasure_leaves_no_personal_data_anywhere_and_keeps_the_books(setup, redis_url: str) -> None:
    api, staff = setup
    member, friend, _post, ref, partner = await _seed_member(api, staff)
    token = member.access_token
    code = (await api.data("{ me { memberCode } }", token=token))["me"]["memberCode"]  # and cached in Redis
    engine = api.container.engine
    prefix = api.container.settings.redis_prefix
    # The gender is personal data too: stored as an enum code, searched like the text.
    needles = (*SECRETS, ref, code, "FEMALE")
    found = await _database_hits(engine, needles)
    assert {n for _t, _c, n in found} == set(needles), "the scan sees every planted value before erasure"
    assert (prefix + f"member:{member.member_id}:profile", NAME) in await _redis_hits(redis_url, prefix, needles)
    # A later member with a purchase, so the job's id range spans the erased member on the rerun below.
    await api.sign_in("13600136000")
    await api.data(PURCHASE, {"i": {"member": {"phone": "13600136000"}, "orderId": "O-later", "storeId": "S1",
                                    "amountCents": 5_000,
                                    "items": [{"category": "food", "amountCents": 5_000}]}}, staff)
    balances = await assert_books_balance(engine)
    await compute_segments(api.container.uow, api.container.now())
    insights = """query($m: ID!) { memberInsights(memberId: $m) { stage rfm { windowDays }
      stageHistory { nodes { toStage } } } }"""
    profiled = (await api.data(insights, {"m": member.member_id}, staff))["memberInsights"]
    assert profiled["stage"] == "NEW" and profiled["rfm"] and profiled["stageHistory"]["nodes"]

    done = (await api.data(ERASE, {"c": "erase my data"}, token))["requestErasure"]
    assert done["memberId"] == member.member_id and done["alreadyErased"] is False

    assert await _database_hits(engine, needles) == set()
    assert await _redis_hits(redis_url, prefix, needles) == set()
    assert await assert_books_balance(engine) == balances, "ledger, balances and lots are untouched"
    await compute_segments(api.container.uow, api.container.now())
    unprofiled = (await api.data(insights, {"m": member.member_id}, staff))["memberInsights"]
    assert unprofiled == {"stage": None, "rfm": [], "stageHistory": {"nodes": []}}, "profiling goes with the person"
    everyone = (await api.data("{ memberSegment(first: 100) { totalCount edges { node { member { id } } } } }",
                               token=staff))["memberSegment"]
    assert member.member_id not in [e["node"]["member"]["id"] for e in everyone["edges"]]
    assert everyone["totalCount"] == len(everyone["edges"])

    refused = await api.gql(ME, token=token)
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert refused["errors"][0]["extensions"]["reason"] == "ACCOUNT_ERASED"
    # With the cached tombstone gone (Redis flushed or down), the old token is still refused, writes included.
    client = Redis.from_url(redis_url)
    assert await client.delete(prefix + f"member:{member.member_id}:profile") == 1
    await client.aclose()
    assert error_codes(await api.gql(ME, token=token)) == ["UNAUTHENTICATED"]
    post_again = await api.gql(POST, {"i": {"body": "I am back, call " + PHONE}}, token)
    assert error_codes(post_again) == ["UNAUTHENTICATED"]
    assert post_again["errors"][0]["extensions"]["reason"] == "ACCOUNT_ERASED"
    rename = await api.gql('mutation { updateProfile(input: {displayName: "Back again"}) { member { id } } }',
                           token=token)
    assert error_codes(rename) == ["UNAUTHENTICATED"], "nothing is written onto the tombstone"
    refresh = "mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }"
    assert error_codes(await api.gql(refresh, {"r": member.refresh_token})) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(PARTNER_MEMBER, {"m": ref}, partner)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(LOOKUP, {"p": PHONE}, staff)) == ["NOT_FOUND"]
    feed = """{ feed(first: 10) { edges { node { body author { displayName }
      comments { nodes { body author { displayName } } } } } } }"""
    posts = (await api.data(feed, token=friend.access_token))["feed"]["edges"]
    assert [p["node"]["body"] for p in posts] == ["friend's post"], "the erased member's post left the feed"
    assert posts[0]["node"]["comments"]["nodes"] == [{"body": "[erased]", "author": {"displayName": "Erased member"}}]

    again = (await api.data(STAFF_ERASE, {"m": member.member_id, "c": "ERASE MY DATA"}, staff))["eraseMember"]
    assert again == {"memberId": member.member_id, "alreadyErased": True}, "erasure is idempotent"
    assert await _database_hits(engine, needles) == set()
    audit = (await api.data(AUDIT, {"m": member.member_id}, staff))["memberAuditLog"]["nodes"]
    erased = [e for e in audit if e["action"] == "member.erased"]
    assert [e["actorRole"] for e in erased] == ["member"], "one erasure, by the member; the repeat did nothing"
    assert audit[0]["action"] == "member.insights-read", "staff reading the profile is on the member's trail"

    fresh = await api.sign_in(PHONE)
    assert fresh.member_id != member.member_id
    me = (await api.data(ME, token=fresh.access_token))["me"]
    assert me["displayName"] is None and me["points"]["total"] == 0, "a new, empty membership"


def test_a_phone_is_scrubbed_whole_in_every_spelling_inside_lists_and_keys() -> None:
    """Longest spelling first: replacing the national number first would leave "+86[erased]" behind."""
    targets = needles([*phone_forms("+86" + PHONE), "Qiao", None, "Qiao", "Yu"])
    assert targets == ("+86" + PHONE, "86" + PHONE, PHONE, "Qiao"), "distinct, longest first, under 4 dropped"
    note = {"to": [f"call +86{PHONE}", {f"+86{PHONE}": f"or 86{PHONE}"}, 3], "n": None}
    assert scrub(note, targets) == {"to": ["call [erased]", {"[erased]": "or [erased]"}, 3], "n": None}


def test_stored_json_is_searched_for_the_escaped_spelling_of_a_name_too() -> None:
    assert search_forms(["乔二", "Qiao", "Qiao"]) == ["乔二", "\\u4e54\\u4e8c", "Qiao"]


async def test_erasure_retires_the_links_of_every_partner_and_records_the_withdrawn_consents(setup) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    token = member.access_token
    await api.data(SET_CONSENT, {"i": {"kind": "MARKETING", "granted": True, "source": "APP"}}, token)
    linked = []
    for name in ("Coffee Co", "Tea Co"):
        made = (await api.data(CREATE_PARTNER, {"i": {"name": name, "partnerUnits": 100, "programPoints": 40,
                                                      "dailyEarnCap": 10_000, "dailyBurnCap": 10_000}}, staff))
        partner = (await api.data(PARTNER_TOKEN, {"c": made["createPartner"]["partner"]["clientId"],
                                                   "s": made["createPartner"]["clientSecret"]}))
        ref = (await api.data(LINK_PARTNER, {"p": made["createPartner"]["partner"]["id"], "s": True}, token))[
            "linkPartner"]["memberRef"]
        linked.append((ref, partner["partnerToken"]["accessToken"]))
    await api.data(ERASE, {"c": "ERASE MY DATA"}, token)
    for ref, partner in linked:
        assert error_codes(await api.gql(PARTNER_MEMBER, {"m": ref}, partner)) == ["NOT_FOUND"]
    async with api.container.uow() as uow:
        refs = await uow.partners.member_refs(int(member.member_id))
        history = await uow.privacy.consent_history(int(member.member_id), None, 10)
    assert len(set(refs)) == 2 and not set(refs) & {ref for ref, _ in linked}, "each link's reference retired"
    withdrawn = {(r.kind.value, r.granted, r.source) for r in history[:2]}
    assert withdrawn == {("MARKETING", False, "erasure"), ("PARTNER_SHARING", False, "erasure")}


async def test_two_erased_members_get_their_own_tombstones_and_a_birthday_in_the_reason_is_scrubbed(setup) -> None:
    api, staff = setup
    first, second = await api.sign_in(PHONE), await api.sign_in("13600136000")
    await api.data('mutation { updateProfile(input: {birthday: "1991-07-13"}) { member { id } } }',
                   token=first.access_token)
    erase = """mutation($m: ID!, $r: String!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
      reason: $r}) { alreadyErased } }"""
    await api.data(erase, {"m": first.member_id, "r": "letter: born 1991-07-13, sent 2026-11-20"}, staff)
    await api.data(erase, {"m": second.member_id, "r": "hotline"}, staff)  # a second tombstone, no clash
    audit = (await api.data(AUDIT, {"m": first.member_id}, staff))["memberAuditLog"]["nodes"]
    detail = str(next(e for e in audit if e["action"] == "member.erased")["detail"])
    assert "1991-07-13" not in detail and "2026-11-20" in detail
    again = await api.sign_in(PHONE)
    assert again.member_id not in (first.member_id, second.member_id), "the number signs up a new, empty member"


async def test_an_export_names_its_truncated_sections_and_the_audit_log_takes_first(setup) -> None:
    api, staff = setup
    member = await api.sign_in(PHONE)
    document = (await api.data(EXPORT, token=member.access_token))["exportMyData"]["document"]
    assert (json.loads(document) if isinstance(document, str) else document)["truncatedSections"] == []
    for k in ("a-1", "a-2"):
        await api.data(ADJUST, {"m": member.member_id, "a": 5, "k": k}, staff)
    one = "query($m: ID!) { memberAuditLog(memberId: $m, first: 1) { nodes { action } } }"
    assert len((await api.data(one, {"m": member.member_id}, staff))["memberAuditLog"]["nodes"]) == 1
