"""A real browser renders GraphiQL with no network beyond the app: every other host fails to resolve."""

from __future__ import annotations

import asyncio
import shutil
import tempfile

import pytest

from tests.support.client import ApiClient
from tests.support.live_server import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="scripts/test.sh installs chromium; run the suite through it")
async def test_graphiql_renders_offline_in_headless_chromium(api: ApiClient) -> None:
    seen: list[str] = []
    app = api.app

    async def recording(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            seen.append(f'{scope["method"]} {scope["path"]}')
        await app(scope, receive, send)

    async with served(recording) as address:  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as profile:
            proc = await asyncio.create_subprocess_exec(
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-extensions",
                "--disable-sync", "--no-first-run", "--no-default-browser-check", "--mute-audio",
                f"--user-data-dir={profile}",
                # Any host but the app's loopback address fails to resolve: the page must need nothing else.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=15000", "--dump-dom", f"http://{address}/graphql",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )
            dom, _ = await asyncio.wait_for(proc.communicate(), timeout=90)
    html = dom.decode()
    assert "Loading GraphiQL" not in html, "GraphiQL never rendered"
    assert "graphiql-container" in html and "RequestCode" in html, html[:2000]
    assert "GET /graphiql/assets/graphiql.min.js" in seen
    assert "POST /graphql" in seen, "GraphiQL fetched the schema from the app"
