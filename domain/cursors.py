"""Opaque keyset cursors: base64 of "<sort key>|<id>", the position after which the next page starts."""

from __future__ import annotations

import base64
from datetime import datetime

from domain.errors import BadUserInput


def encode(key: datetime | int, row_id: int) -> str:
    text = key.isoformat() if isinstance(key, datetime) else str(key)
    return base64.urlsafe_b64encode(f"{text}|{row_id}".encode()).decode()


def _parts(cursor: str) -> tuple[str, int]:
    try:
        key, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return key, int(row_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.for_field("after", "That cursor is not one this API gave out.") from exc


def decode_time(cursor: str) -> tuple[datetime, int]:
    key, row_id = _parts(cursor)
    try:
        return datetime.fromisoformat(key), row_id
    except ValueError as exc:
        raise BadUserInput.for_field("after", "That cursor is not one this API gave out.") from exc


def decode_int(cursor: str) -> tuple[int, int]:
    key, row_id = _parts(cursor)
    try:
        return int(key), row_id
    except ValueError as exc:
        raise BadUserInput.for_field("after", "That cursor is not one this API gave out.") from exc
