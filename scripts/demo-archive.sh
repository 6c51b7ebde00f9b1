#!/usr/bin/env bash
# The cold archive on a running `make localnet`:
#   1. alice uploads records of several kinds (real DICOM from Debian's
#      pydicom samples among them) and allows them into the archive; one
#      she keeps out.
#   2. st-mary archives every live record it may (--all: also those placed
#      on other hospitals, fetched from their vaults) into Filecoin pieces; each
#      piece's CID is checked with an independent CommP of its file, and
#      st-mary records the pieces on chain.
#   3. one record is redacted: its archive entries become SHREDDED.
#   4. st-mary's node is stopped and its vault directory deleted; the vault
#      is rebuilt from the pieces alone (`vault restore`, asking charite's
#      node what is live), st-mary starts again, and every archived live
#      record downloads byte-identical from st-mary's vault itself.
# Run it from the repository root while `make localnet` runs in another
# terminal. It restarts st-mary's node by hand (as docs/operations.md does),
# so stop that one with `kill -TERM` afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
STMARY_VAULT=http://127.0.0.1:27005 STMARY_RPC=tcp://127.0.0.1:27001 CHARITE_RPC=tcp://127.0.0.1:27011
TX_FLAGS=(--yes --gas 900000 --output json --node "$CHARITE_RPC")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh
curl -fsS "$STMARY_VAULT/healthz" >/dev/null || { echo "is \`make localnet\` running?" >&2; exit 1; }
ALICE=$(addr alice) STMARY=$(addr st-mary)
CORPUS=$(bash scripts/dicom-corpus.sh)

say "1. alice uploads records of several kinds and allows all but one into the archive"
mine=$("$BIN" keys encryption-key alice --output json | jq -r .key_id)
onchain=$("$BIN" query access key "$ALICE" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
[ "$mine" = "$onchain" ] || send access register-key --from alice >/dev/null
cp "$CORPUS/CT_small.dcm" "$CORPUS/MR_small.dcm" "$WORK/"
printf '{"resourceType":"Observation","status":"final","code":{"text":"HbA1c"},"valueQuantity":{"value":6.1,"unit":"%%"}}' >"$WORK/obs.json"
head -c 3000000 /dev/urandom >"$WORK/report.pdf"
printf 'kept out of the archive' >"$WORK/private.txt"
printf 'to be erased' >"$WORK/erase.txt"
declare -A ID
for f in CT_small.dcm MR_small.dcm obs.json report.pdf private.txt erase.txt; do
  ID[$f]=$("$BIN" tx records upload "$WORK/$f" --owner "$ALICE" --from alice --vault "$STMARY_VAULT" --yes -o json | jq -r .record_id)
  echo "record ${ID[$f]}: $f"
done
for f in CT_small.dcm MR_small.dcm obs.json report.pdf erase.txt; do
  send records set-archive-consent "${ID[$f]}" true --from alice >/dev/null
done

say "2. st-mary archives every live record it may (--all)"
"$BIN" vault archive --all --from st-mary --out "$WORK/archive" --piece-size 64MiB --node "$STMARY_RPC"
MANIFEST=$(ls "$WORK"/archive/manifest-*.json)
jq -r '.pieces[] | "\(.piece_cid) \(.piece_size) \(.file)"' "$MANIFEST" | while read -r piece size file; do
  read -r got gotsize _ < <("$BIN" vault commp "$WORK/archive/$file")
  [ "$got $gotsize" = "$piece $size" ] || { echo "piece $file: an independent CommP gives $got $gotsize, the manifest says $piece $size" >&2; exit 1; }
  echo "piece $piece: an independent CommP of its file agrees ($size bytes)"
  send records record-archive "$piece" "$size" $(jq -r --arg p "$piece" '.pieces[] | select(.piece_cid == $p) | .segments[] | "\(.record_id):\(.version)"' "$MANIFEST") \
    --provider f01234 --deal-ref demo --expires 2030-01-01T00:00:00Z --from st-mary >/dev/null
done
ARCHIVED=$(jq -r '[.pieces[].segments[].record_id] | map(tostring) | join(" ")' "$MANIFEST")
echo "archived records: $ARCHIVED"

say "3. alice erases a record: its archive entries are shredded"
send records redact "${ID[erase.txt]}" --from alice >/dev/null
"$BIN" query records archives "${ID[erase.txt]}" -o json --node "$CHARITE_RPC" | jq -c '.entries[] | {piece_cid, status}'

say "4. st-mary loses its vault and rebuilds it from the pieces alone"
kill -TERM "$(pgrep -f 'start --home .*\.localnet/st-mary')"
for _ in $(seq 1 30); do pgrep -f 'start --home .*\.localnet/st-mary' >/dev/null || break; sleep 1; done
rm -rf .localnet/st-mary/data/vault
"$BIN" vault restore "$MANIFEST" --home .localnet/st-mary --node "$CHARITE_RPC" --hospital "$STMARY"
"$BIN" start --home .localnet/st-mary >>.localnet/logs/st-mary.log 2>&1 &
for _ in $(seq 1 60); do curl -fsS "$STMARY_VAULT/healthz" >/dev/null 2>&1 && break; sleep 1; done
for f in CT_small.dcm MR_small.dcm obs.json report.pdf; do
  id=${ID[$f]}
  case " $ARCHIVED " in *" $id "*) ;; *) echo "record $id ($f) is not in the archive" >&2; exit 1 ;; esac
  "$BIN" query records download "$id" -o "$WORK/back-$f" --from alice --vault "$STMARY_VAULT" --node "$CHARITE_RPC" >/dev/null
  cmp -s "$WORK/$f" "$WORK/back-$f" || { echo "record $id ($f) differs after the restore" >&2; exit 1; }
  echo "record $id ($f): byte-identical from st-mary's rebuilt vault"
done
if "$BIN" query records download "${ID[erase.txt]}" -o "$WORK/erased" --from alice --node "$CHARITE_RPC" >/dev/null 2>&1; then
  echo "the erased record downloaded" >&2
  exit 1
fi
echo "the erased record stays unreadable"
say "done: st-mary's node runs outside the localnet driver now; stop it with kill -TERM"
