#!/usr/bin/env bash
# Prints the path of a Chromium for the portal's browser tests, installing
# Debian's chromium package with apt-get if none is on PATH. The tests
# drive it headless over the DevTools protocol (chromedp).
set -euo pipefail

find_chromium() {
	local name
	for name in chromium chromium-browser google-chrome; do
		if command -v "${name}" >/dev/null 2>&1; then
			command -v "${name}"
			return 0
		fi
	done
	return 1
}

if find_chromium; then
	exit 0
fi
echo "chromium.sh: no Chromium on PATH, installing Debian's chromium package" >&2
command -v apt-get >/dev/null 2>&1 || { echo "chromium.sh: apt-get is unavailable; install Chromium by hand" >&2; exit 1; }
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "chromium.sh: installing Chromium needs root: sudo apt-get install -y chromium" >&2; exit 1; }
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q chromium >&2; then
	"${sudo[@]}" apt-get update -q >&2
	"${sudo[@]}" apt-get install -y -q chromium >&2
fi
find_chromium
