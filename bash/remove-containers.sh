#!/usr/bin/env bash
# Removes every container vigia created: those labelled io.vigia.managed=true,
# running or not, of VIGIA_INSTANCE (none labelled with an instance when it is
# empty, as the daemon counts them). Never a
# container without that label, never Grafana (io.vigia.role=grafana) even if
# it carried it.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=bash/lib/workload.sh
source "${VIGIA_ROOT}/bash/lib/workload.sh"

usage() {
	cat <<USAGE
Usage: ${0##*/} [--dry-run] [--label KEY=VALUE]...

Force-removes (docker rm --force) every container labelled
${VIGIA_LABEL_MANAGED}=true whose ${VIGIA_LABEL_INSTANCE} label equals VIGIA_INSTANCE
(absent when that is empty), except the Grafana container. Prints the name of each container
removed, one a line.

  --dry-run          print what would be removed, remove nothing
  --label KEY=VALUE  only containers that also carry this label (repeatable)
USAGE
}

main() {
	local dry_run=0 id name role failed=0
	local -a filters=(--filter "label=${VIGIA_LABEL_MANAGED}=true") ids=() names=()
	while (($#)); do
		case "$1" in
		--dry-run) dry_run=1 ;;
		--label)
			if (($# < 2)) || [[ ! "$2" =~ ^[A-Za-z0-9._/-]+=.*$ ]]; then
				vigia::die "--label needs KEY=VALUE"
			fi
			filters+=(--filter "label=$2")
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
	vigia::config_load
	if [[ -n "${VIGIA_INSTANCE:-}" ]]; then
		filters+=(--filter "label=${VIGIA_LABEL_INSTANCE}=${VIGIA_INSTANCE}")
	fi
	vigia::docker_check
	# "|" splits the fields: an empty label must not shift the others.
	while IFS="|" read -r id name role instance; do
		if [[ "${role}" == grafana ]]; then
			vigia::warn "skipping ${name}: it is Grafana (${VIGIA_LABEL_ROLE}=grafana)"
			continue
		fi
		# Instances partition vigia's containers as they do for the daemon:
		# with VIGIA_INSTANCE empty, a labelled test run or soak is not ours.
		if [[ "${instance}" != "${VIGIA_INSTANCE:-}" ]]; then
			continue
		fi
		ids+=("${id}")
		names+=("${name}")
	done < <(docker ps --all --no-trunc "${filters[@]}" \
		--format "{{.ID}}|{{.Names}}|{{.Label \"${VIGIA_LABEL_ROLE}\"}}|{{.Label \"${VIGIA_LABEL_INSTANCE}\"}}")
	if ((${#ids[@]} == 0)); then
		vigia::info "no vigia container to remove"
		return 0
	fi
	if ((dry_run)); then
		vigia::info "dry run: would remove ${#ids[@]} container(s)"
		printf '%s\n' "${names[@]}"
		return 0
	fi
	# One call for all: docker removes each it can and names each it cannot.
	docker rm --force "${ids[@]}" >/dev/null || failed=1
	((failed == 0)) || vigia::die "some of the ${#ids[@]} container(s) could not be removed (docker said why above)"
	printf '%s\n' "${names[@]}"
	vigia::info "removed ${#ids[@]} container(s)"
}

main "$@"
