#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: the README's second command, and
# exactly what CI runs (.ci/run). It installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

# One full build of everything: incremental caches would only cost disk here.
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

# Test runners' output is also kept here, to print one total at the end.
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "toolchain: wasm32 target, rustfmt, clippy"
rustup target add wasm32-unknown-unknown >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! command -v node >/dev/null 2>&1; then
  step "installing Node.js (Debian package)"
  apt-get update -qq && apt-get install -y -qq nodejs >/dev/null
fi

step "format"
cargo fmt --all -- --check

step "clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the core builds for wasm32-unknown-unknown as is"
cargo build -p domvia-e2ee --target wasm32-unknown-unknown --locked

step "one version of aead and rand_core in the dependency tree"
for crate in aead rand_core; do
  for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
    versions=$(cargo tree -p domvia-e2ee -e normal --target "$target" --locked --prefix none -i "$crate" 2>/dev/null \
      | grep -E "^$crate v" | sort -u | wc -l)
    if [ "$versions" -gt 1 ]; then
      echo "more than one version of $crate for $target"; exit 1
    fi
  done
done

step "dependencies point one way: the protocol and server crates never depend on the E2EE core"
for package in domvia-protocol domvia-server; do
  if cargo tree -p "$package" -e normal --locked --prefix none | grep -q '^domvia-e2ee '; then
    echo "$package depends on domvia-e2ee: the gateway must relay envelopes as opaque data"
    exit 1
  fi
done

step "tests (native back end: aws-lc-rs)"
cargo test --workspace --locked 2>&1 | tee -a "$log"

step "the core's tests again on the RustCrypto back end (the one WebAssembly uses)"
cargo test -p domvia-e2ee --features rust-crypto --locked 2>&1 | tee -a "$log"

step "the npm package @domvia/realtime-e2ee: WebAssembly build, then its tests in Node, in Chromium and through a Vite build"
scripts/build-wasm.sh
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cargo build -p domvia-cli --locked
(cd packages/realtime-e2ee && npm ci --no-audit --no-fund --loglevel=error)
node --test packages/realtime-e2ee/test/ 2>&1 | tee -a "$log"

step "independent WebCrypto implementation of the spec against the vectors"
node --test spec/webcrypto-check/ 2>&1 | tee -a "$log"

step "key-share interop: @hpke/core opens what Rust seals, Rust opens what @hpke/core seals"
(cd spec/hpke-check && npm ci --no-audit --no-fund --loglevel=error)
node --test spec/hpke-check/ 2>&1 | tee -a "$log"

step "the gateway driven by the real npm clients: pusher-js and the pusher server SDK"
cargo build -p domvia-cli --locked
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
# The guide's runnable example (examples/js), run by tests/js/examples.test.mjs.
(cd examples/js && npm ci --no-audit --no-fund --loglevel=error)
DOMVIA_BIN="$PWD/target/debug/domvia" node --test --test-concurrency=1 tests/js/ 2>&1 | tee -a "$log"

step "the demo of domvia serve in two Chromium pages: keys, chat, call, location; no plaintext relayed"
(cd tests/demo && npm ci --no-audit --no-fund --loglevel=error)
DOMVIA_BIN="$PWD/target/debug/domvia" node --test tests/demo/ 2>&1 | tee -a "$log"

step "load harness smoke: 50 subscribers and 200 idle connections against domvia serve, no loss"
scripts/loadtest.sh --smoke --debug --out "$(mktemp -d)"

step "fuzz targets: build, and a short smoke run of each (nightly toolchain)"
if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal >/dev/null
fi
fuzz/smoke.sh "${DOMVIA_FUZZ_SECONDS:-15}"

step "all checks passed"
passed=$(awk '/^test result: /{p+=$4} /^# pass /{p+=$3} END{print p+0}' "$log")
failed=$(awk '/^test result: /{f+=$6} /^# fail /{f+=$3} END{print f+0}' "$log")
echo "total: $passed passed, $failed failed"
