#!/usr/bin/env bash
# The full-stack lane: for each Debian cloud kernel, one qemu boot (TCG, see
# scripts/vm-run.sh) that runs the main job on real parts: both kernel
# modules, containerd and dockerd from Debian's docker.io, the three workload
# images saved here and loaded there, `vigia run` on the kernel sensors with
# its cron entry, and the generator run from that entry (guest.sh). check.py
# judges what the guest brought back.
#
# --broken runs a daemon that also removes the foreign container
# (broken-vigia.sh): the lane must then fail.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../bash/lib/common.sh"

readonly MK="${VIGIA_ROOT}/modulo-kernel"
readonly HERE="${MK}/tests/fullstack"
readonly WORK="${VIGIA_ROOT}/build/fullstack"
readonly KERNEL_CACHE="${VIGIA_KERNEL_CACHE:-/var/cache/vigia/kernels}"
readonly FIXTURES="${VIGIA_ROOT}/go-daemon/internal/sensor/testdata"
readonly IMAGES=(vigia/ram:latest vigia/cpu:latest vigia/low:latest)
# What the guest runs besides busybox: Debian's docker.io and its runtime, the
# tools the scripts call (load-modules.sh: jq, find -printf, kmod's modinfo;
# generate.sh: flock), sqlite3 to count ticks and GNU date for %N.
readonly GUEST_BINS=(/usr/sbin/dockerd /usr/bin/containerd /usr/bin/containerd-shim-runc-v2
	/usr/sbin/runc /usr/bin/docker /bin/bash /usr/bin/jq /usr/bin/flock /usr/bin/sqlite3
	/usr/bin/find /bin/kmod /bin/date)
# The guest's settings: the daemon's interval and the generator's batch. The
# daemon gives each container start or removal half an interval (at least
# 10 s) and a whole tick one interval. Measured under TCG on 2 loaded cores:
# the first tick's five parallel starts all timed out at 10, 15 and 30 s
# (intervals 6s, 30s, 60s: no tick was ever recorded), four of five at 60 s
# (interval 120s), where the second tick started the rest and the daemon
# converged.
# TODO: back to a short interval once the daemon bounds its parallel starts
# and records a tick that ran out of time (go-daemon/internal/daemon).
readonly ID=fullstack INTERVAL="${FULLSTACK_INTERVAL:-120s}" BATCH="${FULLSTACK_BATCH:-10}"

usage() {
	cat <<USAGE
Usage: ${0##*/} [--kernel RELEASE]... [--broken] [--fixtures]

Runs the full-stack lane on each RELEASE (default: the kernels
install-kernels.sh picks). Work and results go to ${WORK#"${VIGIA_ROOT}"/}/RELEASE/.

  --kernel RELEASE  e.g. 6.12.118+deb12-cloud-amd64; repeatable
  --broken          negative control: the daemon also removes the foreign container
  --fixtures        copy the continfo read with real containers to
                    ${FIXTURES#"${VIGIA_ROOT}"/}/fullstack-<series>-continfo.json

Environment: FULLSTACK_INTERVAL (daemon interval, default 120s), FULLSTACK_BATCH
(containers per generator run, default 10).
USAGE
}

# prepare: the static daemon, the workload images saved to a file, and the
# part of the repository the guest needs (its VIGIA_ROOT), kernel-independent.
prepare() {
	local bin
	for bin in "${GUEST_BINS[@]}"; do
		[[ -x "${bin}" ]] || vigia::die "${bin} is missing: run bash/install-deps.sh"
	done
	mkdir -p "${WORK}"
	make --no-print-directory -s -C "${VIGIA_ROOT}/go-daemon" >&2 ||
		vigia::die "go-daemon does not build"
	! ldd "${VIGIA_ROOT}/go-daemon/bin/vigia" >/dev/null 2>&1 ||
		vigia::die "go-daemon/bin/vigia is not static: it must run in the guest"
	"${VIGIA_ROOT}/bash/build-images.sh" >&2 || vigia::die "make images failed"
	docker save -o "${WORK}/images.tar" "${IMAGES[@]}"
	rm -rf "${WORK}/root"
	mkdir -p "${WORK}/root/bash" "${WORK}/root/modulo-kernel"
	cp "${VIGIA_ROOT}/vigia.conf" "${WORK}/root/"
	cp -r "${VIGIA_ROOT}"/bash/{lib,cron,generate.sh,load-modules.sh} "${WORK}/root/bash/"
}

build_modules() {
	local rel="$1" dir="$2" hdr="/usr/src/linux-headers-$1"
	[[ -d "${hdr}" ]] || vigia::die "headers for ${rel} missing: run bash/install-deps.sh"
	rm -rf "${dir}"
	mkdir -p "${dir}"
	cp "${MK}"/{Kbuild,Makefile,*.c,*.h} "${dir}/"
	make -s -C "${dir}" KDIR="${hdr}" >"${dir}/build.log" 2>&1 || {
		cat "${dir}/build.log" >&2
		vigia::die "module build against ${rel} failed"
	}
}

# run_lane RELEASE BROKEN: boots RELEASE and checks its results.
run_lane() {
	local rel="$1" broken="$2" out root bin
	local -a bins=()
	out="${WORK}/${rel}/run$( ((broken)) && printf -- '-broken')"
	root="${WORK}/${rel}/root"
	[[ -d "${KERNEL_CACHE}/${rel}" ]] ||
		vigia::die "kernel ${rel} not in ${KERNEL_CACHE}: run bash/install-deps.sh"
	build_modules "${rel}" "${WORK}/${rel}/src"
	# The guest's repository root: the shared part plus this kernel's modules,
	# where load-modules.sh looks for them (it builds nothing when they fit).
	rm -rf "${root}"
	cp -r "${WORK}/root" "${root}"
	cp "${WORK}/${rel}/src"/vigia_{continfo,sysinfo}.ko "${root}/modulo-kernel/"
	for bin in "${GUEST_BINS[@]}" "${VIGIA_ROOT}/go-daemon/bin/vigia"; do
		bins+=(--bin "${bin}")
	done
	vigia::info "full-stack lane on ${rel}$( ((broken)) && printf ' (broken daemon)')"
	"${MK}/scripts/vm-run.sh" --kernel-dir "${KERNEL_CACHE}/${rel}" \
		--guest "${HERE}/guest.sh" --out "${out}" "${bins[@]}" \
		--add "${root}:/opt/vigia" --add "${WORK}/images.tar:/fullstack/images.tar" \
		--add "${HERE}/broken-vigia.sh:/fullstack/broken-vigia.sh" \
		--env "FS_ID=${ID}" --env "FS_INTERVAL=${INTERVAL}" --env "FS_BATCH=${BATCH}" \
		--env "FS_BROKEN=${broken}" --append apparmor=0 \
		--timeout 1200 --mem 3072 --cpus 2 || true
	rm -rf "${root}"
	/usr/bin/python3 "${HERE}/check.py" "${out}/results" --kernel "${rel}" \
		--schema "${MK}/schema/vigia-proc.v1.schema.json" \
		--vigia "${VIGIA_ROOT}/go-daemon/bin/vigia" || {
		tail -n 40 "${out}/console.log" >&2
		return 1
	}
}

copy_fixture() {
	local rel="$1" series
	series="$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"${rel}")"
	cp "${WORK}/${rel}/run/results/continfo.json" \
		"${FIXTURES}/fullstack-${series}-continfo.json"
	vigia::info "fixture: ${FIXTURES#"${VIGIA_ROOT}"/}/fullstack-${series}-continfo.json"
}

main() {
	local broken=0 fixtures=0 rel failed=0
	local -a kernels=()
	while (($#)); do
		case "$1" in
		--kernel)
			(($# >= 2)) || vigia::die "--kernel needs a value"
			kernels+=("$2")
			shift
			;;
		--broken) broken=1 ;;
		--fixtures) fixtures=1 ;;
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
	export PATH="${PATH}:/usr/local/go/bin"
	if ((${#kernels[@]} == 0)); then
		mapfile -t kernels < <("${MK}/scripts/install-kernels.sh" --print)
	fi
	command -v qemu-system-x86_64 >/dev/null ||
		vigia::die "qemu-system-x86_64 missing: run bash/install-deps.sh"
	prepare
	for rel in "${kernels[@]}"; do
		if run_lane "${rel}" "${broken}"; then
			vigia::info "full-stack lane on ${rel}: passed"
			((fixtures && !broken)) && copy_fixture "${rel}"
		else
			vigia::error "full-stack lane on ${rel}: FAILED"
			failed=$((failed + 1))
		fi
	done
	((failed == 0))
}

main "$@"
