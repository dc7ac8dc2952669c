#!/usr/bin/env bash
# Runs every test file (unit, integration and end-to-end) in one node:test run, so the closing summary counts all.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node scripts/build.mjs
exec node --import tsx --test --test-reporter=spec "${files[@]}"
