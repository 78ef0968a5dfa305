#!/usr/bin/env bash
# Smoke test of a running tracker (the CI workflow's image, or any instance):
#   deploy/smoke.sh http://127.0.0.1:8000 [timeout seconds, default 60]
# Passes when /health/ready answers 200 and /api/prices holds prices, each within the timeout;
# one line per step, the last answer printed when a step times out.
set -euo pipefail
url=${1:?usage: smoke.sh URL [TIMEOUT_S]}
timeout_s=${2:-60}

wait_for() {  # what, command...: retry every 0.5 s until it succeeds or the time is up
    local what=$1 deadline=$((SECONDS + timeout_s))
    shift
    until answer=$("$@" 2>&1); do
        if ((SECONDS >= deadline)); then
            echo "smoke: FAILED after ${timeout_s}s: ${what}; last answer: ${answer}" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "smoke: ok: ${what}: ${answer:0:160}"
}

has_prices() {
    local body
    body=$(curl -fsS --max-time 5 "$url/api/prices")
    grep -q '"symbol"' <<<"$body" && echo "$body"
}

wait_for "GET /health/ready is 200" curl -fsS --max-time 5 "$url/health/ready"
wait_for "GET /api/prices has prices" has_prices
