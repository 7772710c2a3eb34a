"""How names look to clients: GraphQL (and the data export) spell fields in camelCase."""

from __future__ import annotations


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
