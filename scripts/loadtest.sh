#!/usr/bin/env bash
# Measures Domvia against sockudo under the same load in one session and prints the
# ratios the gateway is held to (docs/loadtest.md explains how to read them).
#
#   scripts/loadtest.sh               the comparison: fan-out as fast as possible, fan-out
#                                     at a fixed rate, idle connections; each server in turn
#                                     (domvia, sockudo, domvia, sockudo, …), a fresh server
#                                     process for every run
#   scripts/loadtest.sh --smoke       a few seconds against Domvia only, 50 subscribers and
#                                     200 idle connections; exits 1 on any loss or error
#
# Options: --rounds N (2), --subscribers N (1000), --duration S (10), --rate R (rate of the
# throughput run, 0 = max), --latency-rate R (events/s of the latency run, 20; 0 skips it),
# --payload B (100), --inflight N (16), --idle N (10000), --hold S (10),
# --servers "domvia sockudo", --out DIR, --debug (debug builds: for the CI smoke only, never
# for figures).
# Environment: CARGO_TARGET_DIR, SOCKUDO_BIN (a sockudo binary to use), SOCKUDO_ROOT
# (where to `cargo install` it when missing), SOCKUDO_VERSION (5.2.0), DOMVIA_PORT (6101),
# SOCKUDO_PORT (6102).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
profile=release
rounds=2
subscribers=1000
duration=10
rate=0
latency_rate=20
payload=100
inflight=16
idle=10000
hold=10
servers="domvia sockudo"
out=""
servers_given=0
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 ;;
    --debug) profile=debug ;;
    --rounds) rounds=$2; shift ;;
    --subscribers) subscribers=$2; shift ;;
    --duration) duration=$2; shift ;;
    --rate) rate=$2; shift ;;
    --latency-rate) latency_rate=$2; shift ;;
    --payload) payload=$2; shift ;;
    --inflight) inflight=$2; shift ;;
    --idle) idle=$2; shift ;;
    --hold) hold=$2; shift ;;
    --servers) servers=$2; servers_given=1; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "loadtest.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$smoke" = 1 ]; then
  rounds=1 subscribers=50 duration=3 rate=500 latency_rate=0 idle=200 hold=2
  [ "$servers_given" = 1 ] || servers="domvia"
fi

target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/$profile
out=${out:-$target_dir/loadtest/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
results=$out/results.jsonl
: >"$results"

# The same app on both servers.
app_id=loadtest
app_key=loadtest-key
app_secret=loadtest-secret
domvia_port=${DOMVIA_PORT:-6101}
sockudo_port=${SOCKUDO_PORT:-6102}

step() { printf '\n==> %s\n' "$*" >&2; }

# Each idle connection is a descriptor in the harness and one in the server (children
# inherit this limit). Raise the soft limit to the hard one, and the hard one if we may.
need=$((idle + 4096))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
  ulimit -Hn "$need" 2>/dev/null || {
    echo "loadtest.sh: open-file hard limit $(ulimit -Hn) < $need; raise it or use --idle" >&2
    exit 2
  }
fi
ulimit -n "$(ulimit -Hn)"

step "build ($profile): domvia, domvia-loadtest"
if [ "$profile" = release ]; then
  cargo build --release --locked -p domvia-cli -p domvia-loadtest
else
  cargo build --locked -p domvia-cli -p domvia-loadtest
fi

if ! "$bin/domvia" serve --help >/dev/null 2>&1; then
  echo "loadtest.sh: this build's domvia has no 'serve' command yet; skipping domvia" >&2
  servers=${servers//domvia/}
  if [ "$smoke" = 1 ]; then exit 1; fi
fi

sockudo=${SOCKUDO_BIN:-}
if [[ " $servers " == *" sockudo "* ]] && [ -z "$sockudo" ]; then
  sockudo_root=${SOCKUDO_ROOT:-$target_dir/sockudo-root}
  sockudo=$sockudo_root/bin/sockudo
  if [ ! -x "$sockudo" ]; then
    step "install sockudo ${SOCKUDO_VERSION:-5.2.0} into $sockudo_root (once; several minutes)"
    # sockudo's metrics exporter compiles protobuf definitions at build time.
    if ! command -v protoc >/dev/null 2>&1; then
      step "installing protoc (Debian's protobuf-compiler), which building sockudo needs"
      apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
    fi
    cargo install sockudo --version "${SOCKUDO_VERSION:-5.2.0}" --locked --root "$sockudo_root"
  fi
fi
# sockudo reads config/config.json from its working directory: give it an empty one.
sockudo_dir=$out/sockudo-cwd
mkdir -p "$sockudo_dir"

server_pid=""
server_port=""
cleanup() { stop_server; }
trap cleanup EXIT

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# Starts $1 in the background: sets server_pid and server_port.
start_server() {
  case $1 in
    domvia)
      server_port=$domvia_port
      DOMVIA_APP_ID=$app_id DOMVIA_APP_KEY=$app_key DOMVIA_APP_SECRET=$app_secret \
        RUST_LOG=warn "$bin/domvia" serve --port "$server_port" >>"$out/domvia.log" 2>&1 &
      ;;
    sockudo)
      server_port=$sockudo_port
      # Defaults that would throttle or skew the benchmark (docs/loadtest.md):
      # the rate limiter (100 API requests and 20 WebSocket connects per minute per IP),
      # the default app's 100-connection cap and 100 backend events/s, Prometheus metrics.
      (cd "$sockudo_dir" && exec env \
        HOST=127.0.0.1 PORT="$server_port" RUST_LOG=warn \
        SOCKUDO_DEFAULT_APP_ID=$app_id SOCKUDO_DEFAULT_APP_KEY=$app_key \
        SOCKUDO_DEFAULT_APP_SECRET=$app_secret \
        SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=0 \
        SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=1000000 \
        RATE_LIMITER_ENABLED=false METRICS_ENABLED=false \
        "$sockudo") >>"$out/sockudo.log" 2>&1 &
      ;;
    *) echo "loadtest.sh: unknown server $1" >&2; exit 2 ;;
  esac
  server_pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "loadtest.sh: $1 exited at start; see $out/$1.log" >&2
      server_pid=""
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$server_port") 2>/dev/null; then
      sleep 0.5 # let it finish starting before its RSS is read
      return 0
    fi
    sleep 0.1
  done
  echo "loadtest.sh: $1 is not listening on $server_port after 30 s" >&2
  return 1
}

strict=()
[ "$smoke" = 1 ] && strict=(--strict)
failed=0

# Runs scenario $2 (fanout, idle) against a fresh $1, appending its JSON line to the
# results; $3 is the fan-out's publish rate.
run() {
  local server=$1 scenario=$2 run_rate=${3:-0} status=0
  step "$scenario against $server${3:+ (rate $3)}"
  start_server "$server" || { failed=1; return; }
  local common=(--url "ws://127.0.0.1:$server_port" --key "$app_key" --label "$server"
    --server-pid "$server_pid" --json "${strict[@]}")
  case $scenario in
    fanout)
      "$bin/domvia-loadtest" fanout "${common[@]}" --http "http://127.0.0.1:$server_port" \
        --app-id "$app_id" --secret "$app_secret" --subscribers "$subscribers" \
        --rate "$run_rate" --duration "$duration" --payload "$payload" --inflight "$inflight" \
        >"$out/run.txt" || status=$?
      ;;
    idle)
      "$bin/domvia-loadtest" idle "${common[@]}" --connections "$idle" --hold "$hold" \
        >"$out/run.txt" || status=$?
      ;;
  esac
  grep -v '^{' "$out/run.txt" | tee -a "$out/report.txt"
  grep '^{' "$out/run.txt" >>"$results" || true
  stop_server
  if [ "$status" != 0 ]; then
    echo "loadtest.sh: $scenario against $server exited $status" >&2
    failed=1
  fi
}

scenarios=("fanout $rate")
[ "$latency_rate" != 0 ] && scenarios+=("fanout $latency_rate")
scenarios+=("idle")
for round in $(seq 1 "$rounds"); do
  for scenario in "${scenarios[@]}"; do
    for server in $servers; do
      step "round $round/$rounds"
      # shellcheck disable=SC2086 # "fanout RATE" is two words on purpose
      run "$server" $scenario
    done
  done
done

if [ "$smoke" = 1 ]; then
  [ "$failed" = 0 ] && step "smoke: clean" || step "smoke: FAILED (see $out)"
  exit "$failed"
fi

step "comparison (results: $results)"
"$bin/domvia-loadtest" compare --candidate domvia --baseline sockudo "$results" \
  | tee "$out/comparison.txt"
exit "$failed"
