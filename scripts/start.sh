#!/usr/bin/env bash
# Sets up the project and runs Homegate. Where Electron cannot start (a server, a container, this kind of CI
# machine) it runs the headless gateway: `homegate serve`. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

[ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund
npm run build --silent
exec node bin/homegate.js serve "$@"
