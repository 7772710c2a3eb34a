"""Sign-in, session refresh and sign-out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.auth import login, sessions, staff
from domain.auth.sessions import AuthSession
from domain.auth.viewer import Viewer
from domain.members.phone import mask_phone
from schema.enums import Role
from schema.info import Info
from schema.members import MemberType


@strawberry.type(description="The result of requestLoginCode: a code was texted.")
class RequestLoginCodePayload:
    masked_phone: str = strawberry.field(description="The phone the code went to, partly hidden, for display.")
    expires_at: datetime = strawberry.field(description="When the code stops working (UTC).")
    resend_after: datetime = strawberry.field(
        description="Earliest time to offer \"send again\" (UTC); ask before then and you may be RATE_LIMITED.")


@strawberry.type(description="A signed-in session: send the access token as `Authorization: Bearer <token>`.")
class SessionPayload:
    access_token: str = strawberry.field(description="Short-lived bearer token for API calls.")
    access_token_expires_at: datetime = strawberry.field(
        description="When the access token stops working (UTC); refresh before then with refreshSession.")
    refresh_token: str = strawberry.field(
        description="Secret for refreshSession and signOut; works once. Store it securely.")
    refresh_token_expires_at: datetime = strawberry.field(
        description="When the refresh token expires (UTC); after that the user must sign in again.")
    role: Role = strawberry.field(description="Who the session acts as: MEMBER, STAFF or PARTNER.")

    @classmethod
    def from_domain(cls, s: AuthSession) -> SessionPayload:
        return cls(
            access_token=s.access_token, access_token_expires_at=s.access_expires_at,
            refresh_token=s.refresh_token, refresh_token_expires_at=s.refresh_expires_at, role=s.role,
        )


@strawberry.type(description="The result of signIn.")
class SignInPayload:
    session: SessionPayload = strawberry.field(description="The new session's tokens.")
    member: MemberType = strawberry.field(description="The member just signed in (fields resolve as that member).")
    is_new_member: bool = strawberry.field(description="True when this sign-in created the membership (sign-up).")


@strawberry.type(description="The result of signOut.")
class SignOutPayload:
    signed_out: bool = strawberry.field(description="Always true: the session is over (or already was).")


@strawberry.type(description="The result of unlockStaffAccount.")
class UnlockPayload:
    unlocked: bool = strawberry.field(description="True when a lock (or failure count) was lifted.")


def establish_viewer(info: Info, session: AuthSession) -> None:
    """The payload of a mutation that opens a session resolves as the viewer it established.

    Mutations run one after another and a payload's fields resolve after its mutation returned, so
    replacing the request's viewer here makes `signIn { member { points coupons } }` answer for the
    member just signed in (the code is spent: an error there would lose the tokens). The context is
    per request, so nothing outlives this request."""
    info.context.viewer = Viewer(role=session.role, subject_id=session.subject_id)


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description=(
        "Anyone: text a one-time sign-in code to this phone. RATE_LIMITED when too many codes were asked for; "
        "BAD_USER_INPUT on `proof` when a verification step is needed first."))
    async def request_login_code(
        self, info: Info,
        phone: Annotated[str, strawberry.argument(description=(
            "Mobile number to text the code to: 11-digit mainland number or international +country form."))],
        proof: Annotated[str | None, strawberry.argument(description=(
            "Needed only when an earlier call answered BAD_USER_INPUT on `proof` (SMS budget tight): a signed "
            "device nonce or captcha token, see README."))] = None,
    ) -> RequestLoginCodePayload:
        c = info.context.container
        sent = await login.request_login_code(
            login.RequestLoginCode(phone, info.context.client_address, proof), c.deps(info.context.viewer),
            login.CodeSending(c.code_sender, c.login_policy, c.proof_verifier))
        return RequestLoginCodePayload(
            masked_phone=mask_phone(sent.phone), expires_at=sent.expires_at, resend_after=sent.resend_after
        )

    @strawberry.mutation(description=(
        "Anyone: sign in (or sign up) with the code texted to the phone. A wrong or expired code answers "
        "BAD_USER_INPUT on `code`; each code allows only a few attempts."))
    async def sign_in(
        self, info: Info,
        phone: Annotated[str, strawberry.argument(description="The phone the code was texted to.")],
        code: Annotated[str, strawberry.argument(description="The code from the text message.")],
        invite_code: Annotated[str | None, strawberry.argument(description=(
            "A friend's invite (member) code; used only when this sign-in creates the membership."))] = None,
    ) -> SignInPayload:
        c = info.context.container
        result = await login.sign_in(
            login.SignIn(phone, code, invite_code), c.deps(info.context.viewer),
            login.MemberLogin(c.session_issuer, c.login_policy, c.settings.dev_login_code))
        establish_viewer(info, result.session)
        return SignInPayload(
            session=SessionPayload.from_domain(result.session),
            member=MemberType.from_domain(result.member),
            is_new_member=result.is_new_member,
        )

    @strawberry.mutation(description=(
        "Anyone holding a refresh token: trade it for a new session; each refresh token works once. "
        "UNAUTHENTICATED when it is unknown, expired, already used or the session was ended."))
    async def refresh_session(
        self, info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The refresh token of the current session.")],
    ) -> SessionPayload:
        c = info.context.container
        session = await sessions.refresh_session(c.uow(), c.session_issuer, refresh_token, c.now())
        establish_viewer(info, session)
        return SessionPayload.from_domain(session)

    @strawberry.mutation(description="Anyone holding a refresh token: end the session it belongs to.")
    async def sign_out(
        self, info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The refresh token of the session to end.")],
    ) -> SignOutPayload:
        c = info.context.container
        await sessions.sign_out(c.uow(), refresh_token, c.now())
        return SignOutPayload(signed_out=True)

    @strawberry.mutation(description=(
        "Operators sign in with username and password. UNAUTHENTICATED on a wrong pair; RATE_LIMITED while the "
        "account is locked after repeated wrong passwords, or after too many failures from one address."))
    async def sign_in_staff(
        self, info: Info,
        username: Annotated[str, strawberry.argument(description="The operator's username (case-insensitive).")],
        password: Annotated[str, strawberry.argument(description="The operator's password.")],
    ) -> SessionPayload:
        c = info.context.container
        session = await staff.sign_in_staff(
            staff.StaffSignIn(username, password, info.context.client_address), c.deps(info.context.viewer),
            staff.StaffLogin(c.session_issuer, c.staff_guard, c.password_hasher))
        establish_viewer(info, session)
        return SessionPayload.from_domain(session)

    @strawberry.mutation(description=(
        "Staff: lift the lock that wrong passwords put on an operator account (audited as staff.unlocked). "
        "`unlocked` is false when the account was not locked."))
    async def unlock_staff_account(
        self, info: Info,
        username: Annotated[str, strawberry.argument(description="The locked operator's username.")],
    ) -> UnlockPayload:
        ctx = info.context
        done = await staff.unlock_staff_account(ctx.uow(), ctx.viewer, username, ctx.container.now())
        return UnlockPayload(unlocked=done)
