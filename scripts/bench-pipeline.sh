#!/usr/bin/env bash
# Issue 6's performance check: the record pipeline against the age tool,
# on the same machine in the same run.
#
#   upload   = read file, encrypt (age, post-quantum recipient), chunk into
#              the UnixFS DAG, send over loopback HTTP to a real vault that
#              verifies and fsyncs every block (medclient.Upload); the vault
#              runs on the same cores as the client
#   client   = the uploader's share alone: the same, with the CAR stream
#              going to io.Discard instead of a vault (a vault elsewhere)
#   download = fetch the CAR, verify every block, decrypt, write a temp file
#              and rename it (medclient.DownloadFile)
#   age      = `age -r <pq recipient> -o out FILE` and `age -d`, the pinned
#              tools/ version (filippo.io/age v1.3.1)
#
# Then the peak RSS of the pipeline for a small and a large file, each in a
# process of its own: it must stay flat as the file grows.
#
# Usage: scripts/bench-pipeline.sh [SIZE_MIB] [RSS_SMALL_MIB] [RSS_LARGE_MIB]
# (defaults 256, 64 and 1024). Needs about 4x the largest size in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

size=${1:-256}
small=${2:-64}
large=${3:-1024}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building the age tool and the medclient benchmark..." >&2
go build -modfile tools/go.mod -o "$work/age" filippo.io/age/cmd/age
go build -modfile tools/go.mod -o "$work/age-keygen" filippo.io/age/cmd/age-keygen
go test -c -o "$work/medclient.test" ./medclient

"$work/age-keygen" -pq -o "$work/key" 2>/dev/null
recipient=$("$work/age-keygen" -y "$work/key")

mbps() { # bytes seconds
	awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'
}

# best of three wall-clock runs of a command, in seconds
best_of_3() {
	local best=""
	for _ in 1 2 3; do
		local start end t
		start=$(date +%s.%N)
		"$@" >/dev/null
		end=$(date +%s.%N)
		t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
		if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
	done
	echo "$best"
}

# bench NAME SIZE_MIB: the pipeline benchmark's MB/s and peak RSS (MiB)
bench() {
	MEDCHAIN_BENCH_FILE="$work/in-$2" "$work/medclient.test" -test.run '^$' -test.bench "^$1\$" -test.benchtime 3x |
		awk '/^Benchmark/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "MB/s") mb = $i; if ($(i+1) == "peak-RSS-MiB") rss = $i } } END { print mb, rss }'
}

for s in "$size" "$small" "$large"; do
	[ -f "$work/in-$s" ] || head -c $((s << 20)) /dev/urandom >"$work/in-$s"
done
bytes=$((size << 20))

echo "age encrypt, $size MiB..." >&2
t_enc=$(best_of_3 "$work/age" -r "$recipient" -o "$work/enc" "$work/in-$size")
echo "age decrypt, $size MiB..." >&2
t_dec=$(best_of_3 "$work/age" -d -i "$work/key" -o "$work/dec" "$work/enc")
rm -f "$work/enc" "$work/dec"
echo "pipeline, $size MiB..." >&2
read -r up_mb up_rss < <(bench BenchmarkUpload "$size")
read -r cl_mb _ < <(bench BenchmarkUploadClient "$size")
read -r down_mb down_rss < <(bench BenchmarkDownload "$size")
echo "peak RSS, $small MiB and $large MiB..." >&2
read -r _ rss_small < <(bench BenchmarkUpload "$small")
read -r _ rss_large < <(bench BenchmarkUpload "$large")
read -r _ drss_small < <(bench BenchmarkDownload "$small")
read -r _ drss_large < <(bench BenchmarkDownload "$large")

age_enc=$(mbps "$bytes" "$t_enc")
age_dec=$(mbps "$bytes" "$t_dec")
cat <<EOT

$(go version) on $(nproc) cores, $(uname -m); file of $size MiB
                         MB/s    vs age   (goal: at least 0.50)
age encrypt (CLI)      $(printf '%6s' "$age_enc")
records upload         $(printf '%6s' "${up_mb%.*}")    $(awk -v a="$up_mb" -v b="$age_enc" 'BEGIN { printf "%.2f", a / b }')   (client and vault on these cores)
  client side alone    $(printf '%6s' "${cl_mb%.*}")    $(awk -v a="$cl_mb" -v b="$age_enc" 'BEGIN { printf "%.2f", a / b }')   (vault elsewhere)
age decrypt (CLI)      $(printf '%6s' "$age_dec")
records download       $(printf '%6s' "${down_mb%.*}")    $(awk -v a="$down_mb" -v b="$age_dec" 'BEGIN { printf "%.2f", a / b }')

peak RSS (MiB)          $small MiB   $large MiB
records upload         $(printf '%6s' "$rss_small")   $(printf '%6s' "$rss_large")
records download       $(printf '%6s' "$drss_small")   $(printf '%6s' "$drss_large")
EOT
