#!/usr/bin/env bash
# The dashboards suite: the compose file validates with every Compose CLI on
# this machine (Debian's docker-compose v1 and, where installed, the docker
# compose v2 plugin; the Compose Specification itself is checked by the Go
# tests), then the Go checker runs every dashboard query against a database
# written with the daemon's store code.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bash/lib/common.sh"

readonly COMPOSE_FILE="dashboard/docker-compose.yml"

compose_config() {
	local checked=0
	if command -v docker-compose >/dev/null; then
		docker-compose -f "${COMPOSE_FILE}" config -q
		vigia::info "docker-compose $(docker-compose version --short): ${COMPOSE_FILE} valid"
		checked=$((checked + 1))
	fi
	if docker compose version >/dev/null 2>&1; then
		docker compose -f "${COMPOSE_FILE}" config -q
		vigia::info "docker compose $(docker compose version --short): ${COMPOSE_FILE} valid"
		checked=$((checked + 1))
	fi
	((checked)) || vigia::die "neither docker-compose nor docker compose is installed"
}

main() {
	(($# == 0)) || vigia::die "usage: ${0##*/} (takes no arguments)"
	cd "${VIGIA_ROOT}"
	export PATH="${PATH}:/usr/local/go/bin"
	compose_config
	(cd go-daemon && go test -count=1 ./internal/dashcheck/)
}

main "$@"
