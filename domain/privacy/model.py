"""Privacy rules: consent kinds, what an erasure replaces, and how personal values are scrubbed
out of free-form JSON (audit details, outbox payloads)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.errors import BadUserInput
from domain.members.model import ERASED_PHONE_PREFIX


class ConsentKind(StrEnum):
    MARKETING = "MARKETING"
    # The member's general yes/no to partners seeing their phone; each link still has its own choice.
    PARTNER_SHARING = "PARTNER_SHARING"


_SOURCE = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")

ERASURE_CONFIRMATION = "ERASE MY DATA"
ERASED_TEXT = "[erased]"
# Export sections, each read page by page (keyset), at most EXPORT_MAX_ROWS rows each.
EXPORT_SECTIONS = (
    "profile", "identities", "consents", "pointsLedger", "purchases", "redemptions", "coupons", "checkIns",
    "tierChanges", "posts", "comments", "likes", "groups", "reports", "eventSignups", "partnerLinks",
    "partnerTransactions", "surveyAnswers", "rfmScores", "lifecycleChanges", "entitlementUses",
)
EXPORT_PAGE = 500
EXPORT_MAX_ROWS = 10_000


def parse_consent_kind(raw: str) -> ConsentKind:
    try:
        return ConsentKind(raw.strip().upper())
    except ValueError:
        raise BadUserInput.for_field(
            "kind", f"Unknown consent kind; use one of {', '.join(k.value for k in ConsentKind)}."
        ) from None


def parse_source(raw: str | None, default: str) -> str:
    value = (raw or default).strip()
    if not _SOURCE.fullmatch(value):
        raise BadUserInput.for_field("source", "Name the channel in 1-40 letters, digits or . _ : -")
    return value


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    member_id: int
    kind: ConsentKind
    granted: bool
    source: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor_role: str
    actor_id: int
    action: str
    target: str
    detail: dict[str, object]
    created_at: datetime


@dataclass(frozen=True)
class DataExport:
    member_id: int
    generated_at: datetime
    document: dict[str, object]
    truncated_sections: list[str]


@dataclass(frozen=True)
class Erasure:
    """What one erasure replaces. `identifiers` are unique to the member (phone forms, channel ids,
    partner refs, member code, avatar URL) and are scrubbed wherever they appear; `names` (the display
    name) only in records already tied to the member, so a common name is not cut out of strangers' rows."""

    member_id: int
    tombstone: str
    new_member_code: str
    identifiers: tuple[str, ...]
    names: tuple[str, ...]
    now: datetime


def tombstone_for(member_id: int) -> str:
    # Fits members.phone (20 characters) and keeps it unique; never a valid phone, so nobody signs in as it.
    return f"{ERASED_PHONE_PREFIX}{member_id}"


def phone_forms(phone: str) -> list[str]:
    """Spellings of one number that other systems may have stored: E.164, digits, national."""
    forms = [phone, phone.lstrip("+")]
    if phone.startswith("+86"):
        forms.append(phone[3:])
    return forms


def needles(values: Sequence[str | None]) -> tuple[str, ...]:
    """Distinct non-trivial values, longest first, so a longer form is replaced before its substring."""
    found = {v for v in values if v and len(v) >= 4}
    return tuple(sorted(found, key=lambda v: (-len(v), v)))


def search_forms(values: Sequence[str]) -> list[str]:
    """What to look for in stored JSON text: the value itself and its JSON-escaped spelling (non-ASCII
    characters are stored as \\uXXXX escapes)."""
    forms: list[str] = []
    for v in values:
        for form in (v, json.dumps(v)[1:-1]):
            if form not in forms:
                forms.append(form)
    return forms


def scrub(value: object, targets: Sequence[str], replacement: str = ERASED_TEXT) -> object:
    """A copy of a JSON value with every occurrence of the targets (in keys and strings) replaced."""
    if isinstance(value, str):
        for t in targets:
            value = value.replace(t, replacement)
        return value
    if isinstance(value, list):
        return [scrub(v, targets, replacement) for v in value]
    if isinstance(value, dict):
        return {str(scrub(k, targets, replacement)): scrub(v, targets, replacement) for k, v in value.items()}
    return value


def redact_text(value: object) -> object:
    """A copy of a JSON value with every string replaced (numbers, flags and structure stay): for
    records about the member whose free text (a staff note, an old birthday) cannot be enumerated."""
    if isinstance(value, str):
        return ERASED_TEXT
    if isinstance(value, list):
        return [redact_text(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_text(v) for k, v in value.items()}
    return value


class PersonalDataEraser(Protocol):
    """One per area: scrubs that area's rows of one member, inside the erasure's transaction."""

    async def erase_member(self, erasure: Erasure) -> None: ...


class PrivacyRepository(Protocol):
    async def add_consent(self, member_id: int, kind: ConsentKind, granted: bool, source: str,
                          now: datetime) -> ConsentRecord: ...
    async def current_consents(self, member_id: int) -> dict[ConsentKind, ConsentRecord]: ...
    async def consent_history(self, member_id: int, before: int | None, limit: int) -> list[ConsentRecord]:
        """Newest first, ids below `before` when given."""
        ...
    async def count_consents(self, member_id: int) -> int: ...
    async def export_page(self, section: str, member_id: int, after: tuple | None,
                          limit: int) -> tuple[list[dict[str, object]], tuple | None]:
        """One keyset page of a section's rows as JSON-ready dicts, and the key to continue after."""
        ...
    async def audit_for_member(self, member_id: int, before: int | None, limit: int) -> list[AuditEntry]:
        """Audit entries about the member (target member:<id>) or by the member, newest first."""
        ...
