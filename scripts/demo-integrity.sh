#!/usr/bin/env bash
# No one but a record's owner can hijack, overwrite or unpin its payload:
# each attack tried by hand on a running `make localnet`, as a stranger with
# a funded account would, using only medchaind, curl and jq.
#   1. bob's hand-built MsgCreateRecord reusing alice's CID is refused;
#      q records by-cid says whose it is; bob's redaction of his own record
#      leaves alice's pin alone.
#   2. a gated vault refuses bob's ticket for his own record naming alice's CID.
#   3. a WRITE-only hospital adds a version with wraps of random bytes: refused;
#      without wraps (and with the receipt st-mary's vault signed for its
#      upload) it spoils only its own version, and alice downloads version 1
#      byte-identical.
#   4. a vault whose follower is cut off from the chain for longer than a
#      (shortened) gc-grace keeps a record's payload that reached it while
#      cut off, pins it once the chain is back, and keeps it across a restart.
# Every CID claim carries an upload receipt: the vaults this script starts
# sign them with st-mary's key (copied from the client home, signing_vault),
# except the cut-off one, whose uploads are open and which signs none.
# Run it from the repository root while `make localnet` runs in another
# terminal. It starts its own vaults and proxy and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
export MEDCHAIN_VAULT=${MEDCHAIN_VAULT:-http://127.0.0.1:27005}
A=http://127.0.0.1:27001 GATED=http://127.0.0.1:27097 LAGGY=http://127.0.0.1:27096 PROXY=127.0.0.1:27095
TX_FLAGS=(--yes --gas 600000 --output json)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh
wait_http() { for _ in $(seq 1 60); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 1; done; echo "nothing answers at $1" >&2; exit 1; }
CHAIN_ID=$("$BIN" status --node "tcp://${A#http://}" | jq -r .node_info.network)

# hand_tx FROM MSG_JSON: the attacker's way — a bank send generated
# unsigned, its message swapped for MSG_JSON, signed and broadcast. Prints
# the block's (or CheckTx's) code and log as JSON {code, raw_log}.
hand_tx() {
  local from=$1 msg=$2 me out hash
  me=$(addr "$from")
  "$BIN" tx bank send "$me" "$me" 1umed --generate-only --from "$from" --gas 800000 --chain-id "$CHAIN_ID" |
    jq --argjson m "$msg" '.body.messages = [$m]' >"$WORK/unsigned.json"
  "$BIN" tx sign "$WORK/unsigned.json" --from "$from" --chain-id "$CHAIN_ID" >"$WORK/signed.json"
  out=$("$BIN" tx broadcast "$WORK/signed.json" -o json)
  if [ "$(jq -r .code <<<"$out")" != 0 ]; then jq '{code, raw_log}' <<<"$out"; return; fi
  hash=$(jq -r .txhash <<<"$out")
  for _ in $(seq 1 30); do
    if out=$("$BIN" query tx "$hash" -o json 2>/dev/null); then jq '{code, raw_log}' <<<"$out"; return; fi
    sleep 1
  done
  echo '{"code": -1, "raw_log": "not included in 30s"}'
}
expect_refused() { # WHAT RESULT_JSON WANT
  if [ "$(jq -r .code <<<"$2")" = 0 ] || ! jq -r .raw_log <<<"$2" | grep -q "$3"; then
    echo "FAIL: $1 was not refused with \"$3\": $2" >&2; exit 1
  fi
  echo "refused: $(jq -r .raw_log <<<"$2" | sed 's/^failed to execute message; message index: 0: //')"
}
expect_ok() { [ "$(jq -r .code <<<"$2")" = 0 ] || { echo "FAIL: $1: $2" >&2; exit 1; }; }
# pin VAULT CID: what the vault knows of CID's pin; a gated vault shows it
# to a hospital's replica ticket only (st-mary's key signs one).
pin() {
  local h=()
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/api/v1/pins/$2")" = 401 ]; then
    h=(-H "X-Medchain-Ticket: $("$BIN" vault ticket "$2" --purpose replica --from st-mary --vault "$1")")
  fi
  curl -fsS "${h[@]}" "$1/api/v1/pins/$2" 2>/dev/null | jq -c '{pinned, reason}' || echo '{"pinned": false, "reason": "no record of it"}'
}
wrap_of() { # RECORD GRANTEE FOR_RECORD -> a wrap copied from CheckAccess, bound to FOR_RECORD
  "$BIN" query access check "$1" "$2" -o json |
    jq -c --arg g "$2" --arg r "$3" '{grantee: $g, key_id: .wrap.key_id, ciphertext: .wrap.ciphertext, record_id: $r, key_epoch: .wrap.key_epoch}'
}
next_id() { "$BIN" query records next-id -o json | jq -r .id; }
metric() { curl -fsS "$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }

curl -fsS "$A/status" >/dev/null || { echo "no node at $A: is \`make localnet\` running?" >&2; exit 1; }
ALICE=$(addr alice); BOB=$(addr bob); CHARITE=$(addr charite)
for k in alice bob charite; do # charite uploads, so it registers a key too
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$(addr "$k")" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  [ "$mine" = "$onchain" ] || send access register-key --from "$k" >/dev/null
done
go run ./scripts/sampledicom -o "$WORK/scan.dcm" -mib 1 >/dev/null
head -c 20000 /dev/urandom >"$WORK/bobs.bin"

say "1. bob registers alice's CID under a record of his own (a hand-built MsgCreateRecord)"
UP=$("$BIN" tx records upload "$WORK/scan.dcm" --from alice --yes -o json)
ID=$(jq -r .record_id <<<"$UP"); CID=$(jq -r .cid <<<"$UP")
BUP=$("$BIN" tx records upload "$WORK/bobs.bin" --from bob --yes -o json)
BID=$(jq -r .record_id <<<"$BUP"); BCID=$(jq -r .cid <<<"$BUP")
sleep 2
echo "alice's record $ID is $CID; st-mary's vault: $(pin "$MEDCHAIN_VAULT" "$CID")"
NEXT=$(next_id)
MSG=$(jq -nc --arg b "$BOB" --arg c "$CID" --argjson w "$(wrap_of "$BID" "$BOB" "$NEXT")" \
  '{"@type": "/medchain.records.v1.MsgCreateRecord", creator: $b, owner: $b, cid: $c, kind: "RECORD_KIND_DICOM",
    size_bytes: "1048576", derived_from: "0", wraps: [$w]}')
expect_refused "bob's record with alice's CID" "$(hand_tx bob "$MSG")" "CID already belongs to a record version"
echo "q records by-cid: $("$BIN" query records by-cid "$CID" -o json | jq -c .)"
send records redact "$BID" --from bob >/dev/null
sleep 2
echo "after bob redacts his own record $BID: his payload $(pin "$MEDCHAIN_VAULT" "$BCID"), alice's $(pin "$MEDCHAIN_VAULT" "$CID")"
[ "$(pin "$MEDCHAIN_VAULT" "$CID" | jq -r .pinned)" = true ] || { echo "FAIL: alice's payload lost its pin" >&2; exit 1; }

say "2. A vault with its access gate on refuses bob's ticket for his own record naming alice's CID"
signing_vault "$WORK/gated" # bob's upload through it needs its receipt to be registered
"$BIN" vault serve "${SIGNING_VAULT[@]}" --address "${GATED#http://}" --node "tcp://${A#http://}" --access-gate node \
  2>"$WORK/gated.log" &
PIDS+=($!)
wait_http "$GATED/healthz"
BUP2=$("$BIN" tx records upload "$WORK/bobs.bin" --from bob --vault "$GATED" --yes -o json)
BID2=$(jq -r .record_id <<<"$BUP2")
T=$("$BIN" vault ticket "$BID2" "$CID" --from bob --vault "$GATED")
code=$(curl -s -o "$WORK/out" -w '%{http_code}' -H "X-Medchain-Ticket: $T" "$GATED/ipfs/$CID?format=car")
echo "bob's ticket for record $BID2 naming $CID: HTTP $code: $(cat "$WORK/out")"
[ "$code" = 403 ] || { echo "FAIL: want 403" >&2; exit 1; }

say "3. charite holds WRITE (not READ) on alice's records and posts a version with random wraps"
[ "$("$BIN" query access check "$ID" "$CHARITE" --permission write -o json | jq -r .allowed)" = true ] ||
  send access grant all "$CHARITE" --permission write --purpose treatment --from alice >/dev/null
head -c 4096 /dev/urandom >"$WORK/garbage.bin"
# vaultput -json prints st-mary's vault's answer with the receipt it signed
# for charite's upload: {hospital, pub_key, signature}, as the message takes it.
GUP=$(go run ./scripts/vaultput -json -vault "$MEDCHAIN_VAULT" \
  -ticket "$("$BIN" vault ticket --purpose upload --size 100000 --from charite --vault "$MEDCHAIN_VAULT")" "$WORK/garbage.bin")
GCID=$(jq -r .cid <<<"$GUP")
[ "$(jq -r '.receipt.hospital // empty' <<<"$GUP")" != "" ] || { echo "FAIL: st-mary's vault signed no receipt: $GUP" >&2; exit 1; }
W=$(wrap_of "$ID" "$ALICE" "$ID")
RANDOM_CT=$(head -c "$(jq -r .ciphertext <<<"$W" | base64 -d | wc -c)" /dev/urandom | base64 -w0)
MSG=$(jq -nc --arg h "$CHARITE" --arg id "$ID" --arg c "$GCID" --argjson w "$W" --arg ct "$RANDOM_CT" --argjson r "$(jq -c .receipt <<<"$GUP")" \
  '{"@type": "/medchain.records.v1.MsgAddVersion", creator: $h, record_id: $id, cid: $c, size_bytes: "4096",
    key_epoch: "0", wraps: [$w | .ciphertext = $ct], receipt: $r}')
expect_refused "charite replacing alice's wrap" "$(hand_tx charite "$MSG")" "only the owner may replace the wraps"
expect_ok "charite's version without wraps" "$(hand_tx charite "$(jq -c 'del(.wraps)' <<<"$MSG")")"
echo "record $ID is now at version $("$BIN" query records record "$ID" -o json | jq -r .record.version) (charite's garbage)"
"$BIN" query records download "$ID" --record-version 1 -o "$WORK/v1.dcm" --from alice
cmp "$WORK/scan.dcm" "$WORK/v1.dcm" && echo "alice's version 1 is byte-identical"
if "$BIN" query records download "$ID" -o "$WORK/v2" --from alice 2>"$WORK/v2.err"; then
  echo "FAIL: charite's garbage decrypted" >&2; exit 1
fi
echo "the writer's own version does not open ($(head -c 80 "$WORK/v2.err")...), and only it"

say "4. A vault whose follower is cut off for longer than gc-grace (5s) keeps a record's payload"
# A pass-through proxy stands for the vault's link to its node, so that it
# can be cut (a built binary: killing `go run` would leave its child).
go build -o "$WORK/proxy" ./scripts/tamperproxy
"$WORK/proxy" -target "$A" -listen "$PROXY" -mode "" >/dev/null 2>&1 &
PROXY_PID=$!; PIDS+=($PROXY_PID)
wait_http "http://$PROXY/status"
start_laggy() {
  "$BIN" vault serve --home "$WORK/laggy" --address "${LAGGY#http://}" --node "tcp://$PROXY" \
    --gc-interval 1s --gc-grace 5s --reconcile-interval 2s --upload-auth off --access-gate off 2>>"$WORK/laggy.log" &
  LAGGY_PID=$!; PIDS+=($LAGGY_PID) # uploads open: it cannot ask the chain about uploaders while cut off
  wait_http "$LAGGY/healthz"
}
start_laggy
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
echo "the vault's chain RPC is cut off"
# The record is registered as every record is, through a vault that signs
# its receipt (st-mary's); the payload reaches the cut-off vault as a copy
# from another vault does: the CAR, read with alice's ticket, posted to it.
UP=$("$BIN" tx records upload "$WORK/scan.dcm" --from alice --yes -o json)
LID=$(jq -r .record_id <<<"$UP"); LCID=$(jq -r .cid <<<"$UP")
for _ in $(seq 1 10); do
  T=$("$BIN" vault ticket "$LID" "$LCID" --from alice --vault "$MEDCHAIN_VAULT")
  curl -fsS -H "X-Medchain-Ticket: $T" "$MEDCHAIN_VAULT/ipfs/$LCID?format=car" -o "$WORK/late.car" 2>/dev/null && break
  sleep 1
done
[ -s "$WORK/late.car" ] || { echo "FAIL: st-mary's vault did not serve $LCID to alice" >&2; exit 1; }
echo "copied to the cut-off vault: $(curl -fsS -H 'Content-Type: application/vnd.ipld.car' --data-binary @"$WORK/late.car" "$LAGGY/api/v1/upload" | jq -c '{cid, size}')"
echo "alice's record $LID ($LCID) is on chain; the vault cannot see it: $(pin "$LAGGY" "$LCID")"
sleep 10
echo "10 s later (gc-grace 5s, GC every second): $(pin "$LAGGY" "$LCID"); $(grep -c 'garbage collection' "$WORK/laggy.log") GC runs skipped, e.g.:"
grep 'garbage collection' "$WORK/laggy.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-200
curl -fsS -o /dev/null "$LAGGY/ipfs/$LCID?format=raw" || { echo "FAIL: the payload was collected" >&2; exit 1; }
"$WORK/proxy" -target "$A" -listen "$PROXY" -mode "" >/dev/null 2>&1 &
PIDS+=($!)
wait_http "http://$PROXY/status"
for _ in $(seq 1 30); do [ "$(pin "$LAGGY" "$LCID" | jq -r .pinned)" = true ] && break; sleep 1; done
echo "the chain is back: $(pin "$LAGGY" "$LCID"); vault_missing_live_cids: $(metric "$LAGGY" vault_missing_live_cids)"
kill "$LAGGY_PID"; wait "$LAGGY_PID" 2>/dev/null || true
start_laggy
sleep 8
echo "after a restart and 8 s of GC: $(pin "$LAGGY" "$LCID")"
"$BIN" query records download "$LID" -o "$WORK/late.dcm" --from alice --vault "$LAGGY"
cmp "$WORK/scan.dcm" "$WORK/late.dcm" && echo "alice downloads it byte-identical"

say "All four attacks failed."
