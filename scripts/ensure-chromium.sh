#!/usr/bin/env bash
# Makes sure a Chromium (or Chrome) for the browser tests is installed and
# prints its path. Installs it with apt-get when run as root; otherwise prints
# the command to run and fails. Quiet on success apart from the path.
set -euo pipefail

find_browser() {
	local b
	for b in chromium chromium-browser google-chrome google-chrome-stable; do
		if command -v "$b" >/dev/null 2>&1; then
			command -v "$b"
			return 0
		fi
	done
	return 1
}

if find_browser; then
	exit 0
fi

packages=(chromium chromium-driver fonts-dejavu-core)
install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-chromium: no chromium on PATH and no apt-get; install Chromium (or Chrome) with your package manager" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-chromium: no chromium on PATH; install it with:" >&2
	echo "  sudo sh -c '$install_cmd'" >&2
	exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "ensure-chromium: installing ${packages[*]} failed" >&2
	exit 1
fi

if ! find_browser; then
	echo "ensure-chromium: installed ${packages[*]} but found no chromium on PATH" >&2
	exit 1
fi
