"""The operator CLI against a fresh SQLite file: migrate, seed, accounts and the idempotent jobs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from api.cli import main
from tests.conftest import in_thread


def test_cli_commands_run_and_jobs_are_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # the CLI installs its JSON log handler
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LOYALTY_ENV", "development")
    assert in_thread(main, ["migrate"]) == 0
    assert in_thread(main, ["seed-demo", "--extra-members", "20"]) == 0
    assert in_thread(main, ["seed-demo"]) == 0, "seeding twice is harmless"
    assert in_thread(main, ["create-staff", "ops-cli", "--password", "a long enough password"]) == 0
    assert in_thread(main, ["create-partner", "Coffee Co", "--rate", "100:40"]) == 0
    out = capsys.readouterr().out
    assert "created staff account ops-cli" in out and "client_secret=" in out
    for job in ("expire-points", "evaluate-tiers", "birthday-rewards", "deliver-webhooks", "compute-segments",
                "release-expired-holds"):
        assert in_thread(main, [job]) == 0
        after_first = _contents(tmp_path / "cli.db")
        assert in_thread(main, [job]) == 0
        assert _contents(tmp_path / "cli.db") == after_first, f"a second {job} changed the database"
    assert any(_contents(tmp_path / "cli.db")["member_rfm"]), "compute-segments did work on the first run"
    history = tmp_path / "history.csv"
    history.write_text("orderId,storeId,phone,purchasedAt,amountCents,channel,items\n"
                       'OLD-1,SH-01,13800138000,2026-01-05T10:00:00+08:00,8800,POS,"[{""category"": ""茶饮"", '
                       '""amountCents"": 8800, ""quantity"": 2}]"\n'
                       "OLD-2,SH-01,13800138000,2026-01-05T11:00:00+08:00,-1,POS,\n", encoding="utf-8")
    assert in_thread(main, ["import-purchases", str(history)]) == 0
    assert "'imported': 1" in capsys.readouterr().out
    assert "amountCents" in (tmp_path / "history.csv.rejects.csv").read_text(encoding="utf-8")
    assert in_thread(main, ["rollup-kpis", "--all"]) == 0
    after_first = _contents(tmp_path / "cli.db")
    assert any(after_first["kpi_daily_rollups"]), "the backfill rolled up the demo purchases"
    assert in_thread(main, ["rollup-kpis", "--all"]) == 0
    assert _contents(tmp_path / "cli.db") == after_first, "a second rollup-kpis changed the rollups"
    assert (tmp_path / "var" / "dev-jwt.key").exists(), "the generated dev key is kept for restarts"


# Stamps of when a derived row was last computed: a rerun may refresh them without changing anything else.
RECOMPUTED_AT = {"computed_at", "rolled_at"}


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: a rerun that did nothing leaves this unchanged."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] not in RECOMPUTED_AT]
            listed = ", ".join(f'"{c}"' for c in columns)
            found[table] = sorted(conn.execute(f'SELECT {listed} FROM "{table}"').fetchall(), key=repr)
        return found
