#!/usr/bin/env bash
# Encrypted records on a running `make localnet`, as a new user meets them,
# using only medchaind's CLI:
#   1. every account registers the encryption key derived from its key;
#   2. dr-house (St Mary's) is refused an upload for alice, who has not
#      granted St Mary's WRITE; she grants it and his DICOM upload succeeds;
#   3. alice grants dr-grey (Charité); dr-grey downloads a byte-identical
#      file; bob, a stranger to the record, gets "no access";
#   4. dr-house requests READ, alice approves, CheckAccess says allowed;
#   5. alice revokes dr-grey with rotation: dr-grey is denied, dr-house
#      still downloads the same bytes under the new key epoch;
#   6. St Mary's pays alice's consent fees (x/feegrant, x/access only);
#   7. a new version shows in the history; the vault serves the CID to curl
#      with alice's ticket (its access gate is on), to no one without
#      as a CAR; redaction erases the CIDs from every query;
#   8. a grant with a one-minute expiry ends on time with no transaction.
# Run it from the repository root while `make localnet` runs in another
# terminal. It is safe to run again: each run uploads a new record.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
export MEDCHAIN_VAULT=${MEDCHAIN_VAULT:-http://127.0.0.1:27005} # st-mary's vault
TX_FLAGS=(--yes --gas 600000 --output json)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh

# expect_failure WHAT CMD...: run CMD, which must fail; show its message.
expect_failure() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "UNEXPECTED: $what succeeded: $out" >&2
    exit 1
  fi
  echo "$what refused, as it must be: ${out#Error: }"
}

allowed() { "$BIN" query access check "$1" "$2" -o json | jq -r '.allowed // false'; }

curl -fsS "$MEDCHAIN_VAULT/healthz" >/dev/null ||
  { echo "no vault answers at $MEDCHAIN_VAULT: is \`make localnet\` running?" >&2; exit 1; }

ALICE=$(addr alice); BOB=$(addr bob); HOUSE=$(addr dr-house); GREY=$(addr dr-grey); STMARY=$(addr st-mary)

say "1. Encryption keys (derived from each account's key; registered once)"
for k in alice bob dr-house dr-grey st-mary; do
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$(addr "$k")" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  if [ "$mine" != "$onchain" ]; then
    send access register-key --from "$k" >/dev/null
  fi
  echo "$k: key $mine"
done

say "2. dr-house uploads alice's MRI"
go run ./scripts/sampledicom -o "$WORK/scan.dcm" -mib 8
GRANTED_WRITE=$("$BIN" query access grants-by-owner "$ALICE" -o json |
  jq -r --arg g "$STMARY" '[(.grants // [])[] | select(.grantee == $g and .permission == "PERMISSION_WRITE")] | length')
if [ "$GRANTED_WRITE" = 0 ]; then
  expect_failure "dr-house's upload without alice's WRITE grant" \
    "$BIN" tx records upload "$WORK/scan.dcm" --owner "$ALICE" --from dr-house --yes
  send access grant all "$STMARY" --permission write --purpose treatment --from alice >/dev/null
  echo "alice granted St Mary's WRITE"
fi
UP=$("$BIN" tx records upload "$WORK/scan.dcm" --owner "$ALICE" --label "MRI knee" --from dr-house --yes -o json)
echo "$UP"
ID=$(jq -r .record_id <<<"$UP"); CID=$(jq -r .cid <<<"$UP")
expect_failure "dr-house's upload for bob, who granted nothing" \
  "$BIN" tx records upload "$WORK/scan.dcm" --owner "$BOB" --from dr-house --yes
echo "on chain the label is ciphertext and the size a padded class:"
"$BIN" query records record "$ID" -o json | jq -c '.record | {id, kind, size_bytes, sealed_label}'
echo "alice opens it; bob sees it sealed:"
"$BIN" query records show "$ID" --from alice | jq -c '{id: .id, label: .label}'
"$BIN" query records show "$ID" --from bob | jq -c '{id: .id, label: .label}'

say "3. alice grants dr-grey; dr-grey downloads; bob may not"
send access grant "$ID" "$GREY" --purpose treatment --expires 30d --from alice >/dev/null
"$BIN" query records download "$ID" -o "$WORK/grey.dcm" --from dr-grey
cmp "$WORK/scan.dcm" "$WORK/grey.dcm" && echo "dr-grey's copy is byte-identical"
expect_failure "bob's download" "$BIN" query records download "$ID" -o "$WORK/bob.dcm" --from bob
[ ! -e "$WORK/bob.dcm" ] && echo "and nothing was written"

say "4. dr-house asks for READ; alice approves"
send access request "$ALICE" --record-id "$ID" --permission read --purpose treatment --reason "follow-up" --from dr-house >/dev/null
REQ=$("$BIN" query access requests-by-owner "$ALICE" -o json | jq -r '.requests | last | .id')
send access grant "$ID" "$HOUSE" --purpose treatment --request "$REQ" --from alice >/dev/null
echo "check $ID dr-house: allowed=$(allowed "$ID" "$HOUSE")"

say "5. alice revokes dr-grey, rotating the record key"
GRANT=$("$BIN" query access check "$ID" "$GREY" -o json | jq -r .grant.id)
"$BIN" tx access revoke "$GRANT" --from alice --yes
echo "check $ID dr-grey:  allowed=$(allowed "$ID" "$GREY")"
echo "check $ID dr-house: allowed=$(allowed "$ID" "$HOUSE"), key epoch $("$BIN" query access check "$ID" "$HOUSE" -o json | jq -r .wrap.key_epoch)"
"$BIN" query records download "$ID" -o "$WORK/house.dcm" --from dr-house
cmp "$WORK/scan.dcm" "$WORK/house.dcm" && echo "dr-house still reads the same bytes"
expect_failure "dr-grey's download after revocation" "$BIN" query records download "$ID" -o "$WORK/x" --from dr-grey

say "6. St Mary's pays alice's consent fees"
if ! "$BIN" query feegrant grant "$STMARY" "$ALICE" >/dev/null 2>&1; then
  send feegrant grant "$STMARY" "$ALICE" --spend-limit 100000000umed \
    --allowed-messages "/medchain.access.v1.MsgGrantAccess,/medchain.access.v1.MsgRevokeAccess,/medchain.access.v1.MsgDenyRequest,/medchain.access.v1.MsgRegisterEncryptionKey" \
    --from st-mary >/dev/null
fi
BEFORE=$("$BIN" query bank balance "$ALICE" umed -o json | jq -r .balance.amount)
send access grant "$ID" "$BOB" --purpose patient-request --expires 1m --fee-granter "$STMARY" --fees 5000umed --from alice >/dev/null
AFTER=$("$BIN" query bank balance "$ALICE" umed -o json | jq -r .balance.amount)
echo "alice's balance: $BEFORE -> $AFTER (St Mary's paid the 5000umed fee)"

say "7. A new version, the vault over plain HTTP, redaction"
go run ./scripts/sampledicom -o "$WORK/v2.dcm" -mib 1
"$BIN" tx records add-version "$ID" "$WORK/v2.dcm" --from alice --yes
"$BIN" query records history "$ID" -o json | jq -c '.versions[] | {version, cid, key_epoch}'
CID=$("$BIN" query records record "$ID" -o json | jq -r .record.cid)
# The vault's gate is on: curl shows a ticket alice signs for this vault.
T=$("$BIN" vault ticket "$ID" "$CID" --from alice --vault "$MEDCHAIN_VAULT")
curl -fsS -H "X-Medchain-Ticket: $T" -o "$WORK/record.car" "$MEDCHAIN_VAULT/ipfs/$CID?format=car"
echo "curl fetched $CID as a CAR of $(wc -c <"$WORK/record.car") bytes (with alice's ticket; without one: HTTP $(curl -s -o /dev/null -w '%{http_code}' "$MEDCHAIN_VAULT/ipfs/$CID?format=car"))"
"$BIN" vault verify-car "$WORK/record.car" "$CID"

say "8. bob's one-minute grant ends on time, with no transaction"
EXPIRES=$("$BIN" query access check "$ID" "$BOB" -o json | jq -r .grant.expires_at)
echo "bob: allowed=$(allowed "$ID" "$BOB") until $EXPIRES"
while [ "$(allowed "$ID" "$BOB")" = true ]; do sleep 2; done
echo "bob: allowed=false at $(date -u +%FT%TZ) (block time $("$BIN" status | jq -r .sync_info.latest_block_time))"

say "9. alice redacts the record"
send records redact "$ID" --from alice >/dev/null
"$BIN" query records record "$ID" -o json | jq -c .record
if "$BIN" query records history "$ID" -o json | grep -q bafy; then echo "UNEXPECTED: a CID survived redaction" >&2; exit 1; fi
echo "no query shows a CID of record $ID any more"
