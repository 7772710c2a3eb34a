"""Errors of meetups (offline events; GraphQL still calls them Event)."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import OutOfStock


class MeetupFull(OutOfStock):
    code = ErrorCode.EVENT_FULL
