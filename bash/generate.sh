#!/usr/bin/env bash
# The workload generator: starts VIGIA_BATCH containers (10 by default), each
# from an image chosen at random among vigia/ram, vigia/cpu and vigia/low. Cron
# runs it every minute (bash/cron/vigia.cron.in).
#
# Every container gets a unique name, vigia-<kind>-<UTC yyyymmddHHMMSS>-<6 hex>,
# the labels io.vigia.managed=true, io.vigia.class and io.vigia.kind (and
# io.vigia.instance=VIGIA_INSTANCE when that is set), and no network. It creates containers only: it never stops or removes any.
#
# TODO: generator.log grows by about 2 MB a day at one run a minute; a logrotate
# rule installed by `make install` would bound it. Not yet: installing system
# files belongs to the install target, which has no rotation rule for any log.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=bash/lib/workload.sh
source "${VIGIA_ROOT}/bash/lib/workload.sh"

readonly DEFAULT_LOCK=/run/lock/vigia-generator.lock
# Exit status when another run holds the lock (EX_TEMPFAIL of sysexits.h).
readonly EX_LOCKED=75
# Tries per container when a name is already taken.
readonly NAME_TRIES=3

LOG_FILE=""

usage() {
	cat <<USAGE
Usage: ${0##*/} [--count N] [--dry-run] [--label KEY=VALUE]... [--log FILE|-] [--lock FILE]

Starts N containers (default VIGIA_BATCH=${VIGIA_BATCH:-10}) from images chosen at random
among vigia/ram, vigia/cpu and vigia/low (build them with: make images), labelled
io.vigia.instance=VIGIA_INSTANCE too when that is set. Prints the name of each
container started, one a line, on standard output.

  --count N          how many containers to start, 1 to 1000
  --dry-run          check Docker and the images, print what would start, start nothing
  --label KEY=VALUE  one more label on every container (repeatable; the io.vigia.*
                     labels are set by the generator and cannot be given)
  --log FILE         append the log to FILE as well as to standard error
                     (default VIGIA_LOG_DIR/generator.log; '-': standard error only)
  --lock FILE        the lock that keeps runs from overlapping (default ${DEFAULT_LOCK});
                     a run that finds it held logs that and exits ${EX_LOCKED}
USAGE
}

# Every log line also goes to LOG_FILE once it is open (die included).
vigia::log() {
	local line
	printf -v line '%s %-5s %s: %s' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${0##*/}" "${*:2}"
	printf '%s\n' "${line}" >&2
	if [[ -n "${LOG_FILE}" ]]; then
		printf '%s\n' "${line}" >>"${LOG_FILE}" || true
	fi
}

open_log() {
	local file="$1"
	[[ "${file}" == - ]] && return
	mkdir -p "$(dirname "${file}")" || vigia::die "cannot create the log directory of ${file}"
	: >>"${file}" || vigia::die "cannot append to the log file ${file}"
	LOG_FILE="${file}"
}

# take_lock FILE: holds an exclusive flock on FILE until the script exits.
take_lock() {
	local file="$1" fd
	mkdir -p "$(dirname "${file}")"
	exec {fd}>>"${file}" || vigia::die "cannot open the lock file ${file}"
	if ! flock -n "${fd}"; then
		vigia::warn "another generator run holds ${file}: this run starts nothing"
		exit "${EX_LOCKED}"
	fi
}

random_hex6() {
	local hex
	hex="$(od -An -N3 -tx1 /dev/urandom)"
	hex="${hex//[[:space:]]/}"
	printf '%s\n' "${hex}"
}

# start_one KIND CLASS DRY_RUN LABEL_ARGS...: starts one container; prints its name.
start_one() {
	local kind="$1" class="$2" dry_run="$3" name try out
	shift 3
	for ((try = 1; try <= NAME_TRIES; try++)); do
		name="vigia-${kind}-$(date -u +%Y%m%d%H%M%S)-$(random_hex6)"
		if ((dry_run)); then
			vigia::info "dry run: would start ${name} (class ${class})"
			printf '%s\n' "${name}"
			return 0
		fi
		if out="$(docker run --detach --name "${name}" --network none \
			--label "${VIGIA_LABEL_MANAGED}=true" \
			--label "${VIGIA_LABEL_CLASS}=${class}" \
			--label "${VIGIA_LABEL_KIND}=${kind}" \
			"$@" "vigia/${kind}:latest" 2>&1)"; then
			vigia::info "started ${name} (${out:0:12}, class ${class})"
			printf '%s\n' "${name}"
			return 0
		fi
		[[ "${out}" == *"is already in use"* ]] || break
		vigia::warn "name ${name} is taken, trying another"
	done
	vigia::error "cannot start a ${kind} container: ${out//$'\n'/ }"
	return 1
}

main() {
	local count="" dry_run=0 log="" lock="${DEFAULT_LOCK}" kind i failed=0
	local -a labels=()
	local -A class=() started=()
	while (($#)); do
		case "$1" in
		--count | --label | --log | --lock)
			(($# >= 2)) || vigia::die "$1 needs a value"
			case "$1" in
			--count) count="$2" ;;
			--log) log="$2" ;;
			--lock) lock="$2" ;;
			--label)
				[[ "$2" =~ ^[A-Za-z0-9._/-]+=[^$'\n']*$ ]] ||
					vigia::die "--label $2: want KEY=VALUE"
				[[ "$2" != io.vigia.* ]] ||
					vigia::die "--label $2: the io.vigia.* labels are the generator's own"
				labels+=(--label "$2")
				;;
			esac
			shift
			;;
		--dry-run) dry_run=1 ;;
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
		labels+=(--label "${VIGIA_LABEL_INSTANCE}=${VIGIA_INSTANCE}")
	fi
	count="${count:-${VIGIA_BATCH}}"
	if [[ ! "${count}" =~ ^[0-9]+$ ]] || ((count < 1 || count > 1000)); then
		vigia::die "--count ${count}: want a whole number from 1 to 1000"
	fi
	open_log "${log:-${VIGIA_LOG_DIR}/generator.log}"
	take_lock "${lock}"
	vigia::docker_check
	for kind in "${VIGIA_KINDS[@]}"; do
		class[${kind}]="$(vigia::image_class "${kind}")"
		started[${kind}]=0
	done

	vigia::info "run: ${count} container(s)${VIGIA_INSTANCE:+, instance ${VIGIA_INSTANCE}}$( ((dry_run)) && echo ', dry run')"
	for ((i = 0; i < count; i++)); do
		kind="${VIGIA_KINDS[RANDOM % ${#VIGIA_KINDS[@]}]}"
		if start_one "${kind}" "${class[${kind}]}" "${dry_run}" "${labels[@]}"; then
			started[${kind}]=$((started[${kind}] + 1))
		else
			failed=$((failed + 1))
		fi
	done
	vigia::info "done: ram ${started[ram]}, cpu ${started[cpu]}, low ${started[low]}, failed ${failed}"
	((failed == 0)) || vigia::die "${failed} of ${count} container(s) did not start"
}

main "$@"
