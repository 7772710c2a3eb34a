"""The GraphQL enum `ErrorCode`: the domain's list of `extensions.code` values, with descriptions.

No field returns it; it is in the schema (via `types=`) so that app teams and code generators
read every code the server can send from the SDL alone.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from domain.error_codes import DESCRIPTIONS
from domain.error_codes import ErrorCode as DomainErrorCode

# Built from the domain's list so the two cannot drift; the functional Enum API is opaque to mypy.
_CODES: Any = Enum(  # type: ignore[misc]
    "ErrorCode",
    {code.name: strawberry.enum_value(code.value, description=DESCRIPTIONS[code]) for code in DomainErrorCode},
)
ErrorCode = strawberry.enum(
    _CODES,
    name="ErrorCode",
    description="Every value `errors[].extensions.code` can take. Switch on the code, never on the "
                "message: messages are localised (Accept-Language) and may be reworded.",
)
