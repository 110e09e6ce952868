#!/usr/bin/env bash
# Renders bash/cron/vigia.cron.in, the generator's cron.d entry, with the
# effective configuration. The daemon installs the same text (it renders the
# template itself with the same rules; see the template's header).
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly TEMPLATE="${VIGIA_ROOT}/bash/cron/vigia.cron.in"

usage() {
	cat <<USAGE
Usage: ${0##*/} render

Prints the cron.d entry that runs bash/generate.sh on VIGIA_CRON_SCHEDULE,
rendered from bash/cron/vigia.cron.in with the effective configuration
(environment > \$VIGIA_CONFIG or /etc/vigia/vigia.conf > vigia.conf).
USAGE
}

# check_value KEY VALUE: refuses what cron or the shell would reinterpret.
check_value() {
	local key="$1" value="$2"
	if [[ "${value}" == *[$'\n'%\"\\\$\`]* ]]; then
		vigia::die "${key}=${value}: newline, '%', '\"', '\\', '\$' and '\`' cannot go in a cron entry"
	fi
}

check_schedule() {
	local -a fields
	read -r -a fields <<<"${VIGIA_CRON_SCHEDULE}"
	if ((${#fields[@]} != 5)); then
		vigia::die "VIGIA_CRON_SCHEDULE=${VIGIA_CRON_SCHEDULE}: want five cron time fields, such as '* * * * *'"
	fi
	local field
	for field in "${fields[@]}"; do
		[[ "${field}" =~ ^[0-9A-Za-z*/,-]+$ ]] ||
			vigia::die "VIGIA_CRON_SCHEDULE=${VIGIA_CRON_SCHEDULE}: bad field '${field}'"
	done
}

render() {
	local -A values=(
		[VIGIA_CRON_SCHEDULE]="${VIGIA_CRON_SCHEDULE}"
		[VIGIA_ROOT]="${VIGIA_ROOT}"
		[VIGIA_LOG_DIR]="${VIGIA_LOG_DIR}"
		[VIGIA_BATCH]="${VIGIA_BATCH}"
		[VIGIA_CONFIG]="${VIGIA_CONFIG:-}"
		[VIGIA_INSTANCE]="${VIGIA_INSTANCE:-}"
	)
	local key line
	check_schedule
	for key in "${!values[@]}"; do
		check_value "${key}" "${values[${key}]}"
	done
	[[ -r "${TEMPLATE}" ]] || vigia::die "cannot read the template ${TEMPLATE}"
	while IFS= read -r line || [[ -n "${line}" ]]; do
		for key in "${!values[@]}"; do
			line="${line//@${key}@/${values[${key}]}}"
		done
		if [[ "${line}" =~ @VIGIA_[A-Z_]+@ ]]; then
			vigia::die "${TEMPLATE}: unknown placeholder ${BASH_REMATCH[0]}"
		fi
		printf '%s\n' "${line}"
	done <"${TEMPLATE}"
}

main() {
	case "${1:-}" in
	render)
		(($# == 1)) || {
			usage >&2
			vigia::die "render takes no arguments"
		}
		vigia::config_load
		render
		;;
	-h | --help)
		usage
		;;
	*)
		usage >&2
		vigia::die "unknown command: ${1:-(none)}"
		;;
	esac
}

main "$@"
