#!/usr/bin/env bash
# Usage: scripts/test-node-lines.sh [MAJOR...]   (default: 22 24 26)
# Runs the jest suites on other Node.js LTS lines, each with a better-sqlite3 addon built for
# it (scripts/node-line.sh). The addon in node_modules is swapped for each line and the
# machine's own is put back at the end: run nothing else from this tree meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=("$@")
if [ ${#lines[@]} -eq 0 ]; then lines=(22 24 26); fi
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node

for major in "${lines[@]}"; do
  scripts/node-line.sh "$major" >/dev/null
done

own=$(mktemp)
cp "$addon" "$own"
trap 'cp "$own" "$addon"; rm -f "$own"' EXIT

for major in "${lines[@]}"; do
  { read -r node; read -r built; } < <(scripts/node-line.sh "$major")
  cp "$built" "$addon"
  echo "== jest on Node $("$node" --version)"
  "$node" --experimental-vm-modules node_modules/jest/bin/jest.js
done
