"""The README's settings table is generated from api/settings.py: it must list every setting the
environment can set, with its variable and default, and be up to date."""

from __future__ import annotations

import dataclasses

from api.settings import Settings
from api.settings_doc import README, _env_names, rendered, settings_table


def test_readme_settings_table_is_generated_from_the_settings_class() -> None:
    current = README.read_text(encoding="utf-8")
    assert current == rendered(current), "run: python -m api.cli settings-doc"


def test_every_setting_read_from_the_environment_is_in_the_table_with_a_meaning() -> None:
    table = settings_table()
    names = _env_names()
    for field in dataclasses.fields(Settings):
        if field.name in names:
            row = next(r for r in table.splitlines() if r.startswith(f"| `{names[field.name]}` |"))
            assert not row.endswith("|  |"), f"{field.name} has no comment in api/settings.py"
    assert "`DATABASE_REPLICA_URL`" in table and "`REDIS_SENTINELS`" in table and "`JOB_SCHEDULES`" in table
