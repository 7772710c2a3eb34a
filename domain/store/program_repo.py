"""Idempotency records, earning rules and program settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.points.rules import Activity, EarningRule, RuleKind
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.tables import earning_rules, program_settings

_SETTINGS = select(program_settings.c.key, program_settings.c.value)  # read on every home screen


def _rule(row: Row) -> EarningRule:
    return EarningRule(
        id=row.id, kind=RuleKind(row.kind), name=row.name, active=row.active,
        points_per_100_cents=row.points_per_100_cents, category=row.category, multiplier_pct=row.multiplier_pct,
        activity=Activity(row.activity) if row.activity else None, points=row.points, cap=row.cap,
        weekdays=tuple(row.weekdays or ()), month_days=tuple(row.month_days or ()),
        starts_on=row.starts_on, ends_on=row.ends_on,
    )


class SqlRulesRepository:
    def __init__(self, conn: AsyncConnection, snapshot: ProgramSnapshot | None = None,
                 saved: Callable[[], None] | None = None) -> None:
        """`snapshot`: the process's copy of rules and settings; `saved`: told when they change."""
        self._conn = conn
        self._snapshot = snapshot
        self._saved = saved

    async def rules(self) -> list[EarningRule]:
        if self._snapshot is not None:
            return await self._snapshot.rules(self._read_rules)
        return await self._read_rules()

    async def _read_rules(self) -> list[EarningRule]:
        rows = await self._conn.execute(select(earning_rules).order_by(earning_rules.c.id))
        return [_rule(r) for r in rows]

    def _note_saved(self) -> None:
        # This transaction reads its own writes from now on, and the commit drops the shared copy.
        self._snapshot = None
        if self._saved is not None:
            self._saved()

    async def rule(self, rule_id: int) -> EarningRule | None:
        row = (await self._conn.execute(select(earning_rules).where(earning_rules.c.id == rule_id))).first()
        return _rule(row) if row else None

    async def save_rule(self, rule: EarningRule, now: datetime) -> EarningRule:
        values = dict(
            kind=rule.kind.value, name=rule.name, active=rule.active,
            points_per_100_cents=rule.points_per_100_cents, category=rule.category,
            multiplier_pct=rule.multiplier_pct, activity=rule.activity.value if rule.activity else None,
            points=rule.points, cap=rule.cap, weekdays=list(rule.weekdays), month_days=list(rule.month_days),
            starts_on=rule.starts_on, ends_on=rule.ends_on, updated_at=now,
        )
        if rule.id:
            statement = update(earning_rules).where(earning_rules.c.id == rule.id).values(**values)
        else:
            statement = insert(earning_rules).values(**values)
        self._note_saved()
        row = (await self._conn.execute(statement.returning(*earning_rules.c))).one()
        return _rule(row)

    async def settings(self) -> dict[str, object]:
        if self._snapshot is not None:
            return await self._snapshot.settings(self._read_settings)
        return await self._read_settings()

    async def _read_settings(self) -> dict[str, object]:
        rows = await self._conn.execute(_SETTINGS)
        return {r.key: r.value for r in rows}

    async def save_settings(self, values: dict[str, object], now: datetime) -> None:
        self._note_saved()
        existing = set((await self.settings()).keys())
        for key, value in values.items():
            if key in existing:
                await self._conn.execute(
                    update(program_settings).where(program_settings.c.key == key).values(value=value, updated_at=now)
                )
            else:
                await self._conn.execute(insert(program_settings).values(key=key, value=value, updated_at=now))
