"""Scalars this API defines or tightens; the schema maps Python types to them."""

from __future__ import annotations

import datetime as dt
from typing import NewType

import dateutil.parser
import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

from domain.error_codes import ErrorCode

Long = NewType("Long", int)
LONG_SCALAR = strawberry.scalar(
    name="Long", serialize=int, parse_value=int,
    description="A whole number that may not fit in 32 bits (program-wide point totals); a JSON number.",
)


def _bad_input(message: str) -> StrawberryInputCoercionError:
    # The code rides on the error itself: a literal in the document is checked during validation,
    # whose errors would otherwise read GRAPHQL_VALIDATION_FAILED, while the same value sent as a
    # variable reads BAD_USER_INPUT. One value, one answer.
    return StrawberryInputCoercionError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})


def _aware_datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise _bad_input(f'Value cannot represent a DateTime: "{value}". Expected a string.')
    try:
        parsed = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise _bad_input(f'Value cannot represent a DateTime: "{value}". Use ISO 8601 with an offset, '
                         "e.g. 2026-12-01T10:00:00+08:00.") from None
    if parsed.tzinfo is None:
        # Ambiguous (UTC? the program's zone?) and refused by the UTC columns further down: say so here.
        raise _bad_input(
            f'Value cannot represent a DateTime: "{value}". Add a time zone offset, e.g. +08:00 or Z.')
    try:
        # Storage is UTC: a value at the edge of the calendar (0001-01-01T00:00+14:00) has no UTC instant.
        parsed.astimezone(dt.UTC)
    except OverflowError as exc:
        raise StrawberryInputCoercionError(
            f'Value cannot represent a DateTime: "{value}" is outside the supported range in UTC.') from exc
    return parsed


AWARE_DATETIME = strawberry.scalar(
    name="DateTime", description="Date with time and a time zone offset (ISO 8601)",
    serialize=dt.datetime.isoformat, parse_value=_aware_datetime)

SCALARS: dict[object, object] = {Long: LONG_SCALAR, dt.datetime: AWARE_DATETIME}
