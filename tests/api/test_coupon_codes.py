"""Coupons as codes (#16): batches of unique single-use codes, claimed into a member's wallet or
redeemed at a till, once, also when two tills race for one code (PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import main
from domain.offers.code_batches import batch_codes
from domain.store.tables import coupon_codes
from tests.conftest import in_thread
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id issuedCount } } }"""
BATCH = """mutation($i: CreateCouponCodeBatchInput!) { createCouponCodeBatch(input: $i) {
  batch { id templateId label quantity validUntil } } }"""
CLAIM = "mutation($c: String!) { claimCouponCode(code: $c) { coupon { id code source status templateId } } }"
REDEEM = """mutation($i: CouponOrderInput!) { redeemCouponCode(input: $i) {
  code status discountCents coupon { code status } } }"""
TEMPLATE = "query($id: ID!) { node(id: $id) { id } }"
COUPONS = "{ me { coupons { nodes { code source status } } } }"
PRINTED = re.compile(r"^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$")


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    return api, staff


async def template(api: ApiClient, staff: str, **fields: object) -> str:
    values = {"name": "满300减50", "kind": "SPEND_AND_SAVE", "valueCents": 5_000, "minSpendCents": 30_000,
              "validDays": 30, "perMemberLimit": None, **fields}
    return (await api.data(SAVE, {"i": values}, staff))["saveCouponTemplate"]["template"]["id"]


async def make_batch(api: ApiClient, staff: str, template_id: str, quantity: int) -> tuple[str, list[str]]:
    batch = (await api.data(BATCH, {"i": {"templateId": template_id, "quantity": quantity, "label": "印刷"}},
                            staff))["createCouponCodeBatch"]["batch"]
    codes = [c.code async for page in batch_codes(api.container.uow, int(batch["id"])) for c in page]
    return batch["id"], codes


def order(code: str, order_id: str, amount: int = 40_000, store: str = "S1") -> dict:
    return {"i": {"code": code, "storeId": store, "orderId": order_id,
                  "items": [{"category": "fashion", "amountCents": amount}]}}


async def test_a_batch_holds_unique_random_codes_without_ambiguous_characters(setup) -> None:
    api, staff = setup
    tid = await template(api, staff, totalQuantity=600)
    _, first = await make_batch(api, staff, tid, 300)
    _, second = await make_batch(api, staff, tid, 300)
    codes = first + second
    assert len(codes) == 600 and len(set(codes)) == 600
    assert all(len(c) == 16 and not set(c) & set("0O1IL") for c in codes)
    # Not sequential: neighbours in generation order share no more than chance would give.
    shared_prefix = sum(a[:3] == b[:3] for a, b in pairwise(codes))
    assert shared_prefix <= 2
    letters = "".join(codes)
    assert len(set(letters)) == 31, "every character of the alphabet is used"
    out_of_stock = await api.gql(BATCH, {"i": {"templateId": tid, "quantity": 1}}, staff)
    assert error_codes(out_of_stock) == ["OUT_OF_STOCK"], "codes count against the template's total quantity"
    too_many = await api.gql(BATCH, {"i": {"templateId": tid, "quantity": 0}}, staff)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    async with api.container.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(coupon_codes)) == 600


async def test_a_member_claims_a_code_in_any_case_and_the_till_uses_it_as_their_coupon(setup) -> None:
    api, staff = setup
    tid = await template(api, staff)
    _, [code, other] = await make_batch(api, staff, tid, 2)
    member = await api.sign_in("13800138000")
    typed = "-".join(code[i:i + 4] for i in range(0, 16, 4)).lower()
    claimed = (await api.data(CLAIM, {"c": typed}, member.access_token))["claimCouponCode"]["coupon"]
    assert (claimed["code"], claimed["source"], claimed["status"]) == (code, "CODE", "AVAILABLE")
    again = (await api.data(CLAIM, {"c": code}, member.access_token))["claimCouponCode"]["coupon"]
    assert again["id"] == claimed["id"], "claiming one's own code again returns the same coupon"
    friend = await api.sign_in("13900139000")
    assert error_codes(await api.gql(CLAIM, {"c": code}, friend.access_token)) == ["COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(CLAIM, {"c": other[:-1] + "X" if other[-1] != "X" else other[:-1] + "Y"},
                                     friend.access_token)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(CLAIM, {"c": "0OIL"}, friend.access_token)) == ["NOT_FOUND"]

    used = (await api.data(REDEEM, order(code, "O-1"), staff))["redeemCouponCode"]
    assert used["status"] == "CLAIMED" and used["discountCents"] == 5_000
    assert used["coupon"] == {"code": code, "status": "REDEEMED"}
    wallet = (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]
    assert wallet == [{"code": code, "source": "CODE", "status": "REDEEMED"}]


async def test_an_unclaimed_code_is_used_once_at_a_till_and_retries_answer_the_same(setup) -> None:
    api, staff = setup
    tid = await template(api, staff)
    _, [code, spare] = await make_batch(api, staff, tid, 2)
    too_small = await api.gql(REDEEM, order(code, "O-0", amount=10_000), staff)
    assert error_codes(too_small) == ["COUPON_NOT_USABLE"], "the template's terms apply to codes"
    used = (await api.data(REDEEM, order(code.lower(), "O-1"), staff))["redeemCouponCode"]
    assert used["status"] == "REDEEMED" and used["discountCents"] == 5_000 and used["coupon"] is None
    assert PRINTED.match(used["code"])
    retry = (await api.data(REDEEM, order(code, "O-1"), staff))["redeemCouponCode"]
    assert retry == used, "a retried order returns the first result"
    assert error_codes(await api.gql(REDEEM, order(code, "O-2"), staff)) == ["COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(REDEEM, order(spare, "O-1"), staff)) == ["IDEMPOTENCY_CONFLICT"]
    member = await api.sign_in("13800138000")
    assert error_codes(await api.gql(CLAIM, {"c": code}, member.access_token)) == ["COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(REDEEM, {"i": {**order(spare, "O-3")["i"], "orderId": None}}, staff)) == [
        "BAD_USER_INPUT"]
    assert error_codes(await api.gql(REDEEM, order(spare, "O-3"), member.access_token)) == ["FORBIDDEN"]


async def test_codes_stop_working_when_the_batch_ends(setup) -> None:
    api, staff = setup
    tid = await template(api, staff, validDays=3)
    _, [code, other] = await make_batch(api, staff, tid, 2)
    member = await api.sign_in("13800138000")
    later = api.container.now() + timedelta(days=3, seconds=1)
    api.container.now = lambda: later  # type: ignore[method-assign]
    assert error_codes(await api.gql(CLAIM, {"c": code}, member.access_token)) == ["COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(REDEEM, order(other, "O-9"), staff)) == ["COUPON_NOT_USABLE"]


async def test_the_per_member_limit_holds_for_codes(setup) -> None:
    api, staff = setup
    tid = await template(api, staff, perMemberLimit=1)
    _, [first, second] = await make_batch(api, staff, tid, 2)
    member = await api.sign_in("13800138000")
    await api.data(CLAIM, {"c": first}, member.access_token)
    assert error_codes(await api.gql(CLAIM, {"c": second}, member.access_token)) == ["LIMIT_EXCEEDED"]
    assert (await api.data(REDEEM, order(second, "O-5"), staff))["redeemCouponCode"]["status"] == "REDEEMED", \
        "the refused claim left the code usable"


@pytest.mark.postgres
async def test_two_tills_and_an_app_racing_for_one_code_exactly_one_wins(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    tid = await template(api, staff)
    _, codes = await make_batch(api, staff, tid, 10)
    members = [await api.sign_in(f"1380000{i:04d}") for i in range(10)]
    calls = []
    for n, code in enumerate(codes):
        calls += [api.gql(REDEEM, order(code, f"A-{n}", store="S1"), staff),
                  api.gql(REDEEM, order(code, f"B-{n}", store="S2"), staff),
                  api.gql(CLAIM, {"c": code}, members[n].access_token)]
    bodies = await asyncio.gather(*calls)
    for n in range(len(codes)):
        three = bodies[3 * n:3 * n + 3]
        winners = [b for b in three if "errors" not in b]
        assert len(winners) == 1, three
        assert {c for b in three if "errors" in b for c in error_codes(b)} == {"COUPON_NOT_USABLE"}
    async with api.container.engine.connect() as conn:
        rows = (await conn.execute(select(coupon_codes.c.status, func.count()).group_by(coupon_codes.c.status))).all()
    assert sum(n for _, n in rows) == 10 and "AVAILABLE" not in dict(rows)


def test_cli_generates_and_exports_a_batch_as_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LOYALTY_ENV", "development")
    assert in_thread(main, ["seed-demo"]) == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as conn:
        template_id = conn.execute("SELECT min(id) FROM coupon_templates").fetchone()[0]
        conn.execute("UPDATE coupon_templates SET total_quantity = NULL, active = 1 WHERE id = ?", (template_id,))
    out = tmp_path / "codes.csv"
    assert in_thread(main, ["generate-coupon-codes", "--template", str(template_id), "--count", "12345",
                            "--label", "门店印刷", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 12345 and len({r["code"] for r in rows}) == 12345
    assert all(PRINTED.match(r["code"]) and r["status"] == "AVAILABLE" for r in rows)
    again = tmp_path / "again.csv"
    assert in_thread(main, ["export-coupon-codes", rows[0]["batch_id"], "--out", str(again)]) == 0
    assert again.read_text() == out.read_text()
    captured = capsys.readouterr()
    assert "12345/12345" in captured.err, "the progress bar reached the total"
