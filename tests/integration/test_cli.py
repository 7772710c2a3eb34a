"""The operator CLI against a fresh SQLite file: migrate, seed, accounts and the idempotent jobs."""

from __future__ import annotations

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
    for job in ("expire-points", "evaluate-tiers", "birthday-rewards", "deliver-webhooks", "compute-segments"):
        assert in_thread(main, [job]) == 0
        assert in_thread(main, [job]) == 0
    assert (tmp_path / "var" / "dev-jwt.key").exists(), "the generated dev key is kept for restarts"
