# Shared by the demo scripts (sourced, not run): talking to a running
# `make localnet` through medchaind. Callers set BIN and TX_FLAGS.

say() { printf '\n== %s\n' "$*"; }
addr() { "$BIN" keys show "$1" -a; }

# wait_tx HASH: wait for the block and fail unless the tx succeeded; prints
# the height.
wait_tx() {
  local hash=$1 out
  for _ in $(seq 1 30); do
    if out=$("$BIN" query tx "$hash" -o json 2>/dev/null); then
      if [ "$(jq -r .code <<<"$out")" != 0 ]; then
        echo "transaction $hash failed: $(jq -r .raw_log <<<"$out")" >&2
        return 1
      fi
      jq -r .height <<<"$out"
      return 0
    fi
    sleep 1
  done
  echo "transaction $hash was not included in 30s" >&2
  return 1
}

# send ARGS...: broadcast `medchaind tx ARGS`, wait for its block and print
# the height; a refusal at CheckTx fails with the chain's reason.
send() {
  local out
  out=$("$BIN" tx "$@" "${TX_FLAGS[@]}")
  if [ "$(jq -r .code <<<"$out")" != 0 ]; then
    echo "refused: $(jq -r .raw_log <<<"$out")" >&2
    return 1
  fi
  wait_tx "$(jq -r .txhash <<<"$out")"
}

# signing_vault DIR: make DIR the --home of a standalone `medchaind vault
# serve` that signs upload receipts as st-mary, and set SIGNING_VAULT to the
# flags that say so (with --home DIR). A record claims a CID only with the
# receipt a hospital's vault signed for its uploader, so uploads to a vault
# without --hospital-key cannot be registered. The key is copied from the
# client home's unencrypted test keyring, a localnet convenience; a
# hospital's vault keeps it in the node's encrypted file keyring
# (docs/operations.md).
signing_vault() {
  mkdir -p "$1"
  cp -r "${MEDCHAIN_HOME:?}/keyring-test" "$1/"
  SIGNING_VAULT=(--home "$1" --hospital "$(addr st-mary)" --hospital-key st-mary --keyring-backend test)
}

command -v jq >/dev/null || { echo "this script needs jq (apt-get install jq)" >&2; exit 1; }
