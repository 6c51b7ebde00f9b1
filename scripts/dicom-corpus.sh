#!/usr/bin/env bash
# Makes a corpus of real DICOM files available for deid's corpus test,
# without root, and prints the directory that holds them:
#
#   export MEDCHAIN_DICOM_CORPUS=$(scripts/dicom-corpus.sh)
#   go test ./medclient/deid/ -run Corpus -v
#
# The files are pydicom's test files, as Debian packages them in
# python3-pydicom (2.3.1 in Debian 12: CT_small.dcm, MR_small*.dcm in
# several transfer syntaxes, rtplan.dcm, rtstruct.dcm, JPEG2000.dcm, ...).
#   - If python3-pydicom is installed, its directory is used as is.
#   - Otherwise the package is fetched with `apt-get download` (no root
#     needed) into a cache directory, $DICOM_CORPUS_CACHE or
#     .cache/dicom-corpus under the repository root, and unpacked there with
#     `dpkg-deb -x`. Set PYDICOM_DEB to a python3-pydicom .deb already on
#     disk to skip the download.
# No DICOM file is ever added to the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rel=usr/lib/python3/dist-packages/pydicom/data/test_files

if [ -d "/$rel" ]; then
	echo "/$rel"
	exit 0
fi

cache="${DICOM_CORPUS_CACHE:-$root/.cache/dicom-corpus}"
if [ ! -f "$cache/$rel/CT_small.dcm" ]; then
	for tool in dpkg-deb; do
		command -v "$tool" >/dev/null || { echo "dicom-corpus: $tool is needed" >&2; exit 1; }
	done
	mkdir -p "$cache"
	deb="${PYDICOM_DEB:-}"
	if [ -z "$deb" ]; then
		deb=$(ls "$cache"/python3-pydicom_*.deb 2>/dev/null | head -n 1 || true)
	fi
	if [ -z "$deb" ]; then
		command -v apt-get >/dev/null || { echo "dicom-corpus: apt-get is needed (or set PYDICOM_DEB)" >&2; exit 1; }
		(cd "$cache" && apt-get download python3-pydicom >&2) ||
			{ echo "dicom-corpus: apt-get download python3-pydicom failed (try apt-get update, or set PYDICOM_DEB)" >&2; exit 1; }
		deb=$(ls "$cache"/python3-pydicom_*.deb | head -n 1)
	fi
	dpkg-deb -x "$deb" "$cache"
	[ -f "$cache/$rel/CT_small.dcm" ] || { echo "dicom-corpus: $deb holds no $rel/CT_small.dcm" >&2; exit 1; }
fi
echo "$cache/$rel"
