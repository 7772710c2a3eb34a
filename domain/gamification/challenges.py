"""Challenges ("buy 3 times this month", "check in 7 days"): progress is read from the purchases and
check-ins themselves, never kept in a counter that could drift; the reward is claimed once
(the ledger's idempotency key makes a second claim, even a concurrent one, pay nothing)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from domain.auth.viewer import Role
from domain.benefits.errors import NotEligible
from domain.clock import Clock
from domain.deps import Deps
from domain.errors import BadUserInput, FieldError, NotFound
from domain.gamification.model import Challenge, ChallengeGoal, ChallengeProgress, ProgressWindow
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.program.services import load_settings

MAX_CURRENT = 50
CLAIM_GRACE = timedelta(days=7)  # a member who completed a challenge may still claim it this long after it ends
SOURCE = "challenge"


def _check(challenge: Challenge) -> Challenge:
    challenge = replace(challenge, name=challenge.name.strip(), description=challenge.description.strip())
    errors = []
    if not 1 <= len(challenge.name) <= 60:
        errors.append(FieldError("name", "Give a name of 1 to 60 characters."))
    if len(challenge.description) > 300:
        errors.append(FieldError("description", "Keep the description to 300 characters."))
    if not 1 <= challenge.target <= 100_000_000:
        errors.append(FieldError("target", "Give a target of 1 to 100,000,000."))
    if not 1 <= challenge.reward_points <= 1_000_000:
        errors.append(FieldError("rewardPoints", "Give a reward of 1 to 1,000,000 points."))
    if challenge.ends_at <= challenge.starts_at:
        errors.append(FieldError("endsAt", "The challenge must end after it starts."))
    if errors:
        raise BadUserInput("The challenge is invalid.", errors)
    return challenge


def window(challenge: Challenge, clock: Clock) -> ProgressWindow:
    """The end is exclusive: a challenge ending at local midnight does not count that day's check-in."""
    return ProgressWindow(challenge.id, challenge.goal, challenge.starts_at, challenge.ends_at,
                          clock.day_of(challenge.starts_at),
                          clock.day_of(challenge.ends_at - timedelta(microseconds=1)))


async def save_challenge(challenge: Challenge, deps: Deps) -> Challenge:
    """Staff create (id 0) or change a challenge; audited."""
    staff_id = deps.viewer.require_staff()
    challenge = _check(challenge)
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        if challenge.id and await uow.games.challenge(challenge.id) is None:
            raise NotFound("No such challenge.")
        saved = await uow.games.save_challenge(challenge, now)
        await uow.audit.record(Role.STAFF, staff_id, "challenge.saved", f"challenge:{saved.id}",
                               {"goal": saved.goal.value, "target": saved.target, "points": saved.reward_points}, now)
        await uow.commit()
    return saved


async def member_challenges(member_id: int, deps: Deps) -> list[ChallengeProgress]:
    """The challenges running now and those ended in the last 7 days (a member can still claim what
    they completed), with progress: three statements however many challenges run."""
    deps.viewer.require_self_or_staff(member_id)
    uow, now = deps.uow, deps.clock.now()
    async with uow.read_only():
        found = await uow.games.challenges_between(now, MAX_CURRENT)
        progress = await uow.games.progress(member_id, [window(c, deps.clock) for c in found])
        claimed = await uow.games.claimed(member_id, [c.id for c in found])
    return [ChallengeProgress(c, progress.get(c.id, 0), c.id in claimed) for c in found]


@dataclass(frozen=True)
class ClaimReward:
    challenge_id: int


async def claim_challenge_reward(cmd: ClaimReward, deps: Deps) -> ChallengeProgress:
    """A completed challenge pays its points once; claiming again returns the same state."""
    member_id = deps.viewer.require_member()
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        challenge = await uow.games.challenge(cmd.challenge_id)
        if challenge is None or challenge.starts_at > now:
            raise NotFound("No such challenge.")
        if now >= challenge.ends_at + CLAIM_GRACE:
            raise NotEligible("This challenge's rewards could be claimed until 7 days after it ended.",
                              key="challenge_over")
        await uow.points.lock_account(member_id, now)  # a double tap waits here, then finds the entry
        key = f"challenge/{challenge.id}/{member_id}"
        if await uow.points.entry_by_key(SOURCE, key) is not None:
            return ChallengeProgress(challenge, await _progress_of(deps, member_id, challenge), True)
        progress = await _progress_of(deps, member_id, challenge)
        if progress < challenge.target:
            raise NotEligible(f"Not complete yet: {progress} of {challenge.target}.", key="challenge_incomplete",
                              progress=progress, target=challenge.target)
        settings = await load_settings(uow)
        await credit(uow, NewEntry(member_id, EntryKind.EARN, challenge.reward_points,
                                   f"Challenge completed: {challenge.name}", SOURCE, str(challenge.id), key),
                     now, now, lot_expiry(now, settings, deps.clock.zone))
        await uow.commit()
    return ChallengeProgress(challenge, progress, True)


async def _progress_of(deps: Deps, member_id: int, challenge: Challenge) -> int:
    return (await deps.uow.games.progress(member_id, [window(challenge, deps.clock)])).get(challenge.id, 0)


__all__ = ["CLAIM_GRACE", "ChallengeGoal", "ClaimReward", "claim_challenge_reward", "member_challenges",
           "save_challenge"]
