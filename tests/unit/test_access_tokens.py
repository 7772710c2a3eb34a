"""Access tokens are verified for signature, expiry, audience, issuer and algorithm."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import JwtTokens
from api.settings import Settings
from domain.auth.viewer import Role, Viewer
from domain.errors import Forbidden, Unauthenticated

KEY = "k" * 40
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def tokens(**overrides: object) -> JwtTokens:
    values: dict[str, object] = {"jwt_keys": {"k1": KEY}, "jwt_active_kid": "k1"}
    values.update(overrides)
    return JwtTokens(Settings(**values).validated())  # type: ignore[arg-type]


def claims(**overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, object] = {"sub": "7", "role": "member", "iss": "loyalty", "aud": "loyalty-api",
                               "iat": now, "exp": now + 600}
    base.update(overrides)
    return base


def signed(payload: dict[str, object], key: str = KEY, kid: str = "k1", alg: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def test_a_fresh_token_names_the_viewer() -> None:
    t = tokens()
    issued = t.issue_access(Role.MEMBER, 7, datetime.now(UTC))
    assert t.verify(issued.token) == Viewer(Role.MEMBER, 7)


def test_expired_tokens_are_refused_with_a_reason() -> None:
    t = tokens()
    old = t.issue_access(Role.MEMBER, 7, datetime.now(UTC) - timedelta(hours=2)).token
    with pytest.raises(Unauthenticated) as exc:
        t.verify(old)
    assert exc.value.details["reason"] == "TOKEN_EXPIRED"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(signed(claims(), key="x" * 40), id="wrong-signature"),
        pytest.param(signed(claims(aud="someone-else")), id="wrong-audience"),
        pytest.param(signed(claims(iss="evil")), id="wrong-issuer"),
        pytest.param(signed({k: v for k, v in claims().items() if k != "exp"}), id="no-exp"),
        pytest.param(signed({k: v for k, v in claims().items() if k != "iat"}), id="no-iat"),
        pytest.param(signed(claims(role="admin")), id="unknown-role"),
        pytest.param(signed(claims(sub="abc")), id="non-numeric-subject"),
        pytest.param(signed(claims(), kid="k9"), id="unknown-kid"),
        pytest.param("not.a.jwt", id="garbage"),
    ],
)
def test_invalid_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        tokens().verify(token)


def test_tampered_payload_is_refused() -> None:
    t = tokens()
    header, payload, signature = t.issue_access(Role.MEMBER, 7, datetime.now(UTC)).token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["role"] = "staff"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated):
        t.verify(f"{header}.{forged}.{signature}")


def test_alg_none_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"k1"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims(role="staff")).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated):
        tokens().verify(f"{header}.{payload}.")


def test_rs256_tokens_are_refused_even_when_signed_with_a_real_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    with pytest.raises(Unauthenticated):
        tokens().verify(jwt.encode(claims(), pem, algorithm="RS256", headers={"kid": "k1"}))


def test_keys_rotate_old_tokens_verify_until_the_old_key_is_dropped() -> None:
    old = tokens()
    token = old.issue_access(Role.MEMBER, 7, datetime.now(UTC)).token
    rotated = tokens(jwt_keys={"k1": KEY, "k2": "n" * 40}, jwt_active_kid="k2")
    assert rotated.verify(token) == Viewer(Role.MEMBER, 7)
    new_token = rotated.issue_access(Role.MEMBER, 7, datetime.now(UTC)).token
    assert jwt.get_unverified_header(new_token)["kid"] == "k2"
    retired = tokens(jwt_keys={"k2": "n" * 40}, jwt_active_kid="k2")
    with pytest.raises(Unauthenticated):
        retired.verify(token)


def test_bad_header_gives_a_viewer_that_refuses_with_the_reason() -> None:
    viewer = tokens().viewer_from_header("Basic abc")
    assert not viewer.is_authenticated
    with pytest.raises(Unauthenticated):
        viewer.require_member()
    assert tokens().viewer_from_header(None) == Viewer.anonymous()


def test_roles_are_enforced_by_the_viewer() -> None:
    with pytest.raises(Forbidden):
        Viewer(Role.PARTNER, 1).require_staff()
    with pytest.raises(Forbidden):
        Viewer(Role.MEMBER, 1).require_partner()
    assert Viewer(Role.STAFF, 3).require_staff() == 3


def test_settings_refuse_weak_or_missing_production_keys() -> None:
    with pytest.raises(ValueError):
        Settings(jwt_keys={"k1": "short"}, jwt_active_kid="k1").validated()
    with pytest.raises(ValueError):
        Settings(env="production").validated()
    with pytest.raises(ValueError):
        Settings(env="production", jwt_keys={"k1": KEY}, jwt_active_kid="k1", dev_login_code="000000").validated()
