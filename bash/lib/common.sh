#!/usr/bin/env bash
# Shared helpers for vigia's scripts: logging to stderr with a timestamp, and the
# configuration loader that reads vigia.conf the same way the daemon does.
#
# Source it; it defines functions and VIGIA_ROOT, and runs nothing else.

VIGIA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly VIGIA_ROOT

vigia::log() {
	local level="$1"
	shift
	printf '%s %-5s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${level}" \
		"${0##*/}" "$*" >&2
}

vigia::info() { vigia::log INFO "$@"; }
vigia::warn() { vigia::log WARN "$@"; }
vigia::error() { vigia::log ERROR "$@"; }

vigia::die() {
	vigia::error "$@"
	exit 1
}

# vigia::config_file_read FILE: sets every KEY=value of FILE that is not already
# set in the environment. Lines that are not comments, blank or KEY=value are an
# error naming the file and line.
vigia::config_file_read() {
	local file="$1" line key value n=0
	while IFS= read -r line || [[ -n "${line}" ]]; do
		n=$((n + 1))
		[[ -z "${line//[[:space:]]/}" || "${line}" =~ ^[[:space:]]*# ]] && continue
		if [[ ! "${line}" =~ ^(VIGIA_[A-Z0-9_]+)=(.*)$ ]]; then
			vigia::die "${file}:${n}: not a KEY=value line: ${line}"
		fi
		key="${BASH_REMATCH[1]}"
		value="${BASH_REMATCH[2]}"
		if [[ -z "${!key+set}" ]]; then
			printf -v "${key}" '%s' "${value}"
			export "${key?}"
		fi
	done <"${file}"
}

# vigia::config_load: environment first, then the installed file, then the
# shipped defaults; each layer only fills what the previous ones left unset.
vigia::config_load() {
	local installed="${VIGIA_CONFIG:-/etc/vigia/vigia.conf}"
	if [[ -r "${installed}" ]]; then
		vigia::config_file_read "${installed}"
	elif [[ -n "${VIGIA_CONFIG:-}" ]]; then
		vigia::die "VIGIA_CONFIG=${VIGIA_CONFIG}: cannot read the file"
	fi
	vigia::config_file_read "${VIGIA_ROOT}/vigia.conf"
	vigia::config_check
}

vigia::config_check() {
	[[ "${VIGIA_ID}" =~ ^[A-Za-z0-9_]{1,32}$ ]] ||
		vigia::die "VIGIA_ID=${VIGIA_ID}: want 1 to 32 letters, digits or '_'"
	[[ "${VIGIA_PROC_MODE}" =~ ^0?[0-7]{3}$ ]] ||
		vigia::die "VIGIA_PROC_MODE=${VIGIA_PROC_MODE}: want octal permission bits such as 0400"
	[[ "${VIGIA_BATCH}" =~ ^[0-9]+$ && "${VIGIA_BATCH}" -ge 1 && "${VIGIA_BATCH}" -le 1000 ]] ||
		vigia::die "VIGIA_BATCH=${VIGIA_BATCH}: want a whole number from 1 to 1000"
	[[ "${VIGIA_CRON_FILE}" == /* ]] ||
		vigia::die "VIGIA_CRON_FILE=${VIGIA_CRON_FILE}: want an absolute path"
	[[ "${VIGIA_LOG_DIR}" == /* ]] ||
		vigia::die "VIGIA_LOG_DIR=${VIGIA_LOG_DIR}: want an absolute path"
	[[ "${VIGIA_INSTANCE-}" =~ ^[A-Za-z0-9_.-]{0,64}$ ]] ||
		vigia::die "VIGIA_INSTANCE=${VIGIA_INSTANCE}: want at most 64 letters, digits, '_', '.' or '-'"
}
