#!/usr/bin/env bash
# Replication figures on a running `make localnet` (four hospitals, factor 3):
#   1. the time for a record of SIZE_MB (default 100) uploaded through
#      st-mary's vault to be held by every vault placement names;
#   2. the repair throughput of an emptied vault: one placed hospital's node
#      is stopped, its vault directory deleted, the node started again, and
#      the vault refills everything placed on it from its peers.
# Run it from the repository root while `make localnet` runs in another
# terminal. It leaves the network running (the restarted node in the
# background, logging to .localnet/logs/NAME.log).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-./build/medchaind}
SIZE_MB=${SIZE_MB:-100}
export MEDCHAIN_HOME=${MEDCHAIN_HOME:-$PWD/.localnet/client}
export MEDCHAIN_VAULT=http://127.0.0.1:27005
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
metric() { curl -fsS "$1/metrics" 2>/dev/null | awk -v m="$2" '$1 == m {printf "%.0f\n", $2}'; }
command -v jq >/dev/null && command -v bc >/dev/null || { echo "this script needs jq and bc" >&2; exit 1; }
curl -fsS http://127.0.0.1:27001/status >/dev/null || { echo "is \`make localnet\` running?" >&2; exit 1; }

mine=$("$BIN" keys encryption-key alice --output json | jq -r .key_id)
onchain=$("$BIN" query access key "$("$BIN" keys show alice -a)" -o json 2>/dev/null | jq -r '.key.key_id // empty' || true)
[ "$mine" = "$onchain" ] || { "$BIN" tx access register-key --from alice --yes >/dev/null; sleep 3; }

head -c "$((SIZE_MB << 20))" /dev/urandom >"$WORK/big.bin"
t0=$(now)
UP=$("$BIN" tx records upload "$WORK/big.bin" --from alice --yes -o json)
t_up=$(since "$t0")
ID=$(jq -r .record_id <<<"$UP")
t1=$(now)
while :; do
  R=$("$BIN" query records replicas "$ID" --from alice -o json)
  [ "$(jq '[.replicas[] | select(.holds)] | length' <<<"$R")" = "$(jq '.replicas | length' <<<"$R")" ] && break
  sleep 0.5
done
t_rep=$(since "$t1")
printf 'record %s (%s MiB): upload and register %.1f s; all %s placed vaults hold it %.1f s later\n' \
  "$ID" "$SIZE_MB" "$t_up" "$(jq '.replicas | length' <<<"$R")" "$t_rep"

# An emptied vault: the first placed hospital other than st-mary.
URL=$(jq -r '[.replicas[] | select(.vault_url != "http://127.0.0.1:27005")][0].vault_url' <<<"$R")
PORT=${URL##*:}
NAME=$(jq -r --arg p "$PORT" '.nodes[] | select((.ports.vault|tostring) == $p) | .name' .localnet/localnet.json)
HOME_DIR=$PWD/.localnet/$NAME
PID=$(pgrep -f "start --home ([^ ]*/)?\.localnet/$NAME( |$)" | head -1)
[ -n "$PID" ] || { echo "no running node $NAME" >&2; exit 1; }
kill -TERM "$PID"
while kill -0 "$PID" 2>/dev/null; do sleep 0.2; done
rm -rf "$HOME_DIR/data/vault"
"$BIN" start --home "$HOME_DIR" >>".localnet/logs/$NAME.log" 2>&1 &
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do sleep 0.2; done
t2=$(now)
started=$(date +%s)
# Done when nothing placed here is missing, or when the refill has stopped
# making progress for 10 s (a payload no registered vault holds, such as
# one a demo uploaded to a vault of its own, can never be fetched).
t_last=$t2; last_bytes=0
while :; do
  last=$(metric "$URL" vault_reconcile_last_success_timestamp_seconds); under=$(metric "$URL" vault_under_replicated)
  bytes=$(metric "$URL" vault_repair_bytes_total); bytes=${bytes:-0}
  if [ "$bytes" != "$last_bytes" ]; then last_bytes=$bytes; t_last=$(now); fi
  [ -n "$last" ] && [ "$last" -ge "$started" ] && [ "$under" = 0 ] && break
  [ "$(echo "$(now) - $t_last > 10" | bc)" = 1 ] && [ "$bytes" -gt 0 ] && break
  sleep 0.2
done
t_fill=$(echo "$t_last - $t2" | bc)
printf '%s emptied and restarted: refilled %.1f MiB in %.1f s from its vault starting (%.1f MiB/s); under-replicated now %s\n' \
  "$NAME" "$(echo "$bytes / 1048576" | bc -l)" "$t_fill" "$(echo "$bytes / 1048576 / $t_fill" | bc -l)" "$under"
[ "$under" = 0 ] || echo "($under live CIDs placed on $NAME are held by no registered vault, e.g. uploads to a demo's own vault)"
