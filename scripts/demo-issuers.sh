#!/usr/bin/env bash
# Walks the life of a hospital on a running `make localnet`, using only
# medchaind's CLI:
#   1. governance admits a fifth hospital (proposal, four hospitals vote yes);
#   2. the new hospital adds a doctor, who is then authorised;
#   3. a patient's create-validator is refused, with the reason;
#   4. governance suspends the hospital; in the block that executes the
#      suspension, its doctor stops being authorised.
# Run it from the repository root while `make localnet` runs in another
# terminal. It is safe to run again: each run admits a new hospital.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
TX_FLAGS=(--yes --gas 400000 --output json)
RUN_ID=$(date +%s)
HOSPITAL=royal-london-$RUN_ID
DOCTOR=dr-who-$RUN_ID

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh

# pass_proposal TITLE: every hospital votes yes on the newest proposal with
# that title, then wait until it has passed.
pass_proposal() {
  local title=$1 id status
  id=$("$BIN" query gov proposals -o json | jq -r --arg t "$title" '[.proposals[] | select(.title == $t)] | last | .id')
  echo "proposal $id: $title"
  for h in st-mary charite karolinska mayo; do
    send gov vote "$id" yes --from "$h" >/dev/null
  done
  for _ in $(seq 1 90); do
    status=$("$BIN" query gov proposal "$id" -o json | jq -r .proposal.status)
    case $status in
      PROPOSAL_STATUS_PASSED) echo "proposal $id passed"; return 0 ;;
      PROPOSAL_STATUS_REJECTED|PROPOSAL_STATUS_FAILED) echo "proposal $id: $status" >&2; return 1 ;;
    esac
    sleep 1
  done
  echo "proposal $id did not pass in 90s" >&2
  return 1
}


say "Keys for the new hospital ($HOSPITAL) and its doctor ($DOCTOR)"
"$BIN" keys add "$HOSPITAL" >/dev/null 2>&1
"$BIN" keys add "$DOCTOR" >/dev/null 2>&1
H=$(addr "$HOSPITAL"); D=$(addr "$DOCTOR")
echo "hospital $H"; echo "doctor   $D"
send bank send alice "$H" 10000000umed >/dev/null

say "1. Governance admits $HOSPITAL"
TITLE="Admit Royal London Hospital ($RUN_ID)"
send issuers register-issuer "$H" "Royal London Hospital" hospital \
  --jurisdiction GB-ENG --license-id "RLH-$RUN_ID" --website https://royal-london.example \
  --title "$TITLE" --summary "Admit the Royal London as a hospital issuer" \
  --deposit 10000000umed --from st-mary >/dev/null
pass_proposal "$TITLE"
"$BIN" query issuers issuer "$H"

say "2. The hospital adds its doctor"
send issuers add-practitioner "$D" doctor --from "$HOSPITAL" >/dev/null
"$BIN" query issuers practitioners "$H"
"$BIN" query issuers is-authorised "$D"

say "3. A patient may not run a validator"
CANDIDATE=$(mktemp -d)
"$BIN" init candidate --chain-id medchain-local-1 --home "$CANDIDATE" >/dev/null 2>&1
cat > "$CANDIDATE/validator.json" <<EOF
{"pubkey": $("$BIN" comet show-validator --home "$CANDIDATE"), "amount": "1000000umed",
 "moniker": "alice-node", "commission-rate": "0.1", "commission-max-rate": "0.2",
 "commission-max-change-rate": "0.01", "min-self-delegation": "1"}
EOF
if out=$("$BIN" tx staking create-validator "$CANDIDATE/validator.json" --from alice "${TX_FLAGS[@]}" 2>&1) &&
   wait_tx "$(jq -r .txhash <<<"$out")" >/dev/null 2>/tmp/create-validator.err; then
  echo "UNEXPECTED: alice's create-validator succeeded" >&2; exit 1
fi
echo "refused: $(cat /tmp/create-validator.err 2>/dev/null || echo "$out")"
rm -rf "$CANDIDATE"

say "4. Governance suspends $HOSPITAL"
TITLE="Suspend Royal London Hospital ($RUN_ID)"
send issuers set-issuer-status "$H" suspended --reason "licence under review" \
  --title "$TITLE" --summary "Licence under review" --deposit 10000000umed --from st-mary >/dev/null
pass_proposal "$TITLE"
# The first height at which the issuer is SUSPENDED is the block that
# executed the proposal.
HEIGHT=$("$BIN" status | jq -r .sync_info.latest_block_height)
while [ "$("$BIN" query issuers issuer "$H" --height $((HEIGHT - 1)) -o json | jq -r .issuer.status)" = ISSUER_STATUS_SUSPENDED ]; do
  HEIGHT=$((HEIGHT - 1))
done
echo "suspended in block $HEIGHT"
echo "doctor at block $((HEIGHT - 1)): $("$BIN" query issuers is-authorised "$D" --height $((HEIGHT - 1)) -o json | jq -c .)"
echo "doctor at block $HEIGHT:   $("$BIN" query issuers is-authorised "$D" --height "$HEIGHT" -o json | jq -c .)"
