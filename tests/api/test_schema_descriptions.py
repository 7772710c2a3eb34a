"""Every element of the SDL carries a description a front-end developer can act on."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from api.graphql_schema import build_schema

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed() -> list[str]:
    """Every type (scalars, unions and enums included), field, argument, input field and enum value
    of the schema the code builds, without a description; built-in scalars and introspection aside."""
    schema = build_schema()._schema
    missing: list[str] = []
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not (t.description or "").strip():
            missing.append(name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for fname, field in t.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{fname}")
                for aname, arg in field.args.items():
                    if not (arg.description or "").strip():
                        missing.append(f"{name}.{fname}({aname})")
        elif isinstance(t, GraphQLInputObjectType):
            for fname, field in t.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{fname}")
        elif isinstance(t, GraphQLEnumType):
            for vname, value in t.values.items():
                if not (value.description or "").strip():
                    missing.append(f"{name}.{vname}")
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = undescribed()
    assert not missing, f"{len(missing)} undescribed SDL elements, e.g. {missing[:20]}"
