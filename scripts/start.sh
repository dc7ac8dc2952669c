#!/usr/bin/env bash
# Sets up the project and runs Homegate: the tray app where an Electron binary and a display are present, the
# headless gateway (`homegate serve`) otherwise — a server, a container, a CI machine. It prints one line saying
# which and why. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm ci never downloads the Electron binary; `node node_modules/electron/install.js` does, once.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

[ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --no-audit --no-fund
npm run build --silent

if electron="$(node scripts/electron-binary.mjs)"; then
  if [ "$(uname -s)" != Linux ] || [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "start.sh: starting the Homegate tray app (Electron binary and a display found: $electron)"
    exec "$electron" .
  fi
  echo "start.sh: starting the headless gateway (homegate serve): no display (DISPLAY and WAYLAND_DISPLAY are unset)"
else
  echo "start.sh: starting the headless gateway (homegate serve): $electron"
fi
exec node bin/homegate.js serve "$@"
