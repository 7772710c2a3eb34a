"""Idempotency records, earning rules and program settings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.points.rules import Activity, EarningRule, RuleKind
from domain.store.dialect import insert_ignoring_conflict
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.tables import earning_rules, idempotency_records, program_settings

_SETTINGS = select(program_settings.c.key, program_settings.c.value)  # read on every home screen


_SCOPE_MAX = idempotency_records.c.scope.type.length


def fit_scope(scope: str) -> str:
    """Scopes are built from caller-supplied ids (`refund:store:<storeId>/<orderId>`), which may add up to
    more than the column holds: a long scope keeps a readable head and ends in a digest of the whole."""
    if len(scope) <= _SCOPE_MAX:
        return scope
    digest = hashlib.sha256(scope.encode()).hexdigest()
    return scope[: _SCOPE_MAX - len(digest) - 1] + "#" + digest


class SqlIdempotencyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> tuple[bool, str, dict | None]:
        scope = fit_scope(scope)
        inserted = await self._conn.execute(
            insert_ignoring_conflict(self._conn, idempotency_records, ["scope", "key"])
            .values(scope=scope, key=key, request_hash=request_hash, created_at=now)
            .returning(idempotency_records.c.key)
        )
        if inserted.first() is not None:
            return True, request_hash, None
        row = (await self._conn.execute(
            select(idempotency_records).where(idempotency_records.c.scope == scope, idempotency_records.c.key == key)
        )).one()
        return False, row.request_hash, row.result

    async def store_result(self, scope: str, key: str, result: dict[str, object]) -> None:
        scope = fit_scope(scope)
        await self._conn.execute(
            update(idempotency_records)
            .where(idempotency_records.c.scope == scope, idempotency_records.c.key == key)
            .values(result=result)
        )


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
        """`snapshot`: read-only units of work only; `saved`: told when the settings change."""
        self._conn = conn
        self._snapshot = snapshot
        self._saved = saved

    async def rules(self) -> list[EarningRule]:
        rows = await self._conn.execute(select(earning_rules).order_by(earning_rules.c.id))
        return [_rule(r) for r in rows]

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
        if self._saved is not None:
            self._saved()
        existing = set((await self.settings()).keys())
        for key, value in values.items():
            if key in existing:
                await self._conn.execute(
                    update(program_settings).where(program_settings.c.key == key).values(value=value, updated_at=now)
                )
            else:
                await self._conn.execute(insert(program_settings).values(key=key, value=value, updated_at=now))
