#!/usr/bin/env bash
# GraphiQL's browser assets, taken from the npm registry at install time into static/graphiql/
# (git-ignored) and served by the app itself: the IDE never loads anything from a CDN, so it works
# offline and where public CDNs are unreachable (mainland China). Pinned versions; npm checks
# each tarball's integrity against the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=static/graphiql
PACKAGES=(graphiql@3.9.0 react@18.3.1 react-dom@18.3.1)
stamp="$DEST/.installed-$(echo "${PACKAGES[*]}" | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing npm from Debian packages (for GraphiQL's assets)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "${PACKAGES[@]}" >/dev/null)
take() {  # take <tarball glob> <path inside the package>...
  local tarball=$1; shift
  mkdir -p "$work/x"
  for path in "$@"; do
    tar -xzf "$work"/$tarball -C "$work/x" "package/$path"
    mv "$work/x/package/$path" "$work/out/"
  done
}
mkdir -p "$work/out"
take 'graphiql-*.tgz' graphiql.min.js graphiql.min.css
take 'react-1*.tgz' umd/react.production.min.js
take 'react-dom-*.tgz' umd/react-dom.production.min.js
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$work/out" "$DEST"
touch "$stamp"
echo "GraphiQL assets in $DEST: ${PACKAGES[*]}" >&2
