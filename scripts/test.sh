#!/usr/bin/env bash
# Sets up a fresh machine and runs every check and test: system packages for the end-to-end tests, npm packages,
# build, type-check, lint, then the whole test suite. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

bash scripts/setup-system.sh
npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npm test
