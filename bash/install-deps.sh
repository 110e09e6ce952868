#!/usr/bin/env bash
# Installs what vigia's build, run and tests need on a fresh Debian bookworm
# machine: Debian packages, Go modules, and the kernel images and headers the VM
# lanes boot. Idempotent: a second run installs nothing and takes seconds.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Debian packages, one group per part of vigia.
readonly PACKAGES=(
	# build
	build-essential make gcc libc6-dev git ca-certificates
	# kernel modules: build, dkms, VM lane
	dkms kmod cpio busybox-static qemu-system-x86 xz-utils python3-jsonschema
	# workload and scripts
	cron shellcheck bats util-linux procps jq
	# daemon and dashboards
	sqlite3 docker-compose systemd
	# full-stack VM lane: the guest's container runtime
	docker.io containerd runc
)

usage() {
	cat <<USAGE
Usage: ${0##*/} [--no-kernels]

Installs the Debian packages, Go modules and Debian cloud kernels (6.1, 6.12)
that vigia needs. Run as root. Safe to run again.

  --no-kernels   skip the kernel images and headers used by the VM lanes
USAGE
}

missing_packages() {
	local pkg
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "${pkg}" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s\n' "${pkg}"
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)); then
		vigia::info "Debian packages: all present"
		return
	fi
	vigia::info "Debian packages: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

install_go_modules() {
	command -v go >/dev/null || vigia::die "go is not on PATH: install Go 1.26 first"
	if [[ -f "${VIGIA_ROOT}/go-daemon/go.mod" ]]; then
		vigia::info "Go modules: downloading"
		(cd "${VIGIA_ROOT}/go-daemon" && go mod download)
	fi
}

install_kernels() {
	local script="${VIGIA_ROOT}/modulo-kernel/scripts/install-kernels.sh"
	if [[ -x "${script}" ]]; then
		"${script}"
	fi
}

main() {
	local kernels=1
	while (($#)); do
		case "$1" in
		--no-kernels) kernels=0 ;;
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
	((EUID == 0)) || vigia::die "run as root: it installs Debian packages"
	export PATH="${PATH}:/usr/local/go/bin"
	install_packages
	install_go_modules
	((kernels)) && install_kernels
	vigia::info "dependencies ready"
}

main "$@"
