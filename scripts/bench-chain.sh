#!/usr/bin/env bash
# Committed transaction throughput of medchain with real signed
# transactions (scripts/bench-chain): independent uploaders register their
# encryption keys, then send an interleaved mix of MsgCreateRecord, MsgSend
# and MsgGrantAccess; it prints a Markdown table and a JSON summary line.
# Builds medchaind first if needed; every argument goes to the tool.
#
#   # single node (a fresh one-validator chain in a temp dir, ports 28600-28607), 100 uploaders:
#   scripts/bench-chain.sh -uploaders 100
#
#   # the same after 100k records on chain (prefill, timed, then the measured run):
#   scripts/bench-chain.sh -uploaders 100 -prefill 100000
#
#   # the four-node localnet (`make localnet` running), uploaders spread over its RPC endpoints:
#   scripts/bench-chain.sh -mode remote -node tcp://127.0.0.1:27001 \
#     -nodes tcp://127.0.0.1:27001,tcp://127.0.0.1:27011,tcp://127.0.0.1:27021,tcp://127.0.0.1:27031 \
#     -grpc 127.0.0.1:27002,127.0.0.1:27012,127.0.0.1:27022,127.0.0.1:27032 \
#     -home .localnet/client -funder alice -uploaders 100
#
#   # CheckAccess q/s over gRPC (32 callers, 20 s) on the records the run created:
#   scripts/bench-chain.sh -uploaders 100 -check-qps -check-concurrency 32 -check-duration 20s
#
# Other flags: -presigned (sign everything first), -cpuprofile node.pprof
# (single mode), -duration 5m (cap), -records/-sends/-grants per uploader,
# -port-base, -keep; `go run ./scripts/bench-chain -h` lists them all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./build/medchaind}
if [ ! -x "$BIN" ] || [ -n "$(find cmd app x envelope medclient vault go.mod -newer "$BIN" -name '*.go' -o -newer "$BIN" -name go.mod 2>/dev/null | head -1)" ]; then
  make build >&2
fi
exec go run ./scripts/bench-chain -bin "$BIN" "$@"
