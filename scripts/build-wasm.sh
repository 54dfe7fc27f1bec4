#!/usr/bin/env bash
# Builds the WebAssembly module of @domvia/realtime-e2ee (packages/realtime-e2ee/wasm/)
# from bindings/wasm, on a fresh machine: installs the wasm32 target and the
# wasm-bindgen-cli that matches the `wasm-bindgen` version in Cargo.lock when missing.
# The output is a build artifact (gitignored); scripts/test.sh runs this before the
# package's tests.
#
# wasm-opt is optional: set DOMVIA_WASM_OPT=1 to run the npm `binaryen` package's
# wasm-opt (never Debian's binaryen 108, which produces broken modules).
set -euo pipefail
cd "$(dirname "$0")/.."

crate=domvia-e2ee-wasm
out=packages/realtime-e2ee/wasm
# The same target directory as the demo's nested build (crates/cli/build.rs), so whichever
# runs second finds the module already built.
target_dir=${CARGO_TARGET_DIR:-target}/demo-wasm

rustup target add wasm32-unknown-unknown >/dev/null 2>&1

# The CLI must be exactly the version of the crate, or the generated glue does not match.
version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$version" ]; then
  echo "build-wasm: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
  echo "build-wasm: installing wasm-bindgen-cli $version (a few minutes, once)"
  # Not --locked: the CLI's own lock file pins a crate version the registry may lack.
  cargo install wasm-bindgen-cli --version "$version" --force
fi

# The `wasm` profile (Cargo.toml): size-optimized but for the per-message path.
cargo build --profile wasm --locked --target wasm32-unknown-unknown -p "$crate" --target-dir "$target_dir"

# --target web: one ES module that Node (reading the .wasm from disk), browsers with a
# plain <script type="module"> (fetching it) and bundlers (new URL(…, import.meta.url))
# all load; lib/load.js picks the source.
rm -rf "$out"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$out" "$target_dir/wasm32-unknown-unknown/wasm/domvia_e2ee_wasm.wasm"

if [ "${DOMVIA_WASM_OPT:-0}" = 1 ]; then
  npx --yes --package=binaryen@132.0.0 -- wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/domvia_e2ee_wasm_bg.wasm" -o "$out/domvia_e2ee_wasm_bg.wasm"
fi

wasm_bytes=$(wc -c <"$out/domvia_e2ee_wasm_bg.wasm")
wasm_gz=$(gzip -9c "$out/domvia_e2ee_wasm_bg.wasm" | wc -c)
echo "build-wasm: $out/domvia_e2ee_wasm_bg.wasm: $wasm_bytes bytes, $wasm_gz gzipped (wasm-bindgen $version)"
