#!/usr/bin/env bash
# The cold-archive figures (docs/archive.md): archives MIB MiB (default
# 2048) of records between 64 KiB and 48 MiB from a vault store into
# Filecoin pieces, and reads the same CARs to /dev/null first (the plain
# `cat` of the same blocks) in the same run. Prints both rates and the
# archive's peak RSS. Needs about 3 × MIB of free space under TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-2048}
MEDCHAIN_BENCH_ARCHIVE_MIB=$MIB go test ./vault/archive/ -run '^$' -bench '^BenchmarkArchive$' -benchtime 1x -timeout 30m
