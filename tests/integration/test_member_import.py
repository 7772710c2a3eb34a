"""Bulk member import (#18): idempotent per row key, resumable, set-based per batch, a reject per
bad row with its reason, opening balances as ledger entries + lots (balance = ledger)."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import main
from domain.members.bulk_import import Reject, import_members
from domain.store.member_import_repo import SqlMemberImportRepository
from domain.store.tables import member_identities, member_tiers, members, points_entries, tier_changes, tiers
from tests.conftest import in_thread
from tests.support.books import assert_books_balance
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token

LINK = """mutation($i: LinkIdentityInput!) { linkIdentity(input: $i) { identity { externalId } } }"""
POINTS = "{ me { displayName points { available total } tier { current { code } } } }"


def rows(today) -> list[dict]:
    later = (today + timedelta(days=200)).isoformat()
    return [
        {"key": "old-1", "phone": "13800000001", "name": "王小明", "birthday": "1990-05-01", "points": "1200",
         "points_expire": later, "tier": "GOLD", "tier_expires": later, "identities": "POS_CARD:C-1;MINI_PROGRAM:o-1"},
        {"key": "old-2", "phone": "13800000002", "name": "李华", "points": "0"},
        {"key": "old-3", "phone": "12345", "name": "坏号码"},
        {"key": "old-4", "phone": "13800000004", "tier": "NOPE", "tier_expires": later},
        {"key": "old-5", "phone": "13800000005", "points": "300"},
        {"key": "old-1", "phone": "13800000006"},
        {"key": "old-7", "phone": "13800000007", "identities": "POS_CARD:TAKEN"},
        {"key": "old-8", "phone": "13900139000", "points": "50", "points_expire": later},  # signed up already
        {"key": "old-9", "phone": "13800000009", "points": "-5", "points_expire": later},
        {"key": "old-10", "phone": "13800000010", "birthday": "1990-02-30"},
    ]


async def _counts(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {t.name: int(await conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in (members, member_identities, points_entries, member_tiers, tier_changes)}


async def _run(api: ApiClient, data: list[dict], batch_size: int = 3) -> tuple[dict, list[Reject]]:
    rejects: list[Reject] = []
    totals = await import_members(api.container.uow, api.container.clock, enumerate(data, start=1), label="t",
                                  batch_size=batch_size, on_reject=lambda r, _raw: rejects.append(r))
    return vars(totals), rejects


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    existing = await api.sign_in("13900139000")
    other = await api.sign_in("13700137000")
    await api.data(LINK, {"i": {"channel": "POS_CARD", "externalId": "TAKEN", "memberId": other.member_id}}, staff)
    return api, existing


async def test_import_reports_each_bad_row_and_a_rerun_changes_nothing(setup) -> None:
    api, existing = setup
    data = rows(api.container.clock.today())
    totals, rejects = await _run(api, data)
    assert totals == {"read": 10, "imported": 3, "skipped": 0, "rejected": 7}
    reasons = {r.row_no: r.reason for r in rejects}
    assert set(reasons) == {3, 4, 5, 6, 7, 9, 10}
    assert reasons[3].startswith("phone:") and reasons[4].startswith("tier:")
    assert "expiry" in reasons[5] and "repeated" in reasons[6] and "belongs to another member" in reasons[7]
    assert reasons[9].startswith("points:") and reasons[10].startswith("birthday:")

    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances.values()) == [50, 1200]
    friend = await api.sign_in("13800000001")
    me = (await api.data(POINTS, token=friend.access_token))["me"]
    assert me == {"displayName": "王小明", "points": {"available": 1200, "total": 1200},
                  "tier": {"current": {"code": "GOLD"}}}
    mine = (await api.data(POINTS, token=existing.access_token))["me"]
    assert mine["points"]["total"] == 50, "a member who existed gets the row's points, cache included"
    async with api.container.engine.connect() as conn:
        gold = await conn.scalar(select(tiers.c.id).where(tiers.c.code == "GOLD"))
        held = (await conn.execute(select(member_tiers.c.tier_id, member_tiers.c.held_until)
                                   .where(member_tiers.c.member_id == int(friend.member_id)))).one()
        assert held.tier_id == gold and held.held_until > api.container.now() + timedelta(days=199)
        reasons_logged = [r for r, in await conn.execute(select(tier_changes.c.reason))]
        assert reasons_logged == ["IMPORTED"]

    before = await _counts(api.container.engine)
    again, _ = await _run(api, data)
    assert again == {"read": 10, "imported": 0, "skipped": 3, "rejected": 7}
    assert await _counts(api.container.engine) == before, "a rerun of the same file changes nothing"
    assert await assert_books_balance(api.container.engine) == balances


async def test_a_failed_batch_leaves_nothing_half_imported_and_a_rerun_resumes(setup, monkeypatch) -> None:
    api, _existing = setup
    later = (api.container.clock.today() + timedelta(days=30)).isoformat()
    data = [{"key": f"k{i}", "phone": f"1380000{i:04d}", "points": "10", "points_expire": later,
             "identities": f"POS_CARD:card-{i}"} for i in range(1, 8)]
    real = SqlMemberImportRepository._apply_points
    calls = {"n": 0}

    async def failing(self, now):
        calls["n"] += 1
        await real(self, now)
        if calls["n"] == 2:
            raise RuntimeError("the database went away mid-batch")

    monkeypatch.setattr(SqlMemberImportRepository, "_apply_points", failing)
    with pytest.raises(RuntimeError):
        await _run(api, data, batch_size=3)
    async with api.container.engine.connect() as conn:
        phones = {p for p, in await conn.execute(select(members.c.phone).where(members.c.phone.like("+86138%")))}
        cards = await conn.scalar(select(func.count()).select_from(member_identities)
                                  .where(member_identities.c.external_id.like("card-%")))
    assert phones == {f"+861380000{i:04d}" for i in (1, 2, 3)}, "the first batch landed, the second not at all"
    assert cards == 3
    await assert_books_balance(api.container.engine)

    monkeypatch.setattr(SqlMemberImportRepository, "_apply_points", real)
    totals, _ = await _run(api, data, batch_size=3)
    assert totals == {"read": 7, "imported": 4, "skipped": 3, "rejected": 0}
    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances.values()) == [10] * 7


def test_cli_imports_csv_and_jsonl_with_a_rejects_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LOYALTY_ENV", "development")
    assert in_thread(main, ["migrate"]) == 0
    source = tmp_path / "members.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["key", "phone", "name", "points", "points_expire"])
        writer.writeheader()
        writer.writerow({"key": "a", "phone": "13800000001", "name": "张三", "points": "100",
                         "points_expire": "2099-12-31"})
        writer.writerow({"key": "b", "phone": "not a phone", "name": "x", "points": "", "points_expire": ""})
    assert in_thread(main, ["import-members", str(source)]) == 0
    rejects = list(csv.DictReader((tmp_path / "members.csv.rejects.csv").read_text().splitlines()))
    assert [(r["row"], r["key"]) for r in rejects] == [("2", "b")] and rejects[0]["reason"].startswith("phone:")
    lines = tmp_path / "more.jsonl"
    lines.write_text("\n".join([
        json.dumps({"key": "c", "phone": "13800000003", "identities": [{"channel": "POS_CARD", "externalId": "9"}]}),
        "{not json",
        json.dumps({"key": "a", "phone": "13800000001"}),
    ]) + "\n")
    assert in_thread(main, ["import-members", str(lines), "--rejects", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr()
    assert "'imported': 1, 'skipped': 1, 'rejected': 1" in out.out
    assert "ETA" in out.err or "3/3" in out.err
