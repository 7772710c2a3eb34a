"""The operator dashboard at /dashboard: staff sign in (signInStaff), then read operatorKpis over a
period and see them as figures, charts over time (Chart.js, from static/dashboard/, installed from
the npm registry by scripts/dashboard_assets.sh) and tables by store, channel and tier.

The page is static; every figure comes from the GraphQL API with the staff token, so the page adds
no access rule of its own. The token lives in sessionStorage (gone with the tab). A token may also
arrive in the URL fragment (#token=...), which browsers never send to the server; the page moves it
to sessionStorage and removes it from the address bar (used by the headless-browser test)."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

log = logging.getLogger(__name__)

ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "dashboard"
ASSET_PATH = "/dashboard/assets"
CHART_SCRIPT = "chart.umd.js"

QUERY = """query Dashboard($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  from to timeZone daysRolledUp lastRolledAt firstMissingDay
  orders salesCents refundCents netSalesCents units averageOrderCents previousAverageOrderCents
  averageOrderChangeBp unitsPerOrderHundredths purchasingMembers purchaseFrequencyHundredths newMembers
  convertedMembers conversionRateBp pointsIssued pointsRedeemed redeemedToIssuedBp pointsOutstanding
  liabilityCents
  days { day orders salesCents averageOrderCents newMembers firstPurchases pointsIssued pointsRedeemed }
  stores { key orders salesCents refundCents averageOrderCents unitsPerOrderHundredths salesShareBp }
  channels { key orders salesCents salesShareBp }
  tiers { tier { name } sales { key orders salesCents averageOrderCents salesShareBp } }
  cohorts { month members netSpendCents valuePerMemberCents }
  coupons { templateName campaign issued redeemed useRateBp }
} }"""

PAGE = Path(__file__).with_name("dashboard.html")


def page_html() -> str:
    import json

    if not (ASSET_DIR / CHART_SCRIPT).is_file():
        log.warning("dashboard assets are missing from %s: run scripts/bootstrap.sh", ASSET_DIR)
    return (PAGE.read_text(encoding="utf-8").replace("__ASSETS__", ASSET_PATH).replace("__CHART__", CHART_SCRIPT)
            .replace("__QUERY__", json.dumps(QUERY).replace("</", "<\\/")))


def dashboard_routes() -> list[BaseRoute]:
    html = page_html()

    async def dashboard(request: Request) -> HTMLResponse:
        # The default period ends on the program's today (its time zone), which the browser cannot know:
        # in Shanghai before 08:00 the browser's UTC date is still yesterday.
        today = request.app.state.container.today().isoformat()
        # No caching of the page by shared caches; it holds no data, but a stale script would misread the API.
        return HTMLResponse(html.replace("__TODAY__", today), headers={"Cache-Control": "no-cache"})

    return [Route("/dashboard", dashboard, methods=["GET"]),
            Mount(ASSET_PATH, StaticFiles(directory=ASSET_DIR, check_dir=False), name="dashboard-assets")]
