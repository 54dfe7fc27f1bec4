#!/usr/bin/env bash
# Short fuzzing smoke run, for CI and before a commit: seeds the corpora (spec vectors and
# handmade protocol seeds), then runs every target `cargo fuzz list` names (the e2ee ones
# and the protocol ones: client_frame, channel_name, auth_verify, ciphertext_shape) for SECONDS seconds each
# (default 20). Installs cargo-fuzz if it is missing. Needs a nightly toolchain (`rustup
# toolchain install nightly`). Exits non-zero on the first crash; the input is in
# fuzz/artifacts/<target>/.
#
# Usage: fuzz/smoke.sh [SECONDS] [TARGET...]
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-20}"
shift || true

if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [SECONDS] [TARGET...]" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "smoke.sh: needs a nightly toolchain: rustup toolchain install nightly" >&2
    exit 1
fi

cd "$fuzz_dir"
"$fuzz_dir/seed-corpus.sh"

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build
for target in "${targets[@]}"; do
    echo "smoke.sh: $target for ${seconds}s" >&2
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1
done
echo "smoke.sh: ${#targets[@]} targets, ${seconds}s each, no crash" >&2
