#!/usr/bin/env bash
# `make bench`: one report that puts the authorizer's speed and footprint next to its
# references, all measured in this run (issue 8).
#   1. builds the release `authorizer` on its own, exactly as it ships (so no feature the
#      bench crates enable leaks into it), then `hello` (the hello-world lambda_runtime
#      function, the cold-start floor, same release profile) and `report`;
#   2. runs `report`: in-process decisions against the raw signature verify, the mTLS
#      registry against moto_server, both binaries through a local Lambda Runtime API, the
#      ARM64 zip of `make build` if there is one, instruction counts under callgrind when
#      valgrind is installed; prints the table with every target of the
#      issue, PASS or MISS and by how much, and writes the JSON report.
# Arguments go to `report` (`--quick` for a smoke run of a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "bench: building release binaries in $target_dir" >&2
cargo build --release --locked -p authorizer
# Same release profile, symbols kept: callgrind counts inside `decide` and `raw_verify` by name.
CARGO_PROFILE_RELEASE_STRIP=none cargo build --release --locked -p bench --bins
exec "$target_dir/release/report" \
    --authorizer "$target_dir/release/authorizer" \
    --hello "$target_dir/release/hello" \
    --zip "$PWD/target/lambda/authorizer/bootstrap.zip" \
    --out "$target_dir/bench/report.json" \
    "$@"
