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


@strawberry.type
class RequestLoginCodePayload:
    masked_phone: str
    expires_at: datetime
    resend_after: datetime


@strawberry.type
class SessionPayload:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    role: Role

    @classmethod
    def from_domain(cls, s: AuthSession) -> SessionPayload:
        return cls(
            access_token=s.access_token, access_token_expires_at=s.access_expires_at,
            refresh_token=s.refresh_token, refresh_token_expires_at=s.refresh_expires_at, role=s.role,
        )


@strawberry.type
class SignInPayload:
    session: SessionPayload
    member: MemberType
    is_new_member: bool


@strawberry.type
class SignOutPayload:
    signed_out: bool


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
    @strawberry.mutation(description="Text a one-time sign-in code to this phone.")
    async def request_login_code(
        self, info: Info, phone: str,
        proof: Annotated[str | None, strawberry.argument(description=(
            "Needed only when an earlier call answered BAD_USER_INPUT on `proof` (SMS budget tight): a signed "
            "device nonce or captcha token, see README."))] = None,
    ) -> RequestLoginCodePayload:
        c = info.context.container
        sent = await login.request_login_code(c.uow(), c.code_sender, phone, c.now(), c.login_policy,
                                              info.context.client_address, proof, c.proof_verifier)
        return RequestLoginCodePayload(
            masked_phone=mask_phone(sent.phone), expires_at=sent.expires_at, resend_after=sent.resend_after
        )

    @strawberry.mutation(description="Sign in (or sign up) with the code texted to the phone.")
    async def sign_in(self, info: Info, phone: str, code: str, invite_code: str | None = None) -> SignInPayload:
        c = info.context.container
        result = await login.sign_in(
            c.uow(), c.tokens, phone, code, c.now(), c.login_policy, c.session_policy,
            dev_code=c.settings.dev_login_code, today=c.today(), invite_code=invite_code,
        )
        establish_viewer(info, result.session)
        return SignInPayload(
            session=SessionPayload.from_domain(result.session),
            member=MemberType.from_domain(result.member),
            is_new_member=result.is_new_member,
        )

    @strawberry.mutation(description="Trade a refresh token for a new session; each refresh token works once.")
    async def refresh_session(self, info: Info, refresh_token: str) -> SessionPayload:
        c = info.context.container
        session = await sessions.refresh_session(c.uow(), c.tokens, refresh_token, c.now(), c.session_policy)
        establish_viewer(info, session)
        return SessionPayload.from_domain(session)

    @strawberry.mutation(description="End the session this refresh token belongs to.")
    async def sign_out(self, info: Info, refresh_token: str) -> SignOutPayload:
        c = info.context.container
        await sessions.sign_out(c.uow(), refresh_token, c.now())
        return SignOutPayload(signed_out=True)

    @strawberry.mutation(description="Operators sign in with username and password.")
    async def sign_in_staff(self, info: Info, username: str, password: str) -> SessionPayload:
        c = info.context.container
        session = await staff.sign_in_staff(c.uow(), c.tokens, username, password, c.now(), c.session_policy,
                                            c.staff_guard, c.password_hasher, info.context.client_address)
        establish_viewer(info, session)
        return SessionPayload.from_domain(session)

    @strawberry.mutation(description=(
        "Staff: lift the lock that wrong passwords put on an operator account (audited as staff.unlocked). "
        "`unlocked` is false when the account was not locked."))
    async def unlock_staff_account(self, info: Info, username: str) -> UnlockPayload:
        ctx = info.context
        done = await staff.unlock_staff_account(ctx.uow(), ctx.viewer, username, ctx.container.now())
        return UnlockPayload(unlocked=done)
