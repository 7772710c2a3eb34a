"""Errors of surveys."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import Conflict


class AlreadyAnswered(Conflict):
    code = ErrorCode.ALREADY_ANSWERED
