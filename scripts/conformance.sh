#!/usr/bin/env bash
# npm run conformance: runs the official MCP conformance suite against hostlens.
#
#   1-3. the test-only fixture catalogue (test/conformance/serve.ts, served by the
#        product's own HTTP app) on a free loopback port, three times:
#          0.1.16          --suite all                   expect 32 passed, 0 failed
#          0.2.0-alpha.12  --requirements 2025-11-25     expect 30 passed, 0 failed
#          0.2.0-alpha.12  --requirements 2026-07-28     expect 37 passed, 0 failed
#        (the wrapper prints scenarios it ran but that a revision does not score
#        as N/S, counted as skipped)
#   4.   the real product server (`hostlens serve`), dns-rebinding-protection only.
#
# Builds nothing: the fixtures run from source with tsx; the product runs from
# dist/ when it is at least as new as src/, else from source too.  Everything
# binds 127.0.0.1.  Exit 0 only when every run reports 0 failed.
#
# Environment:
#   CONFORMANCE_TOOL           wrapper script (default: ../shared/tools/conformance.sh
#                              beside the repository)
#   CONFORMANCE_OUT            keep logs and checks.json here (default: a mktemp dir)
#   CONFORMANCE_ONLY           comma list of runs to do: fixtures-0.1.16,
#                              fixtures-2025-11-25, fixtures-2026-07-28, product-dns
#   CONFORMANCE_START_TIMEOUT  seconds to wait for a server to come up (default 60)
#   MCP_CONFORMANCE_*          passed through to the wrapper (cache, timeout, ...)
# The product run drops inherited HOSTLENS_* variables so it serves its defaults
# (hostlens refuses unknown HOSTLENS_* names, and a token would turn on auth).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

TOOL=${CONFORMANCE_TOOL:-}
if [ -z "$TOOL" ]; then
  for candidate in "$ROOT/../shared/tools/conformance.sh" \
                   "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)/../shared/tools/conformance.sh"; do
    if [ -f "$candidate" ]; then TOOL=$candidate; break; fi
  done
fi
if [ -z "$TOOL" ] || [ ! -f "$TOOL" ]; then
  echo "conformance: wrapper ../shared/tools/conformance.sh not found (set CONFORMANCE_TOOL)" >&2
  exit 2
fi

BASELINE="$ROOT/test/conformance/baseline.yml"
OUT=${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/hostlens-conformance.XXXXXX")}
mkdir -p "$OUT" || exit 2
ONLY=${CONFORMANCE_ONLY:-}
START_TIMEOUT=${CONFORMANCE_START_TIMEOUT:-60}

# ------------------------------------------------------------- server lifecycle
PIDS=()

# stop_server PID: SIGTERM, wait up to 5 s, then SIGKILL; forget the PID.
stop_server() {
  local pid=$1 keep=() p
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_server "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for_url PID FILE PATTERN: prints the first http://127.0.0.1:PORT/mcp URL that
# shows up in FILE on a line matching PATTERN, while PID is alive (bounded).
wait_for_url() {
  local pid=$1 file=$2 pattern=$3 url deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    url=$(grep -E "$pattern" "$file" 2>/dev/null | grep -oE 'http://127\.0\.0\.1:[0-9]+/mcp' | head -n 1)
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# ready URL: the server answers HTTP (any status) on its /healthz. The URL is only
# printed once the socket listens, so without curl there is nothing more to check.
ready() {
  local code
  command -v curl >/dev/null || return 0
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "${1%/mcp}/healthz" 2>/dev/null) || true
  [ -n "$code" ] && [ "$code" != "000" ]
}

# --------------------------------------------------------------------- runs
NAMES=() RESULTS=() VERDICTS=()
TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0 ANY_FAILED=0

wanted() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# run_suite NAME URL [wrapper args...]  (MCP_CONFORMANCE_* set by the caller's env)
run_suite() {
  local name=$1 url=$2; shift 2
  local log="$OUT/$name.log" rc line passed failed skipped
  echo
  echo "=== conformance: $name ($url)"
  MCP_CONFORMANCE_OUT="$OUT/$name" bash "$TOOL" "$url" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    passed=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    failed=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    skipped=0
    [[ "$line" == *skipped ]] && skipped=$(sed -E 's/.*failed, ([0-9]+) skipped$/\1/' <<<"$line")
  else
    line="no result (wrapper exit $rc)"
    passed=0 failed=1 skipped=0
  fi
  record "$name" "$line" "$([ "$rc" = 0 ] && [ "$failed" = 0 ] && echo ok || echo FAILED)" "$passed" "$failed" "$skipped"
}

record() {
  NAMES+=("$1") RESULTS+=("$2") VERDICTS+=("$3")
  TOTAL_PASSED=$((TOTAL_PASSED + $4)) TOTAL_FAILED=$((TOTAL_FAILED + $5)) TOTAL_SKIPPED=$((TOTAL_SKIPPED + $6))
  [ "$3" = ok ] || ANY_FAILED=1
}

# ---------------------------------------------------- 1-3: fixture catalogue
if wanted fixtures-0.1.16 || wanted fixtures-2025-11-25 || wanted fixtures-2026-07-28; then
  FIXTURE_LOG="$OUT/fixture-server.log"
  node --import tsx test/conformance/serve.ts --port 0 >"$OUT/fixture-server.url" 2>"$FIXTURE_LOG" &
  FIXTURE_PID=$!
  PIDS+=("$FIXTURE_PID")
  if FIXTURE_URL=$(wait_for_url "$FIXTURE_PID" "$OUT/fixture-server.url" '^http://') && ready "$FIXTURE_URL"; then
    echo "conformance: fixture server $FIXTURE_URL (pid $FIXTURE_PID)"
    if wanted fixtures-0.1.16; then
      MCP_CONFORMANCE_VERSION=0.1.16 MCP_CONFORMANCE_SUITE=all MCP_CONFORMANCE_REQUIREMENTS='' MCP_CONFORMANCE_BASELINE='' \
        run_suite fixtures-0.1.16 "$FIXTURE_URL"
    fi
    if wanted fixtures-2025-11-25; then
      MCP_CONFORMANCE_VERSION=0.2.0-alpha.12 MCP_CONFORMANCE_REQUIREMENTS=2025-11-25 MCP_CONFORMANCE_BASELINE="$BASELINE" \
        run_suite fixtures-2025-11-25 "$FIXTURE_URL"
    fi
    if wanted fixtures-2026-07-28; then
      MCP_CONFORMANCE_VERSION=0.2.0-alpha.12 MCP_CONFORMANCE_REQUIREMENTS=2026-07-28 MCP_CONFORMANCE_BASELINE="$BASELINE" \
        run_suite fixtures-2026-07-28 "$FIXTURE_URL"
    fi
  else
    echo "conformance: the fixture server did not come up; its log:" >&2
    tail -n 30 "$FIXTURE_LOG" >&2
    for run in fixtures-0.1.16 fixtures-2025-11-25 fixtures-2026-07-28; do
      wanted "$run" && record "$run" "fixture server did not start" FAILED 0 1 0
    done
  fi
  stop_server "$FIXTURE_PID"
fi

# ------------------------------------- 4: the real product, DNS rebinding only
if wanted product-dns; then
  if [ -f dist/app/cli.js ] && [ -z "$(find src -newer dist/app/cli.js -name '*.ts' -print -quit 2>/dev/null)" ]; then
    PRODUCT=(node dist/app/cli.js)
  else
    echo "conformance: dist/ missing or older than src/, running the product from source" >&2
    PRODUCT=(node --import tsx src/app/cli.ts)
  fi
  PRODUCT_LOG="$OUT/product-server.log"
  UNSET=()
  while IFS= read -r var; do UNSET+=(-u "$var"); done < <(compgen -e | grep '^HOSTLENS_')
  env "${UNSET[@]}" "${PRODUCT[@]}" serve --host 127.0.0.1 --port 0 --log-level info \
    </dev/null >"$OUT/product-server.stdout" 2>"$PRODUCT_LOG" &
  PRODUCT_PID=$!
  PIDS+=("$PRODUCT_PID")
  if PRODUCT_URL=$(wait_for_url "$PRODUCT_PID" "$PRODUCT_LOG" '"msg":"listening"') && ready "$PRODUCT_URL"; then
    echo "conformance: hostlens serve $PRODUCT_URL (pid $PRODUCT_PID)"
    MCP_CONFORMANCE_VERSION=0.2.0-alpha.12 MCP_CONFORMANCE_REQUIREMENTS='' MCP_CONFORMANCE_BASELINE='' \
      run_suite product-dns "$PRODUCT_URL" --scenario dns-rebinding-protection
  else
    echo "conformance: hostlens serve did not come up; its log:" >&2
    tail -n 30 "$PRODUCT_LOG" >&2
    record product-dns "hostlens serve did not start" FAILED 0 1 0
  fi
  stop_server "$PRODUCT_PID"
fi

# ------------------------------------------------------------------ summary
echo
echo "=== conformance summary (logs and checks.json: $OUT)"
printf '%-22s %-8s %s\n' RUN VERDICT RESULT
for i in "${!NAMES[@]}"; do
  printf '%-22s %-8s %s\n' "${NAMES[$i]}" "${VERDICTS[$i]}" "${RESULTS[$i]}"
done
[ ${#NAMES[@]} -gt 0 ] || { echo "conformance: no run selected (CONFORMANCE_ONLY=$ONLY)" >&2; exit 2; }
summary="conformance: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_SKIPPED" -gt 0 ] && summary+=", $TOTAL_SKIPPED skipped"
echo "$summary"
exit "$ANY_FAILED"
