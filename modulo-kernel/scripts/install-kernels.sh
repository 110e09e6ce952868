#!/usr/bin/env bash
# Installs the Debian cloud kernels the VM lanes boot: for each series (6.1 and
# 6.12) the newest version for which both the unsigned image and the headers are
# in the archive. Versions drift as Debian publishes updates, so none is fixed
# here.
#
# Headers are installed as Debian packages (dkms and the module Makefile build
# against /usr/src/linux-headers-<ver>). Images are NOT installed: that would run
# update-initramfs and bootloader hooks on this host. The .deb is extracted into
# KERNEL_CACHE/<ver>/ instead; the lane boots KERNEL_CACHE/<ver>/boot/vmlinuz-<ver>
# and copies modules from KERNEL_CACHE/<ver>/lib/modules/<ver>/.
#
# Idempotent: a second run finds everything in place and installs nothing.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly SERIES=(6.1 6.12)
KERNEL_CACHE="${VIGIA_KERNEL_CACHE:-/var/cache/vigia/kernels}"
readonly KERNEL_CACHE

usage() {
	cat <<USAGE
Usage: ${0##*/} [--print]

Installs linux-headers-<ver>-cloud-amd64 and extracts
linux-image-<ver>-cloud-amd64-unsigned into ${KERNEL_CACHE}/<ver>/
for the newest <ver> of each series: ${SERIES[*]}.

  --print   print the chosen versions, one per line, and install nothing
USAGE
}

# newest_version SERIES: the newest <ver> of SERIES with both packages available.
newest_version() {
	local series="$1" ver
	local -a images=()
	mapfile -t images < <(apt-cache search --names-only \
		"^linux-image-${series//./\\.}[.-].*-cloud-amd64-unsigned\$" |
		sed -n 's/^linux-image-\(.*\)-cloud-amd64-unsigned .*/\1/p' | sort -rV)
	for ver in "${images[@]}"; do
		if apt-cache show "linux-headers-${ver}-cloud-amd64" >/dev/null 2>&1; then
			printf '%s\n' "${ver}"
			return 0
		fi
	done
	return 1
}

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

install_headers() {
	local ver="$1" pkg="linux-headers-$1-cloud-amd64"
	if installed "${pkg}"; then
		vigia::info "${pkg}: present"
		return
	fi
	vigia::info "${pkg}: installing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${pkg}" >/dev/null
}

extract_image() {
	local ver="$1" kver="$1-cloud-amd64" dir tmp
	dir="${KERNEL_CACHE}/${kver}"
	if [[ -s "${dir}/boot/vmlinuz-${kver}" && -d "${dir}/lib/modules/${kver}" ]]; then
		vigia::info "image ${kver}: present in ${dir}"
		return
	fi
	vigia::info "image ${kver}: extracting into ${dir}"
	tmp="$(mktemp -d "${KERNEL_CACHE}/.dl.XXXXXX")"
	# apt-get download drops root and writes as _apt when that user exists.
	if id _apt >/dev/null 2>&1; then chown _apt "${tmp}"; fi
	(cd "${tmp}" && apt-get download -qq "linux-image-${kver}-unsigned")
	rm -rf "${dir}.new"
	dpkg-deb -x "${tmp}"/linux-image-*.deb "${dir}.new"
	rm -rf "${tmp}" "${dir}"
	mv "${dir}.new" "${dir}"
}

main() {
	local print=0 series ver updated=0
	while (($#)); do
		case "$1" in
		--print) print=1 ;;
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
	for series in "${SERIES[@]}"; do
		if ! ver="$(newest_version "${series}")"; then
			if ((updated)); then
				vigia::die "no cloud-amd64 kernel ${series} with image and headers in the archive"
			fi
			apt-get update -qq
			updated=1
			ver="$(newest_version "${series}")" ||
				vigia::die "no cloud-amd64 kernel ${series} with image and headers in the archive"
		fi
		if ((print)); then
			printf '%s-cloud-amd64\n' "${ver}"
			continue
		fi
		((EUID == 0)) || vigia::die "run as root: it installs Debian packages"
		mkdir -p "${KERNEL_CACHE}"
		install_headers "${ver}"
		extract_image "${ver}"
	done
}

main "$@"
