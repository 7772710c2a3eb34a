"""Operators configure the program: earning rules and settings are data, changed by staff only."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.auth.viewer import Role, Viewer
from domain.errors import NotFound
from domain.points.rules import EarningRule, validate_rule
from domain.ports import UnitOfWork
from domain.program.settings import ProgramSettings


async def list_rules(uow: UnitOfWork, viewer: Viewer) -> list[EarningRule]:
    viewer.require_staff()
    async with uow:
        return await uow.rules.rules()


async def save_rule(uow: UnitOfWork, viewer: Viewer, rule: EarningRule, now: datetime) -> EarningRule:
    """Create (id 0) or replace a rule. Rules are never deleted, only deactivated, so past
    ledger entries can still be explained."""
    staff_id = viewer.require_staff()
    validate_rule(rule)
    async with uow:
        if rule.id and await uow.rules.rule(rule.id) is None:
            raise NotFound("No such earning rule.")
        saved = await uow.rules.save_rule(replace(rule, name=rule.name.strip()), now)
        await uow.audit.record(Role.STAFF, staff_id, "rules.saved", f"rule:{saved.id}",
                               {"kind": saved.kind.value, "active": saved.active}, now)
        await uow.commit()
    return saved


async def load_settings(uow: UnitOfWork) -> ProgramSettings:
    """Inside an open unit of work."""
    return ProgramSettings.from_dict(await uow.rules.settings())


async def get_settings(uow: UnitOfWork) -> ProgramSettings:
    async with uow:
        return await load_settings(uow)


async def update_settings(uow: UnitOfWork, viewer: Viewer, changes: dict[str, object],
                          now: datetime) -> ProgramSettings:
    staff_id = viewer.require_staff()
    async with uow:
        current = ProgramSettings.from_dict(await uow.rules.settings())
        updated = replace(current, **changes).validated()  # type: ignore[arg-type]  # checked by validated()
        await uow.rules.save_settings(updated.to_dict(), now)
        await uow.audit.record(Role.STAFF, staff_id, "settings.updated", "program", dict(changes), now)
        await uow.commit()
    return updated
