"""The lifecycle stage rule (pure). Thresholds come from program settings.

In order, with "within N days" meaning now - N days < t <= now:
1. NEW: joined within lifecycle_new_days.
2. Bought within lifecycle_active_days:
   WON_BACK when the job last saw the member DORMANT or CHURNED, and stays WON_BACK for
   lifecycle_active_days after that; otherwise ACTIVE.
3. Last purchase within lifecycle_dormant_days: DORMANT.
4. Otherwise (older, or never bought once past NEW): CHURNED.
WON_BACK depends on the stage the job stored before, so a member is only won back once the job has
seen them lapse; run the job daily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.program.settings import ProgramSettings
from domain.segments.model import Lifecycle, Stage


@dataclass(frozen=True)
class LifecycleRules:
    new_days: int = 30
    active_days: int = 90
    dormant_days: int = 180

    @classmethod
    def from_settings(cls, settings: ProgramSettings) -> LifecycleRules:
        return cls(settings.lifecycle_new_days, settings.lifecycle_active_days, settings.lifecycle_dormant_days)


def _within(t: datetime | None, days: int, now: datetime) -> bool:
    return t is not None and now - timedelta(days=days) < t <= now


def stage_for(rules: LifecycleRules, joined_at: datetime, last_purchase_at: datetime | None,
              previous: Lifecycle | None, now: datetime) -> Stage:
    if _within(joined_at, rules.new_days, now):
        return Stage.NEW
    if _within(last_purchase_at, rules.active_days, now):
        if previous is not None and previous.stage in (Stage.DORMANT, Stage.CHURNED):
            return Stage.WON_BACK
        if previous is not None and previous.stage is Stage.WON_BACK and _within(previous.since, rules.active_days,
                                                                                   now):
            return Stage.WON_BACK
        return Stage.ACTIVE
    if _within(last_purchase_at, rules.dormant_days, now):
        return Stage.DORMANT
    return Stage.CHURNED
