"""Schema shapes an app team relies on: enums where a value is one of a fixed set, `Date` for days,
`ID` for ids, type names without a `Type` suffix, `from` before `to`."""

from __future__ import annotations

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
)

from api.cli import export_schema_sdl


@pytest.fixture(scope="module")
def sdl_schema():
    return build_schema(export_schema_sdl())


def _field_type(schema, type_name: str, field: str):
    owner = schema.get_type(type_name)
    assert isinstance(owner, GraphQLObjectType | GraphQLInputObjectType), type_name
    return get_named_type(owner.fields[field].type)


@pytest.mark.parametrize(("type_name", "field", "enum"), [
    ("SegmentFilterInput", "stages", "LifecycleStage"),
    ("IssueCouponsInput", "stages", "LifecycleStage"),
    ("Consent", "kind", "ConsentKind"),
    ("ConsentRecord", "kind", "ConsentKind"),
    ("SetConsentInput", "kind", "ConsentKind"),
    ("SessionPayload", "role", "Role"),
    ("EventSignup", "status", "SignupStatus"),
    ("PartnerTransaction", "kind", "PartnerTransactionKind"),
    ("StatementLine", "kind", "PartnerTransactionKind"),
    ("WebhookDelivery", "status", "WebhookDeliveryStatus"),
    ("PointsEntry", "sourceType", "PointsEntrySource"),
])
def test_closed_sets_are_enums(sdl_schema, type_name: str, field: str, enum: str) -> None:
    named = _field_type(sdl_schema, type_name, field)
    assert isinstance(named, GraphQLEnumType) and named.name == enum


def test_role_values_are_upper_case(sdl_schema) -> None:
    assert set(sdl_schema.get_type("Role").values) == {"MEMBER", "STAFF", "PARTNER"}


def test_arguments_that_name_a_fixed_set_are_enums(sdl_schema) -> None:
    mutation = sdl_schema.mutation_type
    assert get_named_type(mutation.fields["reportContent"].args["target"].type).name == "ReportTarget"
    query = sdl_schema.query_type
    assert get_named_type(query.fields["webhookDeliveries"].args["status"].type).name == "WebhookDeliveryStatus"


def test_days_are_dates_and_ids_are_ids(sdl_schema) -> None:
    day = _field_type(sdl_schema, "StatementLine", "day")
    assert isinstance(day, GraphQLScalarType) and day.name == "Date"
    for owner in ("ProgramSettings", "UpdateProgramSettingsInput"):
        for field in ("welcomeCouponTemplateId", "birthdayCouponTemplateId", "upgradeCouponTemplateId"):
            assert _field_type(sdl_schema, owner, field).name == "ID", (owner, field)


def test_no_type_suffixes(sdl_schema) -> None:
    suffixed = [name for name in sdl_schema.type_map if name.endswith("Type") and not name.startswith("__")]
    assert suffixed == []
    for name in ("Purchase", "Refund", "TierProgress"):
        assert sdl_schema.get_type(name) is not None


def test_ranges_read_from_then_to(sdl_schema) -> None:
    for root in (sdl_schema.query_type, sdl_schema.mutation_type):
        for name, field in root.fields.items():
            args = list(field.args)
            if "from" in args and "to" in args:
                assert args.index("from") < args.index("to"), name
