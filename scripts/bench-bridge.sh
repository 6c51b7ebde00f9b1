#!/usr/bin/env bash
# DICOMweb bridge figures (docs/bridge.md): a four-hospital network, two
# real Orthanc PACS (Debian's orthanc and orthanc-dicomweb, installed by
# scripts/install-orthanc.sh) and two bridges, started and stopped by the
# measurement itself (internal/localnet TestBridgeFigures):
#   - a 100-instance study from St Mary's PACS push to its committed record;
#   - Karolinska's PACS retrieving it;
#   - the chain's own record rate in the same run (three patients storing
#     records with `medchaind tx records upload`, one record per transaction);
#   - a backfill of BRIDGE_BACKFILL studies (default 1000) in studies (and
#     records) per second, and its ratio to the chain's rate.
# Bounded: it gives up after 40 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
make build >/dev/null
MEDCHAIN_DICOM_CORPUS=$(scripts/dicom-corpus.sh)
export MEDCHAIN_DICOM_CORPUS MEDCHAIND_BIN=$PWD/build/medchaind MEDCHAIN_BENCH_BRIDGE=1
go test -tags e2e -count=1 -timeout 40m -run '^TestBridgeFigures$' -v ./internal/localnet/ 2>&1 |
	grep -E 'bridge_bench_e2e_test|^(--- |ok|FAIL|PASS)'
