"""Member sign-in by one-time code sent to the phone; the first sign-in creates the member."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.auth.codes import LoginCodePolicy, check_send_rate, code_matches, hash_code, new_code
from domain.auth.sessions import AuthSession, SessionIssuer
from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, FieldError, RateLimited
from domain.events import MemberCreated
from domain.members.model import Member
from domain.members.phone import check_textable, normalize_phone
from domain.offers.birthday import grant_birthday
from domain.offers.model import IssueSource
from domain.offers.services import CouponGrant, issue_by_setting
from domain.ports import CodeSender, ProofVerifier, UnitOfWork
from domain.program.services import load_settings
from domain.referrals.services import link_referrer

_MEMBER_CODE_ALPHABET = MEMBER_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class LoginCodeSent:
    phone: str
    expires_at: datetime
    resend_after: datetime


@dataclass(frozen=True)
class MemberSignIn:
    member: Member
    session: AuthSession
    is_new_member: bool


def new_member_code() -> str:
    return "".join(secrets.choice(_MEMBER_CODE_ALPHABET) for _ in range(8))


_HOUR = 3600
GLOBAL_SMS_KEY = "sms-global"


def _address_key(address: str | None) -> str:
    return f"sms-ip:{address or 'unknown'}"


async def _check_budgets(uow: UnitOfWork, policy: LoginCodePolicy, phone: str, address: str | None,
                         proof: str | None, verifier: ProofVerifier | None, now: datetime) -> None:
    async with uow.read_only():
        mine = await uow.throttles.peek(_address_key(address), now, _HOUR)
        everyone = await uow.throttles.peek(GLOBAL_SMS_KEY, now, _HOUR)
    if mine.count >= policy.per_address_per_hour:
        raise RateLimited("Too many codes requested from this network; try again later.", _HOUR)
    if everyone.count >= policy.global_per_hour:
        raise RateLimited("Sign-in codes are paused for a moment; try again shortly.", 60)
    tight = (mine.count >= policy.proof_after_per_address
             or everyone.count * 100 >= policy.global_per_hour * policy.proof_above_global_percent)
    if tight and not (proof and verifier is not None and await verifier.verify(proof, phone, address, now)):
        raise BadUserInput("Complete the verification step, then ask for the code again.",
                           [FieldError("proof", "A verification proof is required (device nonce or captcha).")])


@dataclass(frozen=True)
class CodeSending:
    """How codes go out: the SMS gateway, the budgets, and the checker of verification proofs."""

    sender: CodeSender
    policy: LoginCodePolicy
    verifier: ProofVerifier | None = None


@dataclass(frozen=True)
class RequestLoginCode:
    """`address` is the caller's network address (per-address SMS budget); `proof` a verification proof."""

    phone: str
    address: str | None = None
    proof: str | None = None


async def request_login_code(cmd: RequestLoginCode, deps: Deps, sending: CodeSending) -> LoginCodeSent:
    uow, now = deps.uow, deps.clock.now()
    sender, policy, verifier = sending.sender, sending.policy, sending.verifier
    address, proof = cmd.address, cmd.proof
    phone = normalize_phone(cmd.phone)
    code = new_code()
    expires_at = now + timedelta(seconds=policy.ttl_seconds)
    check_textable(phone, policy.country_codes)
    await _check_budgets(uow, policy, phone, address, proof, verifier, now)
    async with uow:
        await uow.lock(f"login-code:{phone}")
        recent = await uow.login_codes.created_since(phone, now - timedelta(hours=1))
        check_send_rate(recent, now, policy)
        # Counted in the sending transaction (row-locked), so concurrent workers cannot overshoot.
        if (await uow.throttles.bump(_address_key(address), now, _HOUR)).count > policy.per_address_per_hour:
            raise RateLimited("Too many codes requested from this network; try again later.", _HOUR)
        if (await uow.throttles.bump(GLOBAL_SMS_KEY, now, _HOUR)).count > policy.global_per_hour:
            raise RateLimited("Sign-in codes are paused for a moment; try again shortly.", 60)
        await uow.login_codes.add(phone, hash_code(phone, code), now, expires_at)
        await uow.commit()
    # Sent only once the code is stored, so a code that reaches the phone always works.
    await sender.send_login_code(phone, code)
    return LoginCodeSent(phone, expires_at, now + timedelta(seconds=policy.resend_interval_seconds))


@dataclass(frozen=True)
class MemberLogin:
    """What checking a code and opening a session needs; `dev_code` is accepted for any phone (development)."""

    sessions: SessionIssuer
    policy: LoginCodePolicy
    dev_code: str | None = None


@dataclass(frozen=True)
class SignIn:
    """`invite_code` is used only when this sign-in creates the membership."""

    phone: str
    code: str
    invite_code: str | None = None


async def sign_in(cmd: SignIn, deps: Deps, login: MemberLogin) -> MemberSignIn:
    uow, now, today = deps.uow, deps.clock.now(), deps.clock.today()
    code, invite_code, policy, dev_code = cmd.code, cmd.invite_code, login.policy, login.dev_code
    phone = normalize_phone(cmd.phone)
    wrong = BadUserInput.for_field("code", "The code is wrong or has expired; request a new one.",
                                   key="wrong_login_code")
    async with uow:
        record = await uow.login_codes.latest_live(phone, now)
        accepted_dev_code = dev_code is not None and secrets.compare_digest(code.strip().encode(), dev_code.encode())
        if not accepted_dev_code:
            if record is None or not await uow.login_codes.claim_attempt(record.id, policy.max_attempts):
                raise wrong
            if not code_matches(record.code_hash, phone, code):
                # The attempt must stay counted even though the sign-in fails.
                await uow.commit()
                raise wrong
            if not await uow.login_codes.consume(record.id, now):
                raise wrong
        member, created = await uow.members.get_or_create(phone, new_member_code(), now)
        if not created and (kept := await uow.member_merges.merged_into(member.id)) is not None:
            # Staff merged this phone's member into another: it is the same person, who signs in there.
            member = await uow.members.get(kept) or member
        session = await login.sessions.open(uow, Role.MEMBER, member.id, now)
        if created:
            uow.publish_after_commit(MemberCreated(member.id))
            if invite_code:
                await link_referrer(uow, member, invite_code)
            settings = await load_settings(uow)
            await issue_by_setting(uow, settings.welcome_coupon_template_id,
                                   CouponGrant(member.id, IssueSource.WELCOME, f"welcome/{member.id}"), now)
        else:
            # Catch-up for members the daily job has not reached yet (or who edited a birthday into this month).
            await grant_birthday(uow, member.id, now, today, deps.clock.zone)
        await uow.commit()
    return MemberSignIn(member, session, created)
