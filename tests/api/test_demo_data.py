"""The demo data `scripts/serve.sh` loads paints every member screen: points to spend, rewards they
can redeem, coupons of each kind, a feed with comments, a tier-limited group, an upcoming event."""

from __future__ import annotations

from api.demo import DEMO_MEMBERS, seed_demo
from tests.support.client import ApiClient

SCREENS = """{
  me { points { available } coupons(first: 20) { nodes { kind } } }
  rewards(affordableNow: true, first: 20) { edges { node { id eligibleForMe } } }
  feed(first: 10) { edges { node { body comments(first: 5) { totalCount } } } }
  groups { name minTierRank openToMe }
  upcomingEvents { title seatsLeft capacity }
}"""


async def test_every_demo_member_has_something_on_every_screen(api: ApiClient) -> None:
    await seed_demo(api.container)
    await seed_demo(api.container)  # idempotent: a restart does not double anything
    kinds_seen: set[str] = set()
    for phone, *_ in DEMO_MEMBERS:
        session = await api.sign_in(phone.removeprefix("+86"))
        screens = await api.data(SCREENS, token=session.access_token)
        me = screens["me"]
        assert me["points"]["available"] > 0, f"{phone} has points to spend"
        assert any(e["node"]["eligibleForMe"] for e in screens["rewards"]["edges"]), f"{phone} can redeem something"
        kinds_seen |= {c["kind"] for c in me["coupons"]["nodes"]}
        posts = screens["feed"]["edges"]
        assert len(posts) >= 3 and any(p["node"]["comments"]["totalCount"] > 0 for p in posts)
        assert any(g["minTierRank"] > 0 for g in screens["groups"]), "a tier-limited group"
        events = screens["upcomingEvents"]
        assert events and events[0]["seatsLeft"] < events[0]["capacity"], "an upcoming event with sign-ups"
    assert kinds_seen == {"CASH_OFF", "PERCENT_OFF", "SPEND_AND_SAVE", "BUY_ONE_GET_ONE", "FREE_ITEM"}
