"""A DateTime without an offset is refused the same way whether it comes inline or as a variable."""

from __future__ import annotations

from tests.support.client import ApiClient, error_codes
from tests.support.roles import staff_token

BY_VARIABLES = """query($f: DateTime!, $t: DateTime!) { partnerStatement(partnerId: "1", from: $f, to: $t) { kind } }"""
INLINE = """{ partnerStatement(partnerId: "1", from: "%s", to: "2026-12-02T00:00:00+08:00") { kind } }"""


async def test_naive_datetime_is_bad_user_input_inline_and_as_variable(api: ApiClient) -> None:
    staff = await staff_token(api)
    variables = await api.gql(BY_VARIABLES, {"f": "2026-12-01T00:00:00", "t": "2026-12-02T00:00:00+08:00"}, staff)
    inline = await api.gql(INLINE % "2026-12-01T00:00:00", token=staff)
    assert error_codes(variables) == error_codes(inline) == ["BAD_USER_INPUT"]
    assert "offset" in variables["errors"][0]["message"] and "offset" in inline["errors"][0]["message"]
    assert "data" not in inline or inline["data"] is None


async def test_inline_garbage_datetime_is_bad_user_input(api: ApiClient) -> None:
    staff = await staff_token(api)
    assert error_codes(await api.gql(INLINE % "yesterday", token=staff)) == ["BAD_USER_INPUT"]


async def test_inline_aware_datetime_is_accepted(api: ApiClient) -> None:
    staff = await staff_token(api)
    body = await api.gql(INLINE % "2026-12-01T00:00:00Z", token=staff)
    assert "errors" not in body, body
