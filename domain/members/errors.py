"""Errors of member profiles and linked identities."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import Conflict


class IdentityTaken(Conflict):
    code = ErrorCode.IDENTITY_ALREADY_LINKED
