"""The operator dashboard in a real browser: it renders offline (every host but the app's fails to
resolve), draws its charts with the chart library the app serves, and shows the API's numbers."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from datetime import timedelta

import pytest

from domain.kpis.rollups import rollup_kpis
from tests.support.client import ApiClient
from tests.support.live_server import served
from tests.support.program import configure_program
from tests.support.roles import staff_token

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PURCHASE = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"
REPORT = """query($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  orders salesCents averageOrderCents unitsPerOrderHundredths newMembers conversionRateBp pointsIssued
  liabilityCents stores { key orders salesCents } tiers { sales { key salesCents } } } }"""


async def dump(address: str, url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",  # type: ignore[arg-type]
            "--disable-background-networking", "--disable-component-update", "--disable-extensions",
            "--disable-sync", "--no-first-run", "--no-default-browser-check", "--mute-audio",
            f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000", "--dump-dom", f"http://{address}{url}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
        dom, _ = await asyncio.wait_for(proc.communicate(), timeout=90)
    return dom.decode()


def shown(html: str, attribute: str, name: str) -> str:
    found = re.search(rf'data-{attribute}="{re.escape(name)}"[^>]*data-value="([^"]*)"'
                      rf'|data-value="([^"]*)"[^>]*data-{attribute}="{re.escape(name)}"', html)
    assert found, f"{name} is not on the page"
    return found.group(1) if found.group(1) is not None else found.group(2)


def row_value(html: str, key: str, field: str) -> str:
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, f"no row {key}"
    return shown(row.group(1), "field", field)


@pytest.mark.skipif(CHROMIUM is None, reason="scripts/test.sh installs chromium; run the suite through it")
async def test_the_dashboard_shows_the_numbers_the_api_gives(api: ApiClient) -> None:
    await configure_program(api.container)
    await api.sign_in("13800138000")
    staff = await staff_token(api)
    for n, (store, channel, cents, quantity) in enumerate([("SH-01", "POS", 38_800, 2), ("SH-01", "APP", 12_000, 1),
                                                           ("BJ-02", "MINI_PROGRAM", 99_900, 3)]):
        await api.data(PURCHASE, {"i": {"member": {"phone": "13800138000"}, "orderId": f"D-{n}", "storeId": store,
                                        "amountCents": cents, "channel": channel,
                                        "items": [{"category": "beauty", "amountCents": cents, "quantity": quantity}]}},
                       staff)
    today = api.container.today()
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=1), today)
    period = {"f": (today - timedelta(days=6)).isoformat(), "t": today.isoformat()}
    expected = (await api.data(REPORT, period, staff))["operatorKpis"]
    assert expected["orders"] == 3

    seen: list[str] = []
    app = api.app

    async def recording(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            seen.append(f'{scope["method"]} {scope["path"]}')
        await app(scope, receive, send)

    async with served(recording) as address:  # type: ignore[arg-type]
        signed_out = await dump(address, "/dashboard")
        html = await dump(address, f"/dashboard?from={period['f']}&to={period['t']}#token={staff}")
    assert 'id="signin"' in signed_out and 'data-state="rendered"' not in signed_out
    assert 'data-state="rendered"' in html, html[:3000]
    assert "GET /dashboard/assets/chart.umd.js" in seen
    for field in ("orders", "salesCents", "averageOrderCents", "unitsPerOrderHundredths", "newMembers",
                  "conversionRateBp", "pointsIssued", "liabilityCents"):
        value = expected[field]
        assert shown(html, "kpi", field) == ("" if value is None else str(value)), field
    assert shown(html, "kpi", "salesCents") == "150700" and "¥1,507.00" in html
    for store in expected["stores"]:
        assert row_value(html, store["key"], "salesCents") == str(store["salesCents"])
        assert row_value(html, store["key"], "orders") == str(store["orders"])
    for tier in expected["tiers"]:
        assert row_value(html, tier["sales"]["key"], "salesCents") == str(tier["sales"]["salesCents"])
    # Chart.js drew on the canvases (it sizes each one it renders).
    assert len(re.findall(r'<canvas id="[a-z-]+-chart"[^>]*style="[^"]*box-sizing', html)) == 4
