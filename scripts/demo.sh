#!/usr/bin/env bash
# The README's first command (`make demo`): runs the real authorizer locally with
# cargo-lambda on sample events, starting what it needs, then stops everything.
#   1. moto's DynamoDB on a free 127.0.0.1 port, and the demo client provisioned with
#      clientctl: registry table, CA (in .local/clientctl), a certificate for
#      `payments-frontend` registered active;
#   2. sample events with tokens minted for the current clock (test-only keys in events/keys)
#      and the certificate clientctl issued;
#   3. `cargo lambda watch` with the local configuration (.local/demo.env), then
#      `cargo lambda invoke` on each sample event, printing the authorizer's answer.
# With --watch it stops after step 3's start and keeps `cargo lambda watch` in the
# foreground, for `make invoke EVENT=...` from another terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/.venv
state=$root/.local
mkdir -p "$state"
watch_only=false
[[ ${1:-} == --watch ]] && watch_only=true

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 "${3:-300}"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "demo: $2 did not start on port $1 (see $state/*.log)" >&2
  return 1
}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

moto_port=$(free_port)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$state/moto.log" 2>&1 &
pids+=($!)
wait_port "$moto_port" "moto_server"
endpoint=http://127.0.0.1:$moto_port

echo "demo: provisioning the demo client with clientctl at $endpoint"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
rm -rf "$state/clientctl"
clientctl=(cargo run --quiet --locked -p clientctl -- --dir "$state/clientctl" --table authorizer-clients --endpoint-url "$endpoint")
"${clientctl[@]}" table create
"${clientctl[@]}" ca init --org "Example Payments"
cert=$("${clientctl[@]}" --output json issue --client-id payments-frontend --tenant acme \
  --scope payments:write --scope orders:read --days 30 | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["cert"])')

"$venv/bin/python" events/generate.py demo "$state/events" "$cert"
cat >"$state/issuers.json" <<JSON
[{"issuer": "https://idp.example.com", "audiences": ["payments-api"], "algorithms": ["RS256", "ES256"],
  "jwks_file": "$root/events/keys/jwks.json", "jwks_uri": "http://127.0.0.1:1/jwks.json"}]
JSON
cat >"$state/demo.env" <<ENV
AUTHZ_JWT_ISSUERS_FILE=$state/issuers.json
AUTHZ_JWT_ALLOW_LOOPBACK_HTTP=true
AUTHZ_REGISTRY_TABLE=authorizer-clients
AUTHZ_MTLS_REQUIRED=false
AUTHZ_POLICY_FILE=$root/events/policy.toml
AUTHZ_LOG_LEVEL=info
AWS_ENDPOINT_URL_DYNAMODB=$endpoint
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
ENV

cargo build --quiet --locked -p authorizer
invoke_port=$(free_port)
if $watch_only; then
  echo "demo: cargo lambda watch on 127.0.0.1:$invoke_port; in another terminal: make invoke EVENT=... INVOKE_PORT=$invoke_port"
  cargo lambda watch -p authorizer --invoke-address 127.0.0.1 --invoke-port "$invoke_port" --env-file "$state/demo.env"
  exit 0
fi
cargo lambda watch -p authorizer --invoke-address 127.0.0.1 --invoke-port "$invoke_port" --env-file "$state/demo.env" \
  >"$state/watch.log" 2>&1 &
pids+=($!)
wait_port "$invoke_port" "cargo lambda watch"

status=0
for event in "$state"/events/*.json; do
  echo
  echo "== $(basename "$event")"
  cargo lambda invoke authorizer --invoke-address 127.0.0.1 --invoke-port "$invoke_port" --data-file "$event" --output-format json || status=1
done
echo
echo "demo: the authorizer's decision log lines are in $state/watch.log"
exit $status
