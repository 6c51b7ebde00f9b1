#!/usr/bin/env bash
# Light clients on a running `make localnet`, using only medchaind's CLI:
#   1. a trust point (height and block hash) from a node you trust;
#   2. `query access check --prove` at st-mary (node A) with charite
#      (node B) as witness: a verified "allowed" and a verified "denied";
#   3. a lying proxy in front of st-mary: the forged answer is refused and
#      the liar named;
#   4. a vault with its access gate on (light-client mode): the grantee
#      downloads, bob's signed ticket is refused, and alice reads both
#      decisions from the access log.
# Run it from the repository root while `make localnet` runs in another
# terminal. It starts its own vault and proxy and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
A=http://127.0.0.1:27001 B=http://127.0.0.1:27011 TRUSTED=http://127.0.0.1:27021
GATED=http://127.0.0.1:27098 PROXY=http://127.0.0.1:27099
TX_FLAGS=(--yes --gas 600000 --output json)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh
wait_http() { for _ in $(seq 1 60); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 1; done; echo "nothing answers at $1" >&2; exit 1; }

curl -fsS "$A/status" >/dev/null || { echo "no node at $A: is \`make localnet\` running?" >&2; exit 1; }
"$BIN" keys show lab >/dev/null 2>&1 || "$BIN" keys add lab >/dev/null 2>&1
ALICE=$(addr alice); BOB=$(addr bob); LAB=$(addr lab)
[ "$("$BIN" query bank balance "$LAB" umed -o json | jq -r .balance.amount)" -ge 100000 ] ||
  send bank send carol "$LAB" 1000000umed --from carol >/dev/null
for k in alice lab; do
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$(addr "$k")" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  [ "$mine" = "$onchain" ] || send access register-key --from "$k" >/dev/null
done

say "1. A trust point from a node you trust (karolinska)"
TH=$(( $(curl -fsS "$TRUSTED/status" | jq -r .result.sync_info.latest_block_height) - 2 ))
HASH=$(curl -fsS "$TRUSTED/block?height=$TH" | jq -r .result.block_id.hash)
echo "height $TH, block hash $HASH"
PROVE=(--prove --witness "$B" --trust-period 5m --light-dir "$WORK/light")

say "2. A vault with its access gate on, verifying with a light client; alice uploads and grants the lab"
signing_vault "$WORK/vault" # its receipts let alice register what she uploads there
"$BIN" vault serve "${SIGNING_VAULT[@]}" --address "${GATED#http://}" --node "tcp://${A#http://}" \
  --access-gate light --gate-witness "$B" --gate-trust-height "$TH" --gate-trust-hash "$HASH" --gate-trust-period 5m \
  2>"$WORK/vault.log" &
PIDS+=($!)
wait_http "$GATED/healthz"
go run ./scripts/sampledicom -o "$WORK/scan.dcm" -mib 1
UP=$("$BIN" tx records upload "$WORK/scan.dcm" --owner "$ALICE" --label "lab sample" --from alice --vault "$GATED" --yes -o json)
ID=$(jq -r .record_id <<<"$UP"); CID=$(jq -r .cid <<<"$UP")
send access grant "$ID" "$LAB" --purpose research --expires 1d --from alice >/dev/null
sleep 2
echo "record $ID ($CID); the lab may read it, bob may not"

say "3. Verified answers from st-mary, with charite as witness"
"$BIN" query access check "$ID" "$LAB" --node "tcp://${A#http://}" "${PROVE[@]}" --trust-height "$TH" --trust-hash "$HASH"
"$BIN" query access check "$ID" "$BOB" --node "tcp://${A#http://}" "${PROVE[@]}"

say "4. A proxy in front of st-mary forges a grant for bob"
go build -o "$WORK/tamperproxy" ./scripts/tamperproxy
"$WORK/tamperproxy" -target "$A" -listen "${PROXY#http://}" -mode forge-value &
PIDS+=($!)
wait_http "$PROXY/status"
if out=$("$BIN" query access check "$ID" "$BOB" --node "tcp://${PROXY#http://}" "${PROVE[@]}" 2>&1); then
  echo "UNEXPECTED: the forged answer was accepted: $out" >&2; exit 1
fi
echo "refused: ${out#Error: }" | cut -c1-400

say "5. The gated vault: the lab downloads, bob's ticket is refused, alice reads the log"
"$BIN" query records download "$ID" -o "$WORK/lab.dcm" --from lab --vault "$GATED"
cmp "$WORK/scan.dcm" "$WORK/lab.dcm" && echo "the lab's copy is byte-identical"
T=$("$BIN" vault ticket "$ID" "$CID" --from bob --vault "$GATED")
CODE=$(curl -s -o "$WORK/bob.txt" -w '%{http_code}' -H "X-Medchain-Ticket: $T" "$GATED/ipfs/$CID?format=car")
echo "bob's signed ticket: HTTP $CODE: $(cat "$WORK/bob.txt")"
[ "$CODE" = 403 ] || { echo "UNEXPECTED: bob was served" >&2; exit 1; }
"$BIN" query records access-log "$ID" --from alice --vault "$GATED" | jq -c '.entries[] | {reader, outcome, reason, height, verified}'
if "$BIN" query records access-log "$ID" --from lab --vault "$GATED" >/dev/null 2>&1; then
  echo "UNEXPECTED: the lab read alice's log" >&2; exit 1
fi

say "Done: every step behaved as it should"
