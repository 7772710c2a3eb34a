"""Job schedules are read in the program time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from api.jobs import JOBS, Schedule, schedules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_daily_local_time_becomes_a_utc_cron_for_the_worker() -> None:
    assert Schedule.parse("daily 02:00").cron(SHANGHAI, date(2026, 12, 2)) == "0 18 * * *"
    assert Schedule.parse("daily 08:30").cron(SHANGHAI, date(2026, 12, 2)) == "30 0 * * *"
    assert Schedule.parse("every 5m").cron(SHANGHAI, date(2026, 12, 2)) == "*/5 * * * *"
    assert Schedule.parse("off").cron(SHANGHAI, date(2026, 12, 2)) is None


def test_in_process_runner_finds_the_next_local_morning() -> None:
    morning = Schedule.parse("daily 08:00")
    # 23:30 UTC on 1 Dec is 07:30 in Shanghai on 2 Dec: the run is half an hour later.
    assert morning.next_after(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), SHANGHAI) == \
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert morning.next_after(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), SHANGHAI) == \
        datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["daily 25:00", "hourly", "every 7m", "every 0s", ""])
def test_bad_schedules_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Schedule.parse(bad)


def test_overrides_must_name_a_job() -> None:
    assert schedules({})["birthday-rewards"] == Schedule(daily_at=(8, 0))
    with pytest.raises(ValueError, match="unknown"):
        schedules({"expire-ponts": "daily 01:00"})
    assert len({j.name for j in JOBS}) == len(JOBS)
