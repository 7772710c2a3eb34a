"""Production mode: no schema discovery by default, and no development conveniences
(generated or copied dev signing keys, the fixed login code, codes written to a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings
from api.sms import DevCodeSink
from tests.conftest import TEST_KEYS, app_settings
from tests.support.client import ApiClient, error_codes

INTROSPECT = "{ __schema { queryType { name } } }"


def production_api(database_url: str, **overrides) -> ApiClient:
    sink = DevCodeSink()
    return ApiClient(create_app(app_settings(database_url, env="production", introspection=False,
                                             field_suggestions=False, **overrides), code_sender=sink), sink)


async def test_production_hides_the_schema_and_suggestions(database_url: str, api: ApiClient) -> None:
    prod = production_api(database_url)
    try:
        body = await prod.gql(INTROSPECT)
        assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}, body
        typo = await prod.gql("{ tierz { id } }")
        assert "Did you mean" not in typo["errors"][0]["message"]
    finally:
        await prod.close()
        await prod.container.close()
    assert (await api.data(INTROSPECT))["__schema"]["queryType"]["name"] == "Query"
    assert "Did you mean" in (await api.gql("{ tierz { id } }"))["errors"][0]["message"]


def test_production_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOYALTY_ENV", "production")
    monkeypatch.setenv("JWT_KEYS", "k1:" + TEST_KEYS["t1"])
    for name in ("DEV_LOGIN_CODE", "SMS_SINK_PATH", "INTROSPECTION", "FIELD_SUGGESTIONS", "GRAPHIQL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert (settings.introspection, settings.field_suggestions, settings.graphiql) == (False, False, False)
    monkeypatch.setenv("INTROSPECTION", "1")
    assert Settings.from_env().introspection is True


@pytest.mark.parametrize("bad", [
    {"dev_login_code": "000000"},
    {"jwt_keys": {}, "jwt_active_kid": ""},
    {"jwt_keys": {"dev": "d" * 48}, "jwt_active_kid": "dev"},
    {"sms_sink_path": "var/codes.jsonl"},
])
def test_production_refuses_development_conveniences(bad: dict) -> None:
    values = dict(env="production", jwt_keys=TEST_KEYS, jwt_active_kid="t1", database_url="sqlite+aiosqlite:///x")
    with pytest.raises(ValueError, match="production"):
        create_app(Settings(**{**values, **bad}), code_sender=DevCodeSink())


def test_production_refuses_a_key_copied_from_the_dev_key_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    dev = Settings(env="development").with_dev_key()
    copied = dev.jwt_keys["dev"]
    with pytest.raises(ValueError, match="production"):
        Settings(env="production", jwt_keys={"k9": copied}, jwt_active_kid="k9").validated()


async def test_the_fixed_login_code_does_not_sign_in_in_production(database_url: str) -> None:
    prod = production_api(database_url)
    try:
        await prod.data('mutation { requestLoginCode(phone: "13800138000") { maskedPhone } }')
        body = await prod.gql('mutation { signIn(phone: "13800138000", code: "000000") { isNewMember } }')
        assert error_codes(body) == ["BAD_USER_INPUT"]
    finally:
        await prod.close()
        await prod.container.close()
