#!/usr/bin/env bash
# The operator dashboard's chart library, taken from the npm registry at install time into
# static/dashboard/ (git-ignored) and served by the app, like GraphiQL's assets
# (scripts/graphiql_assets.sh): the page loads nothing from a CDN. Pinned; npm checks the
# tarball's integrity against the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=static/dashboard
PACKAGE=chart.js@4.5.1
stamp="$DEST/.installed-$(echo "$PACKAGE" | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null 2>&1 || bash scripts/graphiql_assets.sh  # installs npm when missing
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
mkdir -p "$work/x" "$work/out"
tar -xzf "$work"/chart.js-*.tgz -C "$work/x" package/dist/chart.umd.js
mv "$work/x/package/dist/chart.umd.js" "$work/out/chart.umd.js"
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$work/out" "$DEST"
touch "$stamp"
echo "dashboard assets in $DEST: $PACKAGE" >&2
