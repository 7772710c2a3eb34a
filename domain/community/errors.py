"""Errors of the community (posts, comments, groups)."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import DomainError


class BannedContent(DomainError):
    code = ErrorCode.CONTENT_REJECTED
