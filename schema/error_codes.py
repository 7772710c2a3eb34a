"""The GraphQL enum `ErrorCode`: the domain's list of `extensions.code` values, with descriptions.

No field returns it; it is in the schema (via `types=`) so that app teams and code generators
read every code the server can send from the SDL alone.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.error_codes import DESCRIPTIONS
from domain.error_codes import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(
    Enum(  # type: ignore[misc]
        "ErrorCode",
        {code.name: strawberry.enum_value(code.value, description=DESCRIPTIONS[code]) for code in DomainErrorCode},
    ),
    name="ErrorCode",
    description="Every value `errors[].extensions.code` can take. Switch on the code, never on the "
                "message: messages are localised (Accept-Language) and may be reworded.",
)
