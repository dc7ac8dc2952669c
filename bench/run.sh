#!/usr/bin/env bash
# `npm run bench`: builds the bundle (the gateway runs from it), raises the soft open-file limit to the hard one
# (2,000 tunnels hold ~8,000 sockets across the three processes), then runs the bench. Arguments go to the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 10000)); then
  echo "bench: the open-file limit is $(ulimit -n); 2,000 tunnels need about 10,000 (raise the hard limit)" >&2
fi
node scripts/build.mjs
exec node --import tsx bench/main.ts "$@"
