"""import-purchases on both databases: rows land once per (store, order), bad rows go to the rejects
file with their reason, a failed batch leaves nothing behind and a rerun resumes after it."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.purchase_import_cli import run_import
from domain.store.purchase_import_repo import SqlPurchaseImportRepository
from domain.store.tables import points_entries, purchases
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token

REPORT = """query($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  orders salesCents units channels { key orders } } }"""


def rows(api: ApiClient) -> list[object]:
    at = (api.container.now() - timedelta(days=3)).isoformat()
    good = {"orderId": "H-1", "storeId": "SH-01", "phone": "13800138000", "purchasedAt": at, "amountCents": 30_000,
            "channel": "ECOMMERCE", "items": [{"category": "beauty", "amountCents": 20_000, "quantity": 2},
                                              {"category": "apparel", "amountCents": 10_000}]}
    return [
        good,
        {**good, "orderId": "H-2", "phone": "+8613900139000", "channel": None, "items": None, "amountCents": 5_000},
        {**good, "orderId": "H-3", "phone": "13700000000"},  # nobody has this phone
        {**good, "orderId": "H-4", "amountCents": -5},
        {**good, "orderId": "H-5", "amountCents": 29_999},  # lines do not add up
        "{not json",
        {**good, "orderId": "H-1", "amountCents": 1_000, "items": None},  # same order again in the file
        {**good, "orderId": "H-6", "purchasedAt": "2026-01-01T10:00:00"},  # no offset
        {**good, "orderId": "H-7", "storeId": "BJ-02", "channel": "APP"},
    ]


def write_jsonl(path: Path, items: list[object]) -> Path:
    path.write_text("".join((json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r) + "\n"
                            for r in items), encoding="utf-8")
    return path


def rejected(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8") as f:
        return {int(r["line"]): r["reason"] for r in csv.DictReader(f)}


async def count(api: ApiClient, table) -> int:
    async with api.container.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
async def program(api: ApiClient) -> ApiClient:
    await configure_program(api.container)
    await api.sign_in("13800138000")
    await api.sign_in("13900139000")
    return api


async def test_an_import_lands_good_rows_once_and_lists_the_bad_ones(program: ApiClient, tmp_path: Path) -> None:
    api = program
    history = rows(api)
    source = write_jsonl(tmp_path / "history.jsonl", history)
    entries_before = await count(api, points_entries)
    summary = await run_import(api.container, source, tmp_path / "rejects.csv", batch_size=4)
    assert summary["imported"] == 3 and summary["rejected"] == 6
    reasons = rejected(tmp_path / "rejects.csv")
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "no member" in reasons[3] and "amountCents" in reasons[4] and "add up" in reasons[5]
    # Line 7 repeats line 1's order with another amount; it is in the next batch, so the database tells.
    assert "JSON" in reasons[6] and "other data" in reasons[7] and "offset" in reasons[8]
    # History without points: no ledger entry, no points on the orders.
    assert await count(api, points_entries) == entries_before
    async with api.container.engine.connect() as conn:
        got = {r.order_id: r for r in await conn.execute(select(purchases))}
    assert got["H-1"].channel == "ECOMMERCE" and got["H-1"].item_quantity == 3 and got["H-1"].points_awarded == 0
    assert got["H-2"].channel == "IMPORT" and got["H-2"].source == "store:SH-01"
    # The touched days were rolled up: the operator report sees the orders at once.
    day = (api.container.now() - timedelta(days=3)).astimezone(api.container.timezone).date()
    report = (await api.data(REPORT, {"f": day.isoformat(), "t": day.isoformat()},
                             await staff_token(api)))["operatorKpis"]
    assert report["orders"] == 3 and report["units"] == 3 + 1 + 3
    assert {c["key"]: c["orders"] for c in report["channels"]} == {"ECOMMERCE": 1, "IMPORT": 1, "APP": 1}

    # Another file with the same orders (and one changed, one new): only the new one lands.
    changed = {**history[0], "orderId": "H-7", "storeId": "BJ-02", "amountCents": 1_000, "items": None}
    again = [*history[:2], changed, {**history[0], "orderId": "H-8"}]
    summary = await run_import(api.container, write_jsonl(tmp_path / "more.jsonl", again),
                               tmp_path / "more.rejects.csv", batch_size=10)
    assert (summary["imported"], summary["duplicates"], summary["rejected"]) == (1, 2, 1)
    assert "other data" in rejected(tmp_path / "more.rejects.csv")[3]
    assert await count(api, purchases) == 4


async def test_a_failed_batch_leaves_nothing_and_a_rerun_resumes(program: ApiClient, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    api = program
    good = rows(api)[0]
    source = write_jsonl(tmp_path / "big.jsonl", [{**good, "orderId": f"B-{n}"} for n in range(10)])
    real = SqlPurchaseImportRepository.save_checkpoint
    calls = []

    async def failing(self, key: str, line: int, now) -> None:
        calls.append(line)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        await real(self, key, line, now)

    monkeypatch.setattr(SqlPurchaseImportRepository, "save_checkpoint", failing)
    with pytest.raises(RuntimeError):
        await run_import(api.container, source, tmp_path / "big.rejects.csv", batch_size=4)
    assert await count(api, purchases) == 4, "the first batch landed whole, the second not at all"
    monkeypatch.setattr(SqlPurchaseImportRepository, "save_checkpoint", real)
    summary = await run_import(api.container, source, tmp_path / "big.rejects.csv", batch_size=4)
    assert summary["resumedAfter"] == 4 and summary["imported"] == 6 and summary["duplicates"] == 0
    assert await count(api, purchases) == 10
    # Done: running the file again reads past every line and changes nothing.
    summary = await run_import(api.container, source, tmp_path / "big.rejects.csv", batch_size=4)
    assert summary["imported"] == 0 and summary["resumedAfter"] == 10
    assert rejected(tmp_path / "big.rejects.csv") == {}
