"""GraphiQL works offline: the page loads its scripts and styles from this app only, the assets are
served, and the pre-filled documents (sign-in flow, home query) are valid against the schema."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from graphql import build_schema, parse, validate

from api.cli import export_schema_sdl
from api.graphiql import EXAMPLE_TABS
from tests.support.client import ApiClient

HTML = {"accept": "text/html"}


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"] or "")


async def test_graphiql_loads_only_same_origin_assets_and_they_are_served(api: ApiClient) -> None:
    page = await api.http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(page.text)
    assert len(parser.urls) >= 4
    for url in parser.urls:
        parts = urlparse(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), f"{url} is not same-origin"
    assert not re.search(r"https?://", page.text.replace("http://www.w3.org", "")), "no absolute URLs at all"
    scripts = [u for u in parser.urls if u.endswith(".js")]
    styles = [u for u in parser.urls if u.endswith(".css")]
    assert len(scripts) >= 3 and styles
    for url in scripts:
        r = await api.http.get(url)
        assert r.status_code == 200, url
        assert "javascript" in r.headers["content-type"], url
        assert len(r.content) > 1000
    for url in styles:
        r = await api.http.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/css"), url


async def test_root_points_to_graphiql(api: ApiClient) -> None:
    r = await api.http.get("/", headers=HTML)
    assert r.status_code in (302, 307) and r.headers["location"] == "/graphql"


async def test_no_ide_when_graphiql_is_off(make_client) -> None:
    api = make_client(graphiql=False)
    assert (await api.http.get("/", headers=HTML)).status_code == 404
    assert "/graphiql/assets" not in (await api.http.get("/graphql", headers=HTML)).text
    assert (await api.http.get("/graphiql/assets/graphiql.min.js")).status_code == 404


@pytest.mark.parametrize("tab", EXAMPLE_TABS, ids=lambda t: t["title"])
def test_prefilled_documents_are_valid(tab: dict[str, str]) -> None:
    schema = build_schema(export_schema_sdl())
    assert validate(schema, parse(tab["query"])) == []
