"""The operator dashboard in a real browser: it renders offline (every host but the app's fails to
resolve), draws its charts with the chart library the app serves, and shows the API's numbers."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import Clock
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


FULL_REPORT = """query($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  orders salesCents netSalesCents averageOrderCents averageOrderChangeBp unitsPerOrderHundredths
  purchaseFrequencyHundredths purchasingMembers newMembers conversionRateBp pointsIssued pointsRedeemed
  redeemedToIssuedBp pointsOutstanding liabilityCents
  stores { key orders salesCents refundCents averageOrderCents unitsPerOrderHundredths salesShareBp }
  tiers { tier { name } sales { key orders salesCents averageOrderCents salesShareBp } } } }"""


def table_rows(html: str, table: str) -> dict[str, dict[str, str]]:
    """{row key: {field: data-value}} of one of the page's tables."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S)
    assert body, f"no table {table}"
    return {key: {f: v for v, f in re.findall(r'<td data-value="([^"]*)" data-field="([^"]*)"', cells)}
            for key, cells in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', body.group(1), re.S)}


def as_shown(value: object) -> str:
    return "" if value is None else str(value)


@pytest.mark.skipif(CHROMIUM is None, reason="scripts/test.sh installs chromium; run the suite through it")
async def test_staff_sign_in_through_the_form_and_see_the_apis_figures(api: ApiClient) -> None:
    from domain.auth.staff import create_staff
    from domain.tiers.services import list_tiers
    from tests.api.test_operator_kpis import add_sales_detail
    from tests.support.activity_data import generate
    from tests.support.browser import browser_page

    await configure_program(api.container)
    ladder = sorted(await list_tiers(api.container.uow()), key=lambda t: t.rank)
    now = api.container.now()
    await generate(seed=7, now=now, zone=api.container.timezone, ladder=ladder, size=60).write(api.container.engine)
    await add_sales_detail(api, now, seed=7)
    today = api.container.today()
    await rollup_kpis(api.container.uow, api.container.clock, today - timedelta(days=120), today)
    await create_staff(api.container.uow(), "ops-lin", "a long staff password", "林 (运营)", now)
    staff = await staff_token(api)
    period = {"f": (today - timedelta(days=89)).isoformat(), "t": today.isoformat()}
    want = (await api.data(FULL_REPORT, period, staff))["operatorKpis"]
    assert want["orders"] > 20 and len(want["stores"]) >= 3 and len(want["tiers"]) >= 2  # the data is not trivial

    async with served(api.app) as address, browser_page() as page:
        await page.goto(f"http://{address}/dashboard?from={period['f']}&to={period['t']}")
        assert await page.evaluate("!document.getElementById('signin').hidden")
        await page.type_into("#username", "ops-lin")
        await page.type_into("#password", "a long staff password")
        await page.click("#signin button")
        await page.wait_for("['rendered', 'error'].includes(document.body.dataset.state)"
                            " || document.getElementById('signin-error').textContent")
        html = await page.html()
        assert await page.evaluate("document.body.dataset.state") == "rendered", html[:4000]
        assert await page.evaluate("[document.getElementById('from').value, document.getElementById('to').value]") \
            == [period["f"], period["t"]]

    for field, value in want.items():
        if field not in ("stores", "tiers"):
            assert shown(html, "kpi", field) == as_shown(value), field
    stores = table_rows(html, "stores")
    assert list(stores) == [s["key"] for s in want["stores"]]
    for store in want["stores"]:
        assert stores[store["key"]] == {f: as_shown(v) for f, v in store.items()}, store["key"]
    tiers = table_rows(html, "tiers")
    assert list(tiers) == [t["sales"]["key"] for t in want["tiers"]]
    for tier in want["tiers"]:
        row = {f: as_shown(v) for f, v in tier["sales"].items() if f != "key"}
        assert tiers[tier["sales"]["key"]] == {"name": tier["sales"]["key"], **row}
        assert f'data-key="{tier["sales"]["key"]}"><td data-value="{tier["sales"]["key"]}" data-field="name">' \
               f'{tier["tier"]["name"]}<' in html


@pytest.mark.skipif(CHROMIUM is None, reason="scripts/test.sh installs chromium; run the suite through it")
async def test_the_default_period_ends_on_the_programs_today(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between 00:00 and 08:00 in Shanghai the browser's UTC date is still yesterday: the page must open on
    the program's last 30 days (its time zone, its clock), not the browser's UTC date."""
    from tests.support.browser import browser_page

    await configure_program(api.container)
    staff = await staff_token(api)
    # The program's clock runs years ahead (tokens keep real time): only the program can name its today.
    program_clock = Clock(api.container.timezone, lambda: datetime.now(UTC) + timedelta(days=1500))
    monkeypatch.setattr(api.container, "clock", program_clock)
    today = program_clock.today()
    async with served(api.app) as address, browser_page() as page:
        await page.goto(f"http://{address}/dashboard#token={staff}")
        await page.wait_for("['rendered', 'error', 'signed-out'].includes(document.body.dataset.state)")
        assert await page.evaluate("document.body.dataset.state") == "rendered", \
            await page.evaluate("document.getElementById('report-error').textContent")
        assert await page.evaluate("[document.getElementById('from').value, document.getElementById('to').value]") \
            == [(today - timedelta(days=29)).isoformat(), today.isoformat()]


@pytest.mark.skipif(CHROMIUM is None, reason="scripts/test.sh installs chromium; run the suite through it")
async def test_a_stale_session_brings_back_the_sign_in_form(api: ApiClient) -> None:
    """A token that expired (or was revoked) while the tab stayed open: the page asks to sign in again
    instead of showing an error under a report nobody can reach."""
    from tests.support.browser import browser_page

    await configure_program(api.container)
    await staff_token(api, "ops-lin", "a long staff password")
    async with served(api.app) as address, browser_page() as page:
        await page.goto(f"http://{address}/dashboard#token=expired.or.revoked")
        await page.wait_for("document.body.dataset.state")
        assert await page.evaluate("document.body.dataset.state") == "signed-out"
        assert await page.evaluate("!document.getElementById('signin').hidden"
                                   " && document.getElementById('report').hidden")
        assert await page.evaluate("sessionStorage.getItem('staffToken')") is None
        assert await page.evaluate("document.getElementById('signin-error').textContent")
        await page.type_into("#username", "ops-lin")
        await page.type_into("#password", "a long staff password")
        await page.click("#signin button")
        await page.wait_for("document.body.dataset.state === 'rendered'")
