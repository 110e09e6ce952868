#!/usr/bin/env bash
# The fullstack-vm suite: the full-stack lane on both Debian cloud kernels must
# pass, and the same lane with a daemon that also removes the foreign
# container must fail, for that reason.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../bash/lib/common.sh"

readonly MK="${VIGIA_ROOT}/modulo-kernel"
readonly SKIP=77

# cannot_run: prints why the suite cannot run here, if it cannot.
cannot_run() {
	local rel bin
	command -v qemu-system-x86_64 >/dev/null || {
		echo "qemu-system-x86_64 is not installed: run bash/install-deps.sh"
		return 0
	}
	for rel in "$@"; do
		[[ -d "${VIGIA_KERNEL_CACHE:-/var/cache/vigia/kernels}/${rel}" ]] || {
			echo "kernel ${rel} is not installed: run bash/install-deps.sh"
			return 0
		}
	done
	for bin in /usr/sbin/dockerd /usr/bin/containerd /usr/sbin/runc /usr/bin/docker; do
		[[ -x "${bin}" ]] || {
			echo "${bin} (Debian's docker.io) is not installed: run bash/install-deps.sh"
			return 0
		}
	done
	docker version >/dev/null 2>&1 || {
		echo "the host's Docker engine does not answer: the workload images are built there"
		return 0
	}
	return 1
}

main() {
	(($# == 0)) || vigia::die "usage: ${0##*/} (takes no arguments)"
	local log why
	local -a kernels
	mapfile -t kernels < <("${MK}/scripts/install-kernels.sh" --print)
	if why="$(cannot_run "${kernels[@]}")"; then
		echo "${why}"
		exit "${SKIP}"
	fi
	"${MK}/tests/fullstack/lane.sh" || vigia::die "the full-stack lane failed"

	log="${VIGIA_ROOT}/build/fullstack/negative-control.log"
	vigia::info "negative control: the lane on ${kernels[-1]} with a daemon that removes the foreign container must fail"
	# Two generated containers are enough to show it; the run is shorter.
	if FULLSTACK_BATCH=2 "${MK}/tests/fullstack/lane.sh" --broken --kernel "${kernels[-1]}" \
		>"${log}" 2>&1; then
		cat "${log}"
		vigia::die "negative control: the lane passed although the foreign container was removed"
	fi
	grep -E '^FAIL: fullstack-foreign still runs' "${log}" || {
		cat "${log}"
		vigia::die "negative control: the lane failed, but not on the foreign container"
	}
	vigia::info "negative control: the lane failed on the removed foreign container, as it must"
}

main "$@"
