"""Finance/BI exports (#18): members with their balance at the period's end (the points liability),
ledger entries and purchases of a period, as CSV through the CLI, on both databases."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest

from api.cli import main
from tests.conftest import in_thread
from tests.support.books import assert_books_balance
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { balance { total } } }"""
PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""


def _export(database_url: str, tmp_path: Path, kind: str, first, last) -> list[dict]:
    out = tmp_path / f"{kind}-{first}-{last}.csv"
    assert in_thread(main, ["export-data", kind, "--from", first.isoformat(), "--to", last.isoformat(),
                            "--out", str(out)]) == 0
    return list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))


async def test_exports_hold_the_period_and_the_liability_equals_the_ledger(
        api: ApiClient, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOYALTY_ENV", "development")
    monkeypatch.chdir(tmp_path)
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    bob = await api.sign_in("13900139000")
    await api.data(ADJUST, {"i": {"memberId": alice.member_id, "amount": 700, "reason": "迁移", "idempotencyKey": "a"}},
                   staff)
    await api.data(PURCHASE, {"i": {"member": {"phone": "13900139000"}, "orderId": "O-1", "storeId": "S1",
                                    "amountCents": 38_800, "items": [{"category": "服饰", "amountCents": 38_800}]}},
                   staff)
    balances = await assert_books_balance(api.container.engine)
    today = api.container.clock.today()

    members = _export(database_url, tmp_path, "members", today, today)
    assert {r["member_id"]: int(r["balance_at_end"]) for r in members} == {
        alice.member_id: balances[int(alice.member_id)], bob.member_id: balances.get(int(bob.member_id), 0)}
    assert "phone" not in members[0] and all(r["member_code"] for r in members)
    assert f"'points_liability': {sum(balances.values())}" in capsys.readouterr().out
    ledger = _export(database_url, tmp_path, "ledger", today, today)
    assert sorted(int(r["amount"]) for r in ledger) == sorted(
        [700] + [v for m, v in balances.items() if m == int(bob.member_id)])
    purchases = _export(database_url, tmp_path, "purchases", today, today)
    assert [(r["order_id"], r["amount_cents"]) for r in purchases] == [("O-1", "38800")]
    assert json.loads(purchases[0]["items"])[0]["category"] == "服饰"

    yesterday = today - timedelta(days=1)
    assert _export(database_url, tmp_path, "ledger", yesterday, yesterday) == []
    assert _export(database_url, tmp_path, "purchases", yesterday, yesterday) == []
    assert _export(database_url, tmp_path, "members", yesterday, yesterday) == [], "nobody had joined yet"
    assert in_thread(main, ["export-data", "ledger", "--from", today.isoformat(), "--to",
                            yesterday.isoformat(), "--out", str(tmp_path / "x.csv")]) == 2
    assert "must end after it starts" in capsys.readouterr().err
