"""The webhook catalogue's tables agree with each other."""

from __future__ import annotations

from domain.benefits.model import RedemptionStatus
from domain.points.model import EntryKind
from domain.webhooks.catalogue import _POINTS_TYPE, _REDEMPTION_TYPE, EVENT_TYPES, PARTNER_FIELDS
from domain.webhooks.services import EVENT_TYPES as SUBSCRIBABLE


def test_every_catalogued_type_is_subscribable_and_partner_views_name_only_catalogued_fields() -> None:
    assert set(SUBSCRIBABLE) == set(EVENT_TYPES)
    assert set(PARTNER_FIELDS) == set(EVENT_TYPES) - {"member.erased"}
    for event_type, fields in PARTNER_FIELDS.items():
        documented = {f.split(" ")[0] for f in EVENT_TYPES[event_type].split(", ")}
        assert fields <= documented, (event_type, fields - documented)
        assert "memberId" not in fields and "memberCode" not in fields and "phone" not in fields


def test_every_ledger_kind_and_voucher_state_has_a_webhook_type() -> None:
    assert set(_POINTS_TYPE) == {k.value for k in EntryKind}
    assert set(_POINTS_TYPE.values()) <= set(EVENT_TYPES) and set(_REDEMPTION_TYPE.values()) <= set(EVENT_TYPES)
    assert set(_REDEMPTION_TYPE) <= {s.value for s in RedemptionStatus}
