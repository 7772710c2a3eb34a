"""GraphiQL served by the app: the page, its assets (static/graphiql/, installed from the npm
registry by scripts/graphiql_assets.sh) and the documents it opens with.

The page names only same-origin URLs, so the IDE works offline and where public CDNs are
blocked; the first tab walks through signing in, the second paints the home screen with the
token pasted into the headers editor.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
ASSET_PATH = "/graphiql/assets"
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
STYLES = ("graphiql.min.css",)

SIGN_IN_FLOW = """# 1. Ask for a login code (demo members: 13800138000, 13900139000, 13700137000).
#    In development the code is printed in the server log, or fixed with DEV_LOGIN_CODE.
mutation RequestCode {
  requestLoginCode(phone: "13800138000") { maskedPhone expiresAt resendAfter }
}

# 2. Sign in with it, then copy session.accessToken into the next tab's headers.
mutation SignIn {
  signIn(phone: "13800138000", code: "000000") {
    isNewMember
    member { id displayName }
    session { accessToken accessTokenExpiresAt refreshToken role }
  }
}
"""

HOME_QUERY = """# The member app's home screen, in one request. Needs the Authorization header
# (Headers tab below): {"Authorization": "Bearer <accessToken from signIn>"}
query Home {
  me {
    id
    displayName
    avatarUrl
    points { available pending total expiringSoon }
    tier {
      current { code name }
      next { code name }
      progress { amountInWindowCents spendToNextCents }
      expiresAt
    }
    checkIns { streak today }
    availableCouponsCount
  }
}
"""

EXAMPLE_TABS: list[dict[str, str]] = [
    {"title": "Sign in", "query": SIGN_IN_FLOW,
     "headers": json.dumps({"Accept-Language": "zh-CN"}, indent=2)},
    {"title": "Home", "query": HOME_QUERY,
     "headers": json.dumps({"Authorization": "Bearer PASTE_THE_ACCESS_TOKEN_FROM_SIGN_IN",
                            "Accept-Language": "zh-CN"}, indent=2)},
]


def _script_json(value: object) -> str:
    # Inside <script>: no "</" may close the element early.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def page_html() -> str:
    if not all((ASSET_DIR / name).is_file() for name in (*SCRIPTS, *STYLES)):
        log.warning("GraphiQL assets are missing from %s: run scripts/bootstrap.sh", ASSET_DIR)
    styles = "\n".join(f'    <link rel="stylesheet" href="{ASSET_PATH}/{name}">' for name in STYLES)
    scripts = "\n".join(f'    <script src="{ASSET_PATH}/{name}"></script>' for name in SCRIPTS)
    tabs = [{"query": t["query"], "headers": t["headers"]} for t in EXAMPLE_TABS]
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Loyalty GraphQL</title>
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
{styles}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL... (if this stays, run scripts/bootstrap.sh to install its assets)</div>
{scripts}
    <script>
      const fetcher = GraphiQL.createFetcher({{ url: "/graphql" }});
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher,
          defaultTabs: {_script_json(tabs)},
          defaultEditorToolsVisibility: "headers",
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: false,
        }}),
      );
    </script>
  </body>
</html>
"""
