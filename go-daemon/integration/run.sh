#!/usr/bin/env bash
# Runs the daemon's integration tests: the real vigia binary against the real
# Docker engine, with the workload images built by bash/build-images.sh.
# Exits 77 (cannot run here) when no Docker engine answers; bash/test.sh
# counts that as a failure under CI=true.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly SKIP=77

usage() {
	cat <<USAGE
Usage: ${0##*/} [-run REGEXP]

Builds the workload images, then runs go test -tags integration on
go-daemon/integration. -run limits the tests, as with go test.
USAGE
}

main() {
	local -a run=()
	while (($#)); do
		case "$1" in
		-run)
			(($# >= 2)) || vigia::die "-run needs a regular expression"
			run=(-run "$2")
			shift
			;;
		-h | --help)
			usage
			return 0
			;;
		*)
			usage >&2
			vigia::die "unknown argument: $1"
			;;
		esac
		shift
	done
	if ! docker info >/dev/null 2>&1; then
		printf 'no Docker engine answers (docker info failed): the integration tests need one\n'
		return "${SKIP}"
	fi
	"${VIGIA_ROOT}/bash/build-images.sh"
	cd "${VIGIA_ROOT}/go-daemon"
	go test -tags integration -count=1 -timeout 15m -v "${run[@]}" ./integration/
}

main "$@"
