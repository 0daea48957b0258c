#!/usr/bin/env bash
# What `make test` runs. Extra arguments go to `go test` (default packages: ./...).
#
# The tests find a database themselves (internal/platform/testdb): the server in
# TEST_DATABASE_URL, else a private cluster of their own in .data/pg-test that
# they start with settings for throwaway data (no fsync). If it was not running
# before this run, it is stopped and removed afterwards: a cluster run without
# fsync is not worth keeping.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-chromium.sh >/dev/null

# GORACE=atexit_sleep_ms=0: a race-detector binary otherwise sleeps a second
# as it exits (ThreadSanitizer's default), once per package and once per
# `lumdesk serve` a test starts from a race build.
export GORACE="${GORACE:-atexit_sleep_ms=0}"

stoppg=(go run ./internal/platform/localpg/cmd/stoppg)
testpg=.data/pg-test
pg_was_running=0
if "${stoppg[@]}" -status "$testpg" >/dev/null 2>&1; then
	pg_was_running=1
fi

cleanup() {
	if [ "$pg_was_running" = 0 ] && [ -d "$testpg" ]; then
		if "${stoppg[@]}" "$testpg"; then
			rm -rf "$testpg" "$testpg.log"
		else
			echo "test.sh: could not stop the tests' PostgreSQL cluster in $testpg" >&2
		fi
	fi
}
trap cleanup EXIT

args=("$@")
has_pkg=0
for a in "${args[@]+"${args[@]}"}"; do
	case "$a" in
	./* | ../* | lumdesk/* | lumdesk) has_pkg=1 ;;
	esac
done
if [ "$has_pkg" = 1 ]; then
	go test -race -count=1 -timeout 20m "${args[@]}"
	exit
fi

# Every package but the browser tests runs under the race detector. The
# browser tests drive the same handlers (which their own tests run under
# -race) through Chromium; under -race the in-process server runs several
# times slower and the package alone took most of the 15-minute budget.
# Both runs share the machine, as the packages of one run would.
# Two packages at a time (GOMAXPROCS here), each running two tests at once
# (their t.Parallel). Four packages of two tests each, beside the browser
# tests, took 22.7 minutes on the 2-core machine (the browser tests alone
# 871 s): the one Postgres and the cores were the queue. Two took 17.7
# (the browser tests 543 s).
#
# -vet=off: `make check` (CI's first step) vets every package with all of
# vet's checks; go test's own subset would vet them again. -ldflags=-w: no
# debug info in the test binaries (a panic's trace does not need it), a
# second less to link each test binary after a change below it.
mapfile -t pkgs < <(go list ./... | grep -v '^lumdesk/e2e$')
began=$SECONDS
timed() { # timed LABEL COMMAND...: runs it and says when its side finished
	local label=$1 rc=0
	shift
	"$@" || rc=$?
	echo "test.sh: $label finished after $((SECONDS - began)) s (exit $rc)" >&2
	return "$rc"
}
timed packages go test -race -vet=off -ldflags=-w -count=1 -p 2 -timeout 20m "${args[@]+"${args[@]}"}" "${pkgs[@]}" &
race=$!
e2e=0
timed "browser tests" go test -vet=off -ldflags=-w -count=1 -timeout 20m "${args[@]+"${args[@]}"}" ./e2e || e2e=$?
unit=0
wait "$race" || unit=$?
if [ "$unit" != 0 ] || [ "$e2e" != 0 ]; then
	echo "test.sh: FAIL (packages: exit $unit, browser tests: exit $e2e)" >&2
	exit 1
fi
