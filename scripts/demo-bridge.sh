#!/usr/bin/env bash
# The DICOMweb bridge between two hospitals' PACS on a running
# `make localnet`, as docs/bridge.md walks through it:
#   1. St Mary's and Karolinska each run a bridge (`medchaind bridge start`)
#      and a real Orthanc PACS (Debian's orthanc and orthanc-dicomweb;
#      scripts/install-orthanc.sh installs them) that talks to it;
#   2. alice enrols at St Mary's front desk with a one-time code and grants
#      St Mary's WRITE for DICOM; St Mary's PACS pushes a study of hers
#      (STOW-RS), which lands as one encrypted record she owns;
#   3. Karolinska's PACS finds nothing (QIDO-RS) until alice grants
#      Karolinska READ, then retrieves the study (WADO-RS) and holds every
#      instance byte-identical; alice's access log names Karolinska.
# Run it from the repository root while `make localnet` runs in another
# terminal. Everything it starts is stopped when it ends; its files are in
# a temporary directory (DEMO_KEEP=1 keeps them).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
TX_FLAGS=(--yes --output json)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${DEMO_KEEP:-}" ] && echo "files kept in $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=lib/demo.sh
source scripts/lib/demo.sh
curl -fsS http://127.0.0.1:27001/status >/dev/null || { echo "is \`make localnet\` running?" >&2; exit 1; }
eval "$(scripts/install-orthanc.sh --check 2>/dev/null || scripts/install-orthanc.sh)"
corpus=$(scripts/dicom-corpus.sh)
CHAIN=$(curl -fsS http://127.0.0.1:27001/status | jq -r .result.node_info.network)
ALICE=$(addr alice); STMARY=$(addr st-mary); KAROLINSKA=$(addr karolinska)

say "everyone who seals or opens registers an encryption key"
for k in alice st-mary karolinska; do send access register-key --from "$k" >/dev/null || true; done

say "each hospital runs a bridge beside its node, and gives its PACS a token"
start_bridge() { # NAME PORT VAULT
  local dir=$WORK/bridge-$1
  "$BIN" bridge add-client pacs --bridge-dir "$dir" 2>/dev/null >"$WORK/token-$1"
  "$BIN" bridge start --from "$1" --bridge-dir "$dir" --listen "127.0.0.1:$2" --vault "$3" \
    --chain-id "$CHAIN" >"$WORK/bridge-$1.log" 2>&1 &
  PIDS+=($!)
}
start_bridge st-mary 28042 http://127.0.0.1:27005
start_bridge karolinska 28052 http://127.0.0.1:27025

start_pacs() { # NAME HTTP-PORT BRIDGE-PORT
  mkdir -p "$WORK/$1"
  cat >"$WORK/$1.json" <<JSON
{
  "Name": "$1", "HttpPort": $2, "DicomServerEnabled": false, "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false, "StorageDirectory": "$WORK/$1", "IndexDirectory": "$WORK/$1",
  "Plugins": ["$ORTHANC_DICOMWEB_PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "Servers": {
    "medchain": { "Url": "http://127.0.0.1:$3/dicom-web/",
                  "HttpHeaders": { "Authorization": "Bearer $(cat "$WORK/token-${1#pacs-}")" } } } }
}
JSON
  "$ORTHANC_BIN" "$WORK/$1.json" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
}
start_pacs pacs-st-mary 28043 28042
start_pacs pacs-karolinska 28053 28052
up() { for _ in $(seq 1 60); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.5; done
  echo "$1 did not answer in 30s" >&2; return 1; }
up http://127.0.0.1:28042/healthz; up http://127.0.0.1:28052/healthz
up http://127.0.0.1:28043/system; up http://127.0.0.1:28053/system

say "St Mary's PACS holds a study of alice's (PatientID SM-0042, issuer ST-MARY)"
go run ./scripts/dicomstudy -corpus "$corpus" -series 2 -instances 3 -patient-id SM-0042 -issuer ST-MARY -o "$WORK/study"
for f in "$WORK"/study/*.dcm; do curl -fsS -X POST --data-binary @"$f" http://127.0.0.1:28043/instances >/dev/null; done
STUDY=$(curl -fsS http://127.0.0.1:28043/studies | jq -r '.[0]')
UID_=$(curl -fsS "http://127.0.0.1:28043/studies/$STUDY" | jq -r .MainDicomTags.StudyInstanceUID)
push() { curl -sS -X POST http://127.0.0.1:28043/dicom-web/servers/medchain/stow -d "{\"Resources\": [\"$STUDY\"], \"Synchronous\": true}"; }

say "before alice enrols, a push is refused: the bridge answers each instance 0x0124 (unknown patient)"
push >/dev/null 2>&1 || true
grep 'STOW-RS' "$WORK/bridge-st-mary.log" | tail -n 1 | grep -o 'instances=.*' || true

say "alice makes a one-time code; St Mary's front desk enrols her"
CODE=$("$BIN" bridge enrol-code "$STMARY" --from alice --chain-id "$CHAIN")
echo "code: $CODE"
"$BIN" bridge enrol "$CODE" --patient-id SM-0042 --issuer ST-MARY --from st-mary --bridge-dir "$WORK/bridge-st-mary" --chain-id "$CHAIN"
"$BIN" bridge patients --from st-mary --bridge-dir "$WORK/bridge-st-mary"

say "alice lets St Mary's write DICOM records for her; the push lands as one record"
send access grant all "$STMARY" --permission write --kinds dicom --purpose treatment --from alice >/dev/null
push >/dev/null
RECORD=$("$BIN" query records records-by-owner "$ALICE" -o json | jq -r '[.records[] | select(.kind == "RECORD_KIND_DICOM")] | last | .id')
echo "alice's record $RECORD holds the study"

say "Karolinska's PACS finds nothing through its bridge before alice's grant"
curl -fsS -X POST http://127.0.0.1:28053/dicom-web/servers/medchain/get -d '{"Uri": "/studies"}'; echo

say "alice grants Karolinska READ; its PACS finds and retrieves the study"
send access grant all "$KAROLINSKA" --kinds dicom --purpose treatment --from alice >/dev/null
curl -fsS -X POST http://127.0.0.1:28053/dicom-web/servers/medchain/get -d '{"Uri": "/studies"}' | jq -c '.[] | {study: .["0020000D"].Value[0], instances: .["00201208"].Value[0]}'
curl -fsS -X POST http://127.0.0.1:28053/dicom-web/servers/medchain/retrieve \
  -d "{\"Resources\": [{\"Study\": \"$UID_\"}], \"Synchronous\": true}" >/dev/null
same=0
for id in $(curl -fsS "http://127.0.0.1:28043/studies/$STUDY/instances" | jq -r '.[].ID'); do
  sop=$(curl -fsS "http://127.0.0.1:28043/instances/$id" | jq -r .MainDicomTags.SOPInstanceUID)
  other=$(curl -fsS -X POST http://127.0.0.1:28053/tools/lookup -d "$sop" | jq -r '.[0].ID')
  cmp -s <(curl -fsS "http://127.0.0.1:28043/instances/$id/file") <(curl -fsS "http://127.0.0.1:28053/instances/$other/file") && same=$((same + 1))
done
echo "$same instances byte-identical in both PACS"

say "alice's access log at Karolinska's vault names Karolinska"
"$BIN" query records access-log "$RECORD" --from alice --vault http://127.0.0.1:27025 | jq -c '.entries[] | {reader, outcome, reason}'

say "alice downloads the study as a directory of .dcm files"
"$BIN" query records download "$RECORD" -o "$WORK/alice-study" --from alice --vault http://127.0.0.1:27005
find "$WORK/alice-study" -name '*.dcm' | wc -l
