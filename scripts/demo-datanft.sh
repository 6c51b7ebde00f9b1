#!/usr/bin/env bash
# Data-NFTs on a running `make localnet`, using only medchaind's CLI:
#   1. dr-house (St Mary's) uploads an identified MRI for alice; alice makes
#      a de-identified copy, and every attribute the profile lists is
#      verified gone from it;
#   2. alice mints the copy as a data-NFT (dr-house is its producer) and
#      lists it;
#   3. a research lab buys a licence; alice's client fulfils it with a READ
#      grant; the lab downloads the de-identified file and cannot open the
#      original;
#   4. bob buys the NFT: alice is paid, dr-house gets his 5 % royalty;
#   5. alice's identity NFT cannot be sent;
#   6. alice sells a second copy through a pseudonym St Mary's vault vouches
#      for: the copy, its NFT and its licence never name her.
# Run it from the repository root while `make localnet` runs in another
# terminal. It is safe to run again: each run uploads and mints anew.
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

# refused WHAT ARGS...: `medchaind tx ARGS` must fail, at CheckTx or in
# its block; show the chain's reason.
refused() {
  local what=$1 out
  shift
  if ! out=$("$BIN" tx "$@" "${TX_FLAGS[@]}" 2>&1); then
    echo "$what: refused, as it must be: ${out#Error: }"
  elif [ "$(jq -r .code <<<"$out")" != 0 ]; then
    echo "$what: refused, as it must be: $(jq -r .raw_log <<<"$out")"
  elif wait_tx "$(jq -r .txhash <<<"$out")" >/dev/null 2>"$WORK/err"; then
    echo "UNEXPECTED: $what succeeded" >&2
    exit 1
  else
    echo "$what: refused, as it must be: $(cat "$WORK/err")"
  fi
}
umed() { "$BIN" query bank balance "$1" umed -o json | jq -r .balance.amount; }

curl -fsS "$MEDCHAIN_VAULT/healthz" >/dev/null ||
  { echo "no vault answers at $MEDCHAIN_VAULT: is \`make localnet\` running?" >&2; exit 1; }

"$BIN" keys show lab >/dev/null 2>&1 || "$BIN" keys add lab >/dev/null 2>&1
ALICE=$(addr alice); BOB=$(addr bob); HOUSE=$(addr dr-house); STMARY=$(addr st-mary); LAB=$(addr lab)
if [ "$(umed "$LAB")" -lt 100000 ]; then
  send bank send carol "$LAB" 1000000umed --from carol >/dev/null
fi
for k in alice bob dr-house lab; do
  mine=$("$BIN" keys encryption-key "$k" --output json | jq -r .key_id)
  onchain=$("$BIN" query access key "$(addr "$k")" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
  [ "$mine" = "$onchain" ] || send access register-key --from "$k" >/dev/null
done

say "1. dr-house uploads alice's MRI; alice de-identifies it"
GRANTED_WRITE=$("$BIN" query access grants-by-owner "$ALICE" -o json |
  jq -r --arg g "$STMARY" '[(.grants // [])[] | select(.grantee == $g and .permission == "PERMISSION_WRITE")] | length')
[ "$GRANTED_WRITE" != 0 ] || send access grant all "$STMARY" --permission write --purpose treatment --from alice >/dev/null
go run ./scripts/dicomcheck sample -o "$WORK/identified.dcm"
ORIG=$("$BIN" tx records upload "$WORK/identified.dcm" --owner "$ALICE" --from dr-house --yes -o json | jq -r .record_id)
DEID=$("$BIN" tx records deidentify "$ORIG" --from alice --yes -o json | jq -r .record_id)
echo "original record $ORIG (issuer dr-house), de-identified copy $DEID"
"$BIN" query records download "$DEID" -o "$WORK/alice-copy.dcm" --from alice
go run ./scripts/dicomcheck verify "$WORK/identified.dcm" "$WORK/alice-copy.dcm" --shift-days "$("$BIN" keys date-shift alice)"

say "2. alice mints the copy as a data-NFT and lists it"
NFT=record-$DEID
refused "minting the identified original" datanft mint "$ORIG" mri-demo --royalty-bps 500 --licence-price 1000umed --licence-duration 24h --from alice
refused "dr-house minting alice's record" datanft mint "$DEID" mri-demo --royalty-bps 500 --licence-price 1000umed --licence-duration 24h --from dr-house
send datanft mint "$DEID" mri-demo --royalty-bps 500 --licence-price 1000umed --licence-duration 24h --from alice >/dev/null
send datanft list mri-demo "$NFT" 50000umed --from alice >/dev/null
"$BIN" query datanft nft mri-demo "$NFT" -o json | jq -c '{id: .nft.nft.id, record: .nft.nft.record_id, producer: .nft.nft.producer, owner: .nft.owner, royalty_bps: .nft.nft.royalty_bps, listed_at: .nft.listing.price}'

say "3. the lab buys a licence; alice fulfils it; the lab reads the copy only"
ALICE0=$(umed "$ALICE"); HOUSE0=$(umed "$HOUSE")
send datanft buy-licence mri-demo "$NFT" 1000umed --from lab >/dev/null
"$BIN" query datanft pending-licences "$ALICE" -o json | jq -c '.licences[] | {id, buyer, price, refund_height, status}'
if "$BIN" query records download "$DEID" -o "$WORK/early.dcm" --from lab >/dev/null 2>&1; then
  echo "UNEXPECTED: the lab read the copy before fulfilment" >&2; exit 1
fi
"$BIN" tx datanft fulfil-licences --from alice --yes
"$BIN" query records download "$DEID" -o "$WORK/lab-copy.dcm" --from lab
cmp "$WORK/alice-copy.dcm" "$WORK/lab-copy.dcm" && echo "the lab's copy is the de-identified file alice checked"
if out=$("$BIN" query records download "$ORIG" -o "$WORK/lab-orig.dcm" --from lab 2>&1); then
  echo "UNEXPECTED: the lab opened the original" >&2; exit 1
fi
echo "the lab and the original: ${out#Error: }"
echo "licence payout: alice +$(( $(umed "$ALICE") - ALICE0 ))umed (she paid no fee), dr-house +$(( $(umed "$HOUSE") - HOUSE0 ))umed royalty"

say "4. bob buys the NFT; dr-house earns 5 % of the sale"
ALICE0=$(umed "$ALICE"); HOUSE0=$(umed "$HOUSE")
refused "bob offering less than the listed price" datanft buy mri-demo "$NFT" 40000umed --from bob
send datanft buy mri-demo "$NFT" 50000umed --from bob >/dev/null
echo "sale of 50000umed: alice +$(( $(umed "$ALICE") - ALICE0 ))umed, dr-house +$(( $(umed "$HOUSE") - HOUSE0 ))umed royalty"
"$BIN" query datanft nft mri-demo "$NFT" -o json | jq -c '{owner: .nft.owner, listing: .nft.listing}'

say "5. alice's identity NFT stays with her"
[ "$("$BIN" query datanft identity "$ALICE" -o json | jq -r '.claimed // false')" = true ] ||
  send datanft claim-identity --from alice >/dev/null
refused "sending alice's identity NFT" nft send medchain-identity "$ALICE" "$BOB" --from alice
"$BIN" query nft owner medchain-identity "$ALICE" -o json | jq -c .

say "6. alice sells another copy as a pseudonym: nothing on chain names her"
# The first of alice's pseudonyms no hospital has vouched for yet (each run
# of this demo uses a new one).
N=0
while :; do
  P=$("$BIN" keys pseudonym alice "$N" --output json | jq -r .address)
  [ "$("$BIN" query datanft pseudonym "$P" -o json | jq -r '.vouched // false')" = true ] || break
  N=$((N + 1))
done
PNAME="alice-pseudonym-$N"
refused "bob vouching for alice's pseudonym himself" datanft vouch-pseudonym "$P" "$BOB" --from bob
ANON=$("$BIN" tx records deidentify "$ORIG" --to "$PNAME" --from alice --yes -o json | jq -r .record_id)
echo "St Mary's vault vouched for $PNAME ($P): $("$BIN" query datanft pseudonym "$P" -o json | jq -c .pseudonym)"
send datanft mint "$ANON" mri-anon --royalty-bps 500 --licence-price 1000umed --licence-duration 24h --from "$PNAME" >/dev/null
send datanft buy-licence mri-anon "record-$ANON" 1000umed --from lab >/dev/null
"$BIN" tx datanft fulfil-licences --from "$PNAME" --yes
"$BIN" query records download "$ANON" -o "$WORK/lab-anon.dcm" --from lab
for q in "records record $ANON" "datanft nft mri-anon record-$ANON" "datanft licences-by-nft mri-anon record-$ANON"; do
  # shellcheck disable=SC2086 # q is a command line
  if "$BIN" query $q -o json | grep -q "$ALICE"; then
    echo "UNEXPECTED: query $q names alice" >&2
    exit 1
  fi
done
echo "record $ANON, its data-NFT and its licence name the pseudonym, never alice; the lab read the copy"

say "Done: every step behaved as it should"
