#!/usr/bin/env bash
# `make conformance`: the official Socket.IO protocol test suite (socketio/socket.io-protocol,
# third-party, kept in ../shared/conformance and run from there) against our own Engine.IO /
# Socket.IO layer (`cryptotracker conformance`, on port 3000 as the suite expects).
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=${CONFORMANCE_SUITE:-../shared/conformance/socket.io-protocol/test-suite}
if [ ! -f "$SUITE/test-suite.js" ]; then
    echo "conformance: skipped ($SUITE is absent on this machine)"
    exit 0
fi
if [ ! -d "$SUITE/node_modules" ] || [ "$SUITE/package-lock.json" -nt "$SUITE/node_modules/.package-lock.json" ]; then
    (cd "$SUITE" && npm ci --no-audit --no-fund --loglevel=error)
fi
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
    echo "conformance: port 3000 is taken; the suite only talks to http://localhost:3000" >&2
    exit 1
fi
log=$(mktemp)
.venv/bin/cryptotracker conformance --host localhost --port 3000 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q "conformance server on" "$log" && break
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
status=0
(cd "$SUITE" && npx mocha --reporter dot test-suite.js) || status=$?
if [ $status -ne 0 ]; then
    echo "--- server log ---"; tail -50 "$log"
fi
exit $status
