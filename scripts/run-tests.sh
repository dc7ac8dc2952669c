#!/usr/bin/env bash
# Runs every test file below the given folders (default: all of test/) in one node:test run, so the closing
# summary counts them all. The bundle is rebuilt first: end-to-end tests run the real `homegate` command.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find "${@:-test}" -name '*.test.ts' -not -path '*/node_modules/*' | sort)
node scripts/build.mjs
# A test stuck on a bug must fail, not hang CI: no test may take 5 minutes, and a file whose tests are done exits
# even if something it opened still holds the event loop.
exec node --import tsx --test --test-reporter=spec --test-timeout=300000 --test-force-exit "${files[@]}"
