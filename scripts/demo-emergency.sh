#!/usr/bin/env bash
# Emergency access and key recovery on a running `make localnet`, with
# medchaind's CLI only:
#   1. alice, dr-grey and the four hospitals register their encryption keys;
#      alice uploads a record;
#   2. alice opts in: any 2 of 3 custodian hospitals (drawn from the active
#      ones) can release her emergency key, none alone;
#   3. dr-grey (Charité) breaks the glass while alice signs nothing; the
#      custodians' nodes release their shares by themselves
#      ([vault] emergency-release = "auto"); dr-grey downloads the record
#      byte-identical; alice's emergency log shows who, where, when, why;
#   4. alice loses her key: a new account asks for her records, two
#      custodians approve by hand, and after the recovery delay (2 minutes
#      on the localnet, config.yml) the new account downloads the record
#      byte-identical while alice's old account is refused.
# Run it from the repository root while `make localnet` runs in another
# terminal. Each run uploads a new record and recovers into a new account.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
export MEDCHAIN_VAULT=${MEDCHAIN_VAULT:-http://127.0.0.1:27005} # st-mary's vault
TX_FLAGS=(--yes --output json)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh

curl -fsS "$MEDCHAIN_VAULT/healthz" >/dev/null ||
  { echo "no vault answers at $MEDCHAIN_VAULT: is \`make localnet\` running?" >&2; exit 1; }

ALICE=$(addr alice)

say "1. Encryption keys, and a record of alice's"
for k in alice dr-grey st-mary charite karolinska mayo; do
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$(addr "$k")" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  if [ "$mine" != "$onchain" ]; then
    send access register-key --from "$k" >/dev/null
  fi
  echo "$k: key $mine"
done
go run ./scripts/sampledicom -o "$WORK/scan.dcm" >/dev/null
RECORD=$("$BIN" tx records upload "$WORK/scan.dcm" --label "chest CT" --from alice --yes -o json | jq -r .record_id)
echo "alice's record $RECORD"

say "2. alice opts in to emergency access: 2 of 3 custodian hospitals"
send access set-emergency-policy --custodians 3 --threshold 2 --from alice >/dev/null
"$BIN" query access emergency-policy "$ALICE" -o json | jq -c '{threshold: .policy.threshold, custodians: [.policy.shares[].custodian], emergency_reader: .policy.emergency_reader}'

say "3. dr-grey (Charité) breaks the glass; alice signs nothing"
send access emergency-access "$ALICE" --reason unable-to-consent --from dr-grey >/dev/null
ACCESS=$("$BIN" query access emergency-log "$ALICE" -o json | jq -r '.accesses[0].id')
for _ in $(seq 1 30); do
  n=$("$BIN" query access emergency "$ACCESS" -o json | jq '.access.releases | length')
  [ "$n" -ge 2 ] && break
  sleep 1
done
echo "emergency access $ACCESS: $n custodian shares released by the custodians' nodes"
"$BIN" query records download "$RECORD" -o "$WORK/er.dcm" --from dr-grey --vault http://127.0.0.1:27015
cmp "$WORK/scan.dcm" "$WORK/er.dcm" && echo "dr-grey's copy is byte-identical"
"$BIN" query access emergency-log "$ALICE" -o json |
  jq -c '.accesses[0] | {id, practitioner, organisation, reason, opened_at, expires_at, released_by: [.releases[].custodian]}'

say "4. alice loses her key: a new account recovers her records"
NEW=alice-new-$(date +%s)
"$BIN" keys add "$NEW" --output json >/dev/null 2>&1
NEWADDR=$(addr "$NEW")
send bank send bob "$NEWADDR" 1000000umed >/dev/null
send access register-key --from "$NEW" >/dev/null
HASH=$("$BIN" tx access request-recovery "$ALICE" --from "$NEW" "${TX_FLAGS[@]}" | jq -r .txhash)
wait_tx "$HASH" >/dev/null
RECOVERY=$("$BIN" query tx "$HASH" -o json |
  jq -r '.events[] | select(.type == "medchain.access.v1.EventRecoveryRequested") | .attributes[] | select(.key == "recovery") | .value | fromjson | .id')
echo "recovery $RECOVERY of $ALICE to $NEW ($NEWADDR)"
for h in $("$BIN" query access emergency-policy "$ALICE" -o json | jq -r '.policy.shares[0:2][].custodian'); do
  name=$("$BIN" keys list --output json | jq -r --arg a "$h" '.[] | select(.address == $a) | .name')
  send access approve-recovery "$RECOVERY" --from "$name" >/dev/null
  echo "$name approved (having checked, off chain, that $NEW is alice)"
done
UNTIL=$("$BIN" query access recovery "$RECOVERY" -o json | jq -r .recovery.executable_at)
echo "alice's old key could cancel until $UNTIL (medchaind tx access cancel-recovery $RECOVERY --from alice); waiting"
until send access complete-recovery "$RECOVERY" --from "$NEW" >/dev/null 2>&1; do sleep 5; done
"$BIN" query records download "$RECORD" -o "$WORK/new.dcm" --from "$NEW" --vault http://127.0.0.1:27025
cmp "$WORK/scan.dcm" "$WORK/new.dcm" && echo "$NEW's copy is byte-identical"
if out=$("$BIN" query records download "$RECORD" -o "$WORK/old.dcm" --from alice 2>&1); then
  echo "UNEXPECTED: alice's old account still reads record $RECORD" >&2
  exit 1
fi
echo "alice's old account is refused: ${out#Error: }"
