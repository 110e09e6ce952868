#!/usr/bin/env bash
# The kernel-vm suite: the VM lane on both Debian cloud kernels must pass; the
# host-side checker must reject faults injected into those results; and the
# same lane with the negative-control build (a sleep inside the RCU section)
# must fail, for the reason it was built to show.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly MK="${VIGIA_ROOT}/modulo-kernel"
readonly SKIP=77

main() {
	(($# == 0)) || vigia::die "usage: ${0##*/} (takes no arguments)"
	local rel log
	local -a kernels
	mapfile -t kernels < <("${MK}/scripts/install-kernels.sh" --print)
	for rel in "${kernels[@]}"; do
		if [[ ! -d "${VIGIA_KERNEL_CACHE:-/var/cache/vigia/kernels}/${rel}" ]] ||
			! command -v qemu-system-x86_64 >/dev/null; then
			echo "kernel ${rel} or qemu is not installed: run bash/install-deps.sh"
			exit "${SKIP}"
		fi
	done
	"${MK}/tests/vm-lane.sh" || vigia::die "the VM lane failed"

	# The checker itself must reject each kind of fault it exists to catch.
	/usr/bin/python3 "${MK}/tests/check_lane_selftest.py" \
		"${VIGIA_ROOT}/build/kernel-vm/${kernels[-1]}/run/results" \
		--schema "${MK}/schema/vigia-proc.v1.schema.json" ||
		vigia::die "check_lane.py let a fault through"

	log="${VIGIA_ROOT}/build/kernel-vm/negative-control.log"
	vigia::info "negative control: the lane on ${kernels[-1]} with VIGIA_BROKEN_SLEEP_IN_RCU=1 must fail"
	if "${MK}/tests/vm-lane.sh" --broken --kernel "${kernels[-1]}" >"${log}" 2>&1; then
		cat "${log}"
		vigia::die "negative control: the lane passed with a sleep inside the RCU section"
	fi
	grep -E '^FAIL: dmesg: .*(Voluntary context switch within RCU|sleeping function called)' "${log}" || {
		cat "${log}"
		vigia::die "negative control: the lane failed, but not on the RCU splat"
	}
	vigia::info "negative control: the lane failed on the RCU splat, as it must"
}

main "$@"
