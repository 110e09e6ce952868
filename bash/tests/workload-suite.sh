#!/usr/bin/env bash
# Runs the bash/ part's suites for bash/test.sh:
#   workload  the images and the generator against the real Docker engine
#             (workload.bats, generate.bats)
#   cron      the cron entry's rendering and a real Debian cron daemon running
#             it (cron.bats)
# Exits 77 with the reason on the last line when this machine cannot run one.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

readonly SKIP=77

cannot_run() {
	printf '%s\n' "$*"
	exit "${SKIP}"
}

need_docker() {
	command -v docker >/dev/null || cannot_run "the docker CLI is not installed"
	docker version >/dev/null 2>&1 || cannot_run "the Docker engine is not reachable"
}

main() {
	(($# == 1)) || vigia::die "usage: ${0##*/} workload|cron"
	command -v bats >/dev/null || cannot_run "bats is not installed (bash/install-deps.sh)"
	cd "${VIGIA_ROOT}"
	case "$1" in
	workload)
		need_docker
		command -v gcc >/dev/null || cannot_run "gcc is not installed"
		bats bash/tests/workload.bats bash/tests/generate.bats
		;;
	cron)
		[[ -x /usr/sbin/cron ]] || cannot_run "Debian's cron is not installed (bash/install-deps.sh)"
		((EUID == 0)) || cannot_run "needs root: it installs an entry in /etc/cron.d"
		need_docker
		bats bash/tests/cron.bats
		;;
	*) vigia::die "unknown suite: $1 (workload or cron)" ;;
	esac
}

main "$@"
