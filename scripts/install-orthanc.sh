#!/usr/bin/env bash
# Installs the Orthanc PACS server and its DICOMweb plugin (Debian 12's
# orthanc 1.10 and orthanc-dicomweb 1.7) for the tests that run real
# Orthanc servers (testutil/orthanc), and prints two lines:
#
#   ORTHANC_BIN=/usr/sbin/Orthanc
#   ORTHANC_DICOMWEB_PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
#
# so that `eval "$(scripts/install-orthanc.sh)"; export ORTHANC_BIN
# ORTHANC_DICOMWEB_PLUGIN` points the tests at them. Idempotent: nothing is
# installed when both are already there. The packages' system service is
# not needed (the tests start their own servers on free loopback ports).
#
#   scripts/install-orthanc.sh --check   installs nothing: prints the two
#                                        lines and exits 0 if both are
#                                        there, exits 1 otherwise
set -euo pipefail
check_only=false
[ "${1:-}" = "--check" ] && check_only=true

plugin_candidates=(
	/usr/share/orthanc/plugins/libOrthancDicomWeb.so
	/usr/lib/orthanc/plugins/libOrthancDicomWeb.so
)

find_orthanc() {
	if [ -n "${ORTHANC_BIN:-}" ] && [ -x "${ORTHANC_BIN}" ]; then
		echo "${ORTHANC_BIN}"
		return 0
	fi
	command -v Orthanc 2>/dev/null && return 0
	# /usr/sbin is not on every user's PATH.
	[ -x /usr/sbin/Orthanc ] && { echo /usr/sbin/Orthanc; return 0; }
	return 1
}

find_plugin() {
	local p
	if [ -n "${ORTHANC_DICOMWEB_PLUGIN:-}" ] && [ -f "${ORTHANC_DICOMWEB_PLUGIN}" ]; then
		echo "${ORTHANC_DICOMWEB_PLUGIN}"
		return 0
	fi
	for p in "${plugin_candidates[@]}"; do
		[ -f "$p" ] && { echo "$p"; return 0; }
	done
	# Wherever the package put it.
	if command -v dpkg >/dev/null 2>&1; then
		p=$(dpkg -L orthanc-dicomweb 2>/dev/null | grep -m1 'libOrthancDicomWeb\.so' || true)
		[ -n "$p" ] && [ -f "$p" ] && { echo "$p"; return 0; }
	fi
	return 1
}

if ! find_orthanc >/dev/null || ! find_plugin >/dev/null; then
	$check_only && { echo "install-orthanc.sh: Orthanc or its DICOMweb plugin is missing" >&2; exit 1; }
	echo "install-orthanc.sh: installing Debian's orthanc and orthanc-dicomweb" >&2
	command -v apt-get >/dev/null 2>&1 || { echo "install-orthanc.sh: apt-get is unavailable; install orthanc and orthanc-dicomweb by hand" >&2; exit 1; }
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "install-orthanc.sh: installing needs root: sudo apt-get install -y --no-install-recommends orthanc orthanc-dicomweb" >&2; exit 1; }
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends orthanc orthanc-dicomweb >&2; then
		"${sudo[@]}" apt-get update -q >&2
		"${sudo[@]}" apt-get install -y -q --no-install-recommends orthanc orthanc-dicomweb >&2
	fi
fi

bin=$(find_orthanc) || { echo "install-orthanc.sh: no Orthanc binary after the install" >&2; exit 1; }
plugin=$(find_plugin) || { echo "install-orthanc.sh: no libOrthancDicomWeb.so after the install" >&2; exit 1; }
echo "ORTHANC_BIN=${bin}"
echo "ORTHANC_DICOMWEB_PLUGIN=${plugin}"
