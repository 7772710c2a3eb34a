"""One list of error codes: every code the code base can send is in ErrorCode, in the SDL, and in
the message catalogue in every language."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from graphql import GraphQLEnumType
from graphql import build_schema as build_schema_from_sdl

import domain
from api.cli import export_schema_sdl
from domain.error_codes import ErrorCode
from domain.errors import DomainError
from domain.messages import LANGUAGES, MESSAGES

ROOT = Path(__file__).resolve().parents[2]
# `code = "X"`, `"code": "X"`, `code=ErrorCode.X` / `ErrorCode.X` anywhere in the served code.
LITERAL = re.compile(r"""(?:\bcode\s*=\s*|["']code["']\s*:\s*)["']([A-Z][A-Z_]+)["']""")
MEMBER = re.compile(r"\bErrorCode\.([A-Z][A-Z_]+)")


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_domain_error_class_has_a_listed_code() -> None:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    classes = _subclasses(DomainError) | {DomainError}
    assert len(classes) > 15
    missing = {c.__qualname__: c.code for c in classes if c.code not in ErrorCode.__members__}
    assert not missing


def test_every_code_written_in_the_source_is_listed() -> None:
    seen: dict[str, str] = {}
    for folder in ("api", "schema", "domain"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for code in LITERAL.findall(text) + MEMBER.findall(text):
                seen.setdefault(code, str(path.relative_to(ROOT)))
    assert {"UNAUTHENTICATED", "BAD_REQUEST", "GRAPHQL_PARSE_FAILED"} <= set(seen)
    assert {code: where for code, where in seen.items() if code not in ErrorCode.__members__} == {}


def test_the_sdl_lists_every_code_with_a_description() -> None:
    enum = build_schema_from_sdl(export_schema_sdl()).get_type("ErrorCode")
    assert isinstance(enum, GraphQLEnumType), "ErrorCode is not in the SDL"
    assert set(enum.values) == set(ErrorCode.__members__)
    assert all((value.description or "").strip() for value in enum.values.values())


def test_every_code_has_a_message_in_every_language() -> None:
    for code in ErrorCode:
        assert code in MESSAGES, code
    for key, entry in MESSAGES.items():
        assert key.split(".")[0] in ErrorCode.__members__, key
        for language in LANGUAGES:
            assert entry.get(language, "").strip(), (key, language)
