#!/usr/bin/env bash
# Runs every test file below the given folders (default: all of test/) in one node:test run, so the closing
# summary counts them all. The bundle is rebuilt first: end-to-end tests run the real `homegate` command.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find "${@:-test}" -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node scripts/build.mjs
exec node --import tsx --test --test-reporter=spec "${files[@]}"
