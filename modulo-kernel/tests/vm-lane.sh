#!/usr/bin/env bash
# The kernel-module VM lane: for each Debian cloud kernel, builds both modules
# against its headers, boots it under qemu (scripts/vm-run.sh) with the guest
# script guest/lane.sh, and checks the results on the host (check_lane.py).
#
# --broken builds with VIGIA_BROKEN_SLEEP_IN_RCU=1 (a sleep inside the RCU
# section): the lane must then fail, which proves it can.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly MK="${VIGIA_ROOT}/modulo-kernel"
readonly WORK="${VIGIA_ROOT}/build/kernel-vm"
readonly KERNEL_CACHE="${VIGIA_KERNEL_CACHE:-/var/cache/vigia/kernels}"
readonly FIXTURES="${VIGIA_ROOT}/go-daemon/internal/sensor/testdata"

usage() {
	cat <<USAGE
Usage: ${0##*/} [--kernel RELEASE]... [--broken] [--bench] [--fixtures]

Runs the lane on each RELEASE (default: the kernels install-kernels.sh picks).

  --kernel RELEASE  e.g. 6.12.118+deb12-cloud-amd64; repeatable
  --broken          negative control: build with a sleep inside the RCU section
  --bench           also run the benchmark (1,000 and 5,000 extra processes)
  --fixtures        copy the snapshots to ${FIXTURES#"${VIGIA_ROOT}"/}
                    as kernel-<series>-{continfo,sysinfo}.json
USAGE
}

build_helpers() {
	local prog
	mkdir -p "${WORK}/bin"
	for prog in vigia-hold vigia-churn vigia-bench vigia-read vigia-capture; do
		gcc -O2 -Wall -Wextra -Werror -static -o "${WORK}/bin/${prog}" \
			"${MK}/tests/guest/${prog}.c"
	done
}

# build_vigia: the daemon's strict parser, when go-daemon has it. Outside CI
# a go-daemon that does not build right now (work in progress elsewhere) only
# skips that one check, with a warning; under CI it fails the lane.
build_vigia() {
	rm -f "${WORK}/bin/vigia"
	if [[ ! -d "${VIGIA_ROOT}/go-daemon/cmd/vigia" ]]; then
		return 0
	fi
	if ! (cd "${VIGIA_ROOT}/go-daemon" &&
		CGO_ENABLED=0 go build -trimpath -o "${WORK}/bin/vigia" ./cmd/vigia); then
		[[ "${CI:-}" != true ]] || vigia::die "go-daemon does not build"
		vigia::warn "go-daemon does not build: the lane skips vigia snapshot check"
	fi
}

build_modules() {
	local rel="$1" broken="$2"
	local dir="${WORK}/${rel}/src" hdr="/usr/src/linux-headers-${rel}"
	[[ -d "${hdr}" ]] || vigia::die "headers for ${rel} missing: run bash/install-deps.sh"
	rm -rf "${dir}"
	mkdir -p "${dir}"
	cp "${MK}"/{Kbuild,Makefile,*.c,*.h} "${dir}/"
	make -s -C "${dir}" KDIR="${hdr}" VIGIA_BROKEN_SLEEP_IN_RCU="${broken}" \
		>"${dir}/build.log" 2>&1 || {
		cat "${dir}/build.log" >&2
		vigia::die "module build against ${rel} failed"
	}
}

run_lane() {
	local rel="$1" broken="$2" bench="$3" out timeout=420 mem=1024
	local -a vigia=()
	out="${WORK}/${rel}/run$( ((broken)) && printf -- '-broken')"
	((bench)) && timeout=900 mem=2048
	[[ -x "${WORK}/bin/vigia" ]] && vigia=(--vigia "${WORK}/bin/vigia")
	[[ -d "${KERNEL_CACHE}/${rel}" ]] ||
		vigia::die "kernel ${rel} not in ${KERNEL_CACHE}: run bash/install-deps.sh"
	build_modules "${rel}" "${broken}"
	vigia::info "lane on ${rel}$( ((broken)) && printf ' (broken build)')"
	local -a adds=(--add "${WORK}/${rel}/src/vigia_continfo.ko:/lane/vigia_continfo.ko"
		--add "${WORK}/${rel}/src/vigia_sysinfo.ko:/lane/vigia_sysinfo.ko")
	"${MK}/scripts/vm-run.sh" --kernel-dir "${KERNEL_CACHE}/${rel}" \
		--guest "${MK}/tests/guest/lane.sh" --out "${out}" "${adds[@]}" \
		--bin "${WORK}/bin/vigia-hold" --bin "${WORK}/bin/vigia-churn" \
		--bin "${WORK}/bin/vigia-bench" --bin "${WORK}/bin/vigia-read" \
		--bin "${WORK}/bin/vigia-capture" \
		--bin /bin/bash --bin "$(command -v find)" --bin "$(command -v modinfo)" \
		--bin "$(command -v jq)" \
		--add "${VIGIA_ROOT}/bash/load-modules.sh:/vigia/bash/load-modules.sh" \
		--add "${VIGIA_ROOT}/bash/lib/common.sh:/vigia/bash/lib/common.sh" \
		--add "${VIGIA_ROOT}/vigia.conf:/vigia/vigia.conf" \
		--add "${WORK}/${rel}/src:/vigia/modulo-kernel" \
		--env LANE_ID=lane --env "LANE_BENCH=${bench}" \
		--timeout "${timeout}" --mem "${mem}" || true
	[[ -f "${out}/results/bench.txt" ]] && sed "s/^/bench ${rel}: /" "${out}/results/bench.txt"
	/usr/bin/python3 "${MK}/tests/check_lane.py" "${out}/results" \
		--schema "${MK}/schema/vigia-proc.v1.schema.json" "${vigia[@]}" || {
		tail -n 40 "${out}/console.log" >&2
		return 1
	}
}

copy_fixtures() {
	local rel="$1" series kind
	series="$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"${rel}")"
	mkdir -p "${FIXTURES}"
	for kind in continfo sysinfo; do
		cp "${WORK}/${rel}/run/results/${kind}.json" "${FIXTURES}/kernel-${series}-${kind}.json"
	done
}

main() {
	local broken=0 bench=0 fixtures=0 rel failed=0
	local -a kernels=()
	while (($#)); do
		case "$1" in
		--kernel)
			(($# >= 2)) || vigia::die "--kernel needs a value"
			kernels+=("$2")
			shift
			;;
		--broken) broken=1 ;;
		--bench) bench=1 ;;
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
	mkdir -p "${WORK}"
	build_helpers
	build_vigia
	for rel in "${kernels[@]}"; do
		if run_lane "${rel}" "${broken}" "${bench}"; then
			vigia::info "lane on ${rel}: passed"
			((fixtures && !broken)) && copy_fixtures "${rel}"
		else
			vigia::error "lane on ${rel}: FAILED"
			failed=$((failed + 1))
		fi
	done
	((failed == 0))
}

main "$@"
