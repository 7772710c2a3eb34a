"""schema.graphql at the repo root is what clients generate code from; it must match the code."""

from __future__ import annotations

from api.cli import SCHEMA_FILE, export_schema_sdl


def test_exported_sdl_matches_the_schema_the_code_builds() -> None:
    assert SCHEMA_FILE.read_text() == export_schema_sdl(), "run: python -m api.cli export-schema"
