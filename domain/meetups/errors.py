"""Errors of events (meetups)."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import OutOfStock


class EventFull(OutOfStock):
    code = ErrorCode.EVENT_FULL
