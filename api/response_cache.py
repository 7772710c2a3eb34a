"""The per-member response cache of persisted queries (issue 19, "Home query").

A QUERY sent by a signed-in member over HTTP as a persisted document (an APQ hash, or a trusted
document) whose every selected field is declared in domain/response_cache/dependencies.py is
answered from the cache when an entry exists under its key: the hash of the document's sha, the
operation name, the canonical variables, the response language, the member, and the current
versions of every dependency group its fields name (the member's own and the program-wide ones,
with their epochs). Writes move those versions after their commit (the unit of work does it, see
domain/store/answer_versions.py), so an answer a write changed is never found again; the clock ends
an entry at the first moment its answer would change by time alone (domain/response_cache/validity.py).

The token check (signature, sign-out, erasure) runs before every lookup: a cached answer never
outlives the token. Answers with errors are never stored. When the versions cannot be read the
request is answered from the database (`bypass`), never from an unversioned entry.

Versions are read before the request's other cache reads and before execution: data read later is
at least as new as the versions, so an entry never holds data older than its key."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
)
from graphql.language import OperationType

from api.container import Container
from domain.auth.viewer import Role, Viewer
from domain.response_cache.dependencies import MEMBER_GROUPS, Group, groups_of
from domain.response_cache.validity import valid_until

HEADER = "x-response-cache"
_PLANS_MAX = 1_000


def selected_fields(schema: GraphQLSchema, document: str, operation_name: str | None) -> set[str] | None:
    """Every "Type.field" the operation selects, through fragments, or None when it is not one
    query operation over known fields."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY or schema.query_type is None:
        return None
    names: set[str] = set()

    def walk(parent: Any, selections: SelectionSetNode, spread: frozenset[str]) -> bool:
        for node in selections.selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                names.add(f"{parent.name}.{name}")
                if name == "__typename":
                    continue
                field = getattr(parent, "fields", {}).get(name)
                if field is None:
                    return False
                if node.selection_set is not None and not walk(get_named_type(field.type), node.selection_set, spread):
                    return False
            elif isinstance(node, InlineFragmentNode):
                target = schema.get_type(node.type_condition.name.value) if node.type_condition else parent
                if target is None or not walk(target, node.selection_set, spread):
                    return False
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments.get(node.name.value)
                if fragment is None or fragment.name.value in spread:
                    return False
                target = schema.get_type(fragment.type_condition.name.value)
                if target is None or not walk(target, fragment.selection_set, spread | {fragment.name.value}):
                    return False
        return True

    return names if walk(schema.query_type, operations[0].selection_set, frozenset()) else None


@dataclass
class Pending:
    """A candidate request after its lookup: `body` on a hit, else what a fill needs."""

    member_id: int
    entry_key: str
    key: str
    groups: frozenset[Group]
    computed_at: datetime
    body: bytes | None = None
    until: datetime | None = None
    keep: bool = False


def _entry(key: str, until: datetime | None, body: bytes) -> bytes:
    return f"{key}\n{until.timestamp() if until else ''}\n".encode() + body


def _read_entry(raw: bytes, key: str, now: datetime) -> bytes | None:
    stored_key, until, body = raw.split(b"\n", 2)
    if stored_key.decode() != key:
        return None  # written under other versions: some write has changed the answer since
    if until and datetime.fromtimestamp(float(until), UTC) <= now:
        return None  # the clock has changed the answer since
    return body


class ResponseCache:
    def __init__(self, schema: GraphQLSchema, container: Container) -> None:
        self._schema = schema
        self._container = container
        self._plans: dict[tuple[str, str | None], frozenset[Group] | None] = {}
        self._program_seen: str | None = None

    def groups(self, sha: str | None, document: str, operation: str | None) -> frozenset[Group] | None:
        """The dependency groups of a persisted document, or None when it is not cached."""
        if sha is None or not self._container.settings.response_cache or self._container.router.enabled:
            # A read replica may lag behind the versions: answers computed there could be older than their key.
            return None
        plan_key = (sha, operation)
        if plan_key not in self._plans:
            if len(self._plans) >= _PLANS_MAX:
                self._plans.clear()
            fields = selected_fields(self._schema, document, operation)
            self._plans[plan_key] = groups_of(fields) if fields is not None else None
        return self._plans[plan_key]

    async def lookup(self, viewer: Viewer, sha: str, groups: frozenset[Group], operation: str | None,
                     variables: dict[str, Any] | None, language: str) -> Pending | None:
        """None: bypass (not a member, or the versions are unreadable)."""
        if viewer.role is not Role.MEMBER or viewer.subject_id is None:
            return None
        member_id = viewer.subject_id
        computed_at = self._container.clock.now()  # before anything is read: see valid_until
        entry_key = hashlib.sha256(orjson.dumps([sha, operation, variables or {}, language],
                                                option=orjson.OPT_SORT_KEYS)).hexdigest()
        found = await self._container.answers.read(member_id, entry_key)
        if found is None:
            return None
        versions = found.versions
        program = versions.get(f"g.{Group.PROGRAM}", "0") + "/" + versions.get("g.epoch", "")
        if program != self._program_seen:
            # Another worker or instance saved a tier, setting or rule: this worker's copy of the
            # program (program_snapshot, kept for a second) must not feed an answer stored under the
            # new version.
            self._container.program.invalidate()
            self._program_seen = program
        vector = [f"g.epoch={versions.get('g.epoch', '')}", f"m.epoch={versions.get('m.epoch', '')}"]
        for group in sorted(groups):
            scope = "m" if group in MEMBER_GROUPS else "g"
            vector.append(f"{scope}.{group}={versions.get(f'g.{group}', '0')}")
            if scope == "m":
                vector.append(f"m.{group}={versions.get(f'm.{group}', '0')}")
        key = hashlib.sha256(f"{entry_key}|{member_id}|{';'.join(vector)}".encode()).hexdigest()
        pending = Pending(member_id, entry_key, key, groups, computed_at)
        if found.entry is not None:
            pending.body = _read_entry(found.entry, key, computed_at)
        return pending

    async def prepare_fill(self, pending: Pending, uow: Any) -> None:
        """After an answer without errors, while the request's read connection is still open: until
        when it holds."""
        pending.until = await valid_until(uow, pending.member_id, pending.groups, self._container.clock,
                                          pending.computed_at)
        pending.keep = True

    async def fill(self, pending: Pending, body: bytes) -> None:
        if not pending.keep:
            return
        ttl = self._container.settings.response_cache_ttl_seconds
        if pending.until is not None:
            left = (pending.until - self._container.clock.now()).total_seconds()
            if left <= 0:
                return  # already changed by the clock
            ttl = min(ttl, math.ceil(left))  # the entry itself says until when to the microsecond
        await self._container.answers.put(pending.member_id, pending.entry_key, _entry(pending.key, pending.until,
                                                                                        body), ttl)
