"""Access tokens: HS256 JWTs with a key id, verified for signature, exp, iat, aud, iss and alg."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import datetime, timedelta

import jwt

from api.settings import Settings
from domain.auth.viewer import Role, StaffGrant, StaffRole, Viewer
from domain.errors import Unauthenticated
from domain.ports import IssuedToken

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
# Only this list is ever accepted: "none" and asymmetric algorithms (HS/RS confusion) are refused.
ALLOWED_ALGORITHMS = [ALGORITHM]
# Verified tokens kept per worker: a member's app sends the same token for its whole lifetime
# (15 minutes by default), and checking it again costs more Python than the rest of the request's
# auth (PyJWT's base64url and claim checks). Bounded: the least recently used go first.
VERIFIED_TOKENS_MAX = 10_000


class JwtTokens:
    def __init__(self, settings: Settings) -> None:
        if not settings.jwt_keys:
            raise ValueError("no JWT keys configured")
        self._keys = dict(settings.jwt_keys)
        self._kid = settings.jwt_active_kid
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(seconds=settings.access_ttl_seconds)
        self._verified: OrderedDict[str, Viewer] = OrderedDict()
        self._clock = time.time

    def forget(self, role: str, subject_id: int, session_id: str | None = None) -> None:
        """Drop the verified tokens of a subject (one session, or all of them: erasure), after the
        sign-out or erasure committed. They are still checked afresh if sent again."""
        for token, viewer in list(self._verified.items()):
            if (viewer.role is not None and viewer.role.value == role and viewer.subject_id == subject_id
                    and (session_id is None or viewer.session_id == session_id)):
                del self._verified[token]

    def is_cached(self, token: str) -> bool:
        return token in self._verified

    def issue_access(self, role: Role, subject_id: int, now: datetime, session_id: str | None = None,
                     staff: StaffGrant | None = None) -> IssuedToken:
        expires = now + self._ttl
        claims: dict[str, object] = {
            "sub": str(subject_id),
            "role": role.value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        if session_id is not None:
            claims["sid"] = session_id
        if staff is not None:
            claims["srole"], claims["sver"] = staff.role.value, staff.version
        token = jwt.encode(claims, self._keys[self._kid], algorithm=ALGORITHM, headers={"kid": self._kid})
        return IssuedToken(token, expires.replace(microsecond=0))

    def verify(self, token: str) -> Viewer:
        viewer = self._verified.get(token)
        if viewer is not None:
            if viewer.expires_at is not None and viewer.expires_at > self._clock():
                self._verified.move_to_end(token)
                return viewer
            del self._verified[token]  # expired: the full check below says so
        viewer = self._verify(token)
        self._verified[token] = viewer
        if len(self._verified) > VERIFIED_TOKENS_MAX:
            self._verified.popitem(last=False)
        return viewer

    def _verify(self, token: str) -> Viewer:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(str(header.get("kid")))
            if key is None:
                raise Unauthenticated("The access token was signed with an unknown key.", reason="INVALID_TOKEN")
            claims = jwt.decode(
                token,
                key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
            role = Role(claims["role"])
            subject = int(claims["sub"])
            if not 0 < subject < 2**63:
                # Ids are 64-bit in the database: a bigger subject was never issued by us.
                raise ValueError("subject out of range")
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired; refresh the session.", reason="TOKEN_EXPIRED") from exc
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            log.info("rejected access token: %s", exc)
            raise Unauthenticated("The access token is not valid.", reason="INVALID_TOKEN") from exc
        sid = claims.get("sid")
        staff_role, staff_version = None, None
        if role is Role.STAFF:
            # A staff token without a role and version (issued before roles existed) matches no
            # account version, so admission refuses it and the client refreshes.
            srole, sver = claims.get("srole"), claims.get("sver")
            staff_role = StaffRole(srole) if isinstance(srole, str) and srole in StaffRole.__members__ else None
            staff_version = sver if isinstance(sver, int) else None
        return Viewer(role, subject, session_id=sid if isinstance(sid, str) else None, expires_at=int(claims["exp"]),
                      issued_at=int(claims["iat"]), staff_role=staff_role, staff_version=staff_version)

    def viewer_from_header(self, authorization: str | None) -> Viewer:
        """The caller behind an Authorization header; a bad token yields a viewer that explains why."""
        if not authorization:
            return Viewer.anonymous()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Viewer.rejected("Use 'Authorization: Bearer <token>'.", "INVALID_TOKEN")
        try:
            return self.verify(token.strip())
        except Unauthenticated as exc:
            return Viewer.rejected(exc.message, str(exc.details.get("reason", "INVALID_TOKEN")))
