#!/usr/bin/env bash
# Loads vigia's kernel modules for the running kernel, building them first if
# needed, and checks that both /proc files exist and hold valid JSON. The
# daemon runs it at start-up; --unload removes them.
#
#   bash/load-modules.sh [--unload] [--kdir DIR]
#
# Loads with id=$VIGIA_ID mode=$VIGIA_PROC_MODE (see vigia.conf). Modules that
# are loaded with other parameters are reloaded; loaded with the same ones,
# they are left alone. Builds with `make -C modulo-kernel` when a .ko is
# missing, older than a source file, or built for another kernel.
#
# Test seams (unit tests only): LOAD_MODULES_PROC, LOAD_MODULES_SYS and
# LOAD_MODULES_SRC replace /proc, /sys and modulo-kernel/; insmod, rmmod,
# make, modinfo and uname are taken from PATH.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly MODULES=(vigia_continfo vigia_sysinfo)
readonly SRC="${LOAD_MODULES_SRC:-${VIGIA_ROOT}/modulo-kernel}"
readonly PROC="${LOAD_MODULES_PROC:-/proc}"
readonly SYS="${LOAD_MODULES_SYS:-/sys}"

usage() {
	cat <<USAGE
Usage: ${0##*/} [--unload] [--kdir DIR]

Builds (if needed) and loads vigia_continfo and vigia_sysinfo with the
configured VIGIA_ID and VIGIA_PROC_MODE, then checks
${PROC}/continfo_so1_<ID> and ${PROC}/sysinfo_so1_<ID>.

  --unload     remove both modules and check the files are gone
  --kdir DIR   kernel build directory (default /lib/modules/\$(uname -r)/build)
USAGE
}

proc_file() {
	local module="$1"
	printf '%s/%s_so1_%s' "${PROC}" "${module#vigia_}" "${VIGIA_ID}"
}

loaded() {
	[[ -d "${SYS}/module/$1" ]]
}

# mode_octal: VIGIA_PROC_MODE with the leading 0 the kernel needs to read it as octal.
mode_octal() {
	printf '0%s' "${VIGIA_PROC_MODE#0}"
}

check_mode() {
	local mode=$((8#${VIGIA_PROC_MODE}))
	if ((mode & ~0444 || !(mode & 0400))); then
		vigia::die "VIGIA_PROC_MODE=${VIGIA_PROC_MODE}: the /proc files are read-only; want read bits with the owner's, such as 0400 or 0444"
	fi
}

unload_one() {
	local module="$1" id file
	loaded "${module}" || return 0
	# The file is named after the id it was loaded with, maybe not ours.
	id="$(cat "${SYS}/module/${module}/parameters/id" 2>/dev/null)" || id="${VIGIA_ID}"
	file="${PROC}/${module#vigia_}_so1_${id}"
	rmmod "${module}" || vigia::die "rmmod ${module} failed (is a reader holding it?)"
	[[ ! -e "${file}" ]] || vigia::die "${file} is still there after rmmod ${module}"
	vigia::info "unloaded ${module}"
}

# needs_build RELEASE: true when a .ko is missing, stale or for another kernel.
needs_build() {
	local release="$1" module ko newest vermagic
	newest="$(find "${SRC}" -maxdepth 1 \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
		-printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-)"
	for module in "${MODULES[@]}"; do
		ko="${SRC}/${module}.ko"
		[[ -f "${ko}" && ! "${newest}" -nt "${ko}" ]] || return 0
		vermagic="$(modinfo -F vermagic "${ko}" 2>/dev/null)" || return 0
		[[ "${vermagic%% *}" == "${release}" ]] || return 0
	done
	return 1
}

build() {
	local release="$1" kdir="$2"
	if [[ ! -d "${kdir}" ]]; then
		vigia::die "no kernel headers for ${release} in ${kdir}: install linux-headers-${release} (apt-get install linux-headers-${release}), or pass --kdir"
	fi
	vigia::info "building the modules for ${release}"
	make -C "${SRC}" KDIR="${kdir}" >&2 ||
		vigia::die "building the modules against ${kdir} failed (see above)"
}

# explain_insmod MODULE OUTPUT: a clear reason for a refused insmod.
explain_insmod() {
	local module="$1" out="$2" lockdown=""
	[[ -r "${SYS}/kernel/security/lockdown" ]] && lockdown="$(cat "${SYS}/kernel/security/lockdown")"
	case "${out}" in
	*"Key was rejected"* | *"Required key not available"*)
		vigia::die "insmod ${module}: the kernel refuses unsigned modules (Secure Boot or module.sig_enforce; lockdown: ${lockdown:-unknown}). Sign the modules with a key enrolled in MOK, or disable Secure Boot."
		;;
	*"Operation not permitted"*)
		if [[ "${lockdown}" == *"[integrity]"* || "${lockdown}" == *"[confidentiality]"* ]]; then
			vigia::die "insmod ${module}: kernel lockdown (${lockdown}) forbids unsigned modules"
		fi
		vigia::die "insmod ${module}: not permitted (run as root; check ${PROC}/sys/kernel/modules_disabled)"
		;;
	*"Invalid module format"* | *"Exec format error"*)
		vigia::die "insmod ${module}: built for another kernel; remove modulo-kernel/*.ko and run again"
		;;
	*"File exists"*)
		vigia::die "insmod ${module}: $(proc_file "${module}") already exists (another module owns the name?)"
		;;
	*)
		vigia::die "insmod ${module} failed: ${out}"
		;;
	esac
}

# same_params MODULE: loaded with id=$VIGIA_ID and mode=$VIGIA_PROC_MODE?
same_params() {
	local params="${SYS}/module/$1/parameters" id mode
	id="$(cat "${params}/id" 2>/dev/null)" || return 1
	mode="$(cat "${params}/mode" 2>/dev/null)" || return 1
	[[ "${id}" == "${VIGIA_ID}" && "${mode}" =~ ^[0-9]+$ ]] &&
		((mode == 8#${VIGIA_PROC_MODE}))
}

load_one() {
	local module="$1" out
	if loaded "${module}"; then
		if same_params "${module}" && [[ -e "$(proc_file "${module}")" ]]; then
			vigia::info "${module} already loaded with id=${VIGIA_ID} mode=$(mode_octal)"
			return 0
		fi
		vigia::info "${module} is loaded with other parameters: reloading"
		unload_one "${module}"
	fi
	out="$(insmod "${SRC}/${module}.ko" "id=${VIGIA_ID}" "mode=$(mode_octal)" 2>&1)" ||
		explain_insmod "${module}" "${out}"
	vigia::info "loaded ${module} id=${VIGIA_ID} mode=$(mode_octal)"
}

check_file() {
	local module="$1" file kind
	file="$(proc_file "${module}")"
	kind="${module#vigia_}"
	[[ -e "${file}" ]] || vigia::die "${module} is loaded but ${file} does not exist"
	jq -e --arg kind "${kind}" '.schema_version == 1 and .kind == $kind' "${file}" >/dev/null ||
		vigia::die "${file} is not a valid ${kind} document (jq rejects it)"
	vigia::info "${file}: valid JSON"
}

main() {
	local unload=0 kdir="" release module
	while (($#)); do
		case "$1" in
		--unload) unload=1 ;;
		--kdir)
			(($# >= 2)) || vigia::die "--kdir needs a directory"
			kdir="$2"
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
	if ((unload)); then
		for module in "${MODULES[@]}"; do unload_one "${module}"; done
		return 0
	fi
	check_mode
	command -v jq >/dev/null || vigia::die "jq is not installed (bash/install-deps.sh)"
	release="$(uname -r)"
	kdir="${kdir:-/lib/modules/${release}/build}"
	if needs_build "${release}"; then
		build "${release}" "${kdir}"
	fi
	for module in "${MODULES[@]}"; do
		load_one "${module}"
		check_file "${module}"
	done
}

main "$@"
