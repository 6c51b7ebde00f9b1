#!/usr/bin/env bash
# The abuse figures on a running `make localnet`: starts a vault with its
# access gate on beside st-mary (its own process, so its RSS is the
# vault's; it signs upload receipts with st-mary's key, copied from the
# client home), stores alice's record in it, and runs scripts/bench-abuse:
# per attack, requests (or transactions) sent and refused, the vault's peak
# RSS, and an honest reader's download p99 during the attack. The
# transaction attacks need a record of bob's (front-running: his messages
# copy its wrap) and one of alice's on which charite holds WRITE (the
# version flood); both are made here. Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
A=http://127.0.0.1:27001 GATED=http://127.0.0.1:27094
TX_FLAGS=(--yes --output json)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh
curl -fsS "$A/status" >/dev/null || { echo "is \`make localnet\` running?" >&2; exit 1; }
for k in alice bob charite; do # charite uploads the versions it floods with
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$("$BIN" keys show "$k" -a)" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  [ "$mine" = "$onchain" ] || { "$BIN" tx access register-key --from "$k" --yes >/dev/null; sleep 3; }
done
signing_vault "$WORK/vault"
"$BIN" vault serve "${SIGNING_VAULT[@]}" --address "${GATED#http://}" --node "tcp://${A#http://}" --access-gate node \
  2>"$WORK/vault.log" &
PID=$!
for _ in $(seq 1 60); do curl -fsS "$GATED/healthz" >/dev/null 2>&1 && break; sleep 1; done
head -c $((4 << 20)) /dev/urandom >"$WORK/rec.bin"
for _ in $(seq 1 20); do
  UP=$("$BIN" tx records upload "$WORK/rec.bin" --from alice --vault "$GATED" --yes -o json 2>/dev/null) && break
  sleep 1 # the vault learns the chain id from the node first
done
ID=$(jq -r .record_id <<<"$UP"); CID=$(jq -r .cid <<<"$UP")
if [ -z "$ID" ] || [ "$ID" = null ]; then
  echo "alice's upload through the gated vault failed; its log ends:" >&2; tail -5 "$WORK/vault.log" >&2; exit 1
fi
head -c 10000 /dev/urandom >"$WORK/small.bin"
BID=$("$BIN" tx records upload "$WORK/small.bin" --from bob --vault "$GATED" --yes -o json | jq -r .record_id)
FID=$("$BIN" tx records upload "$WORK/small.bin" --from alice --vault "$GATED" --yes -o json | jq -r .record_id)
send access grant "$FID" "$(addr charite)" --permission write --purpose treatment --from alice >/dev/null
echo "alice's record $ID ($CID, 4 MiB) in the gated vault (pid $PID); bob's record $BID; alice's record $FID, charite may write it; attacking:"
go run ./scripts/bench-abuse -vault "$GATED" -pid "$PID" -record "$ID" -cid "$CID" -home "$MEDCHAIN_HOME" -bin "$BIN" \
  -node "tcp://${A#http://}" -bob-record "$BID" -flood-record "$FID" -writer charite
