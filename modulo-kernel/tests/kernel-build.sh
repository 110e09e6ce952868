#!/usr/bin/env bash
# The kernel-build suite: load-modules.sh's unit tests, then both modules
# built with W=1 against every Debian cloud kernel's headers (no warning
# allowed), checkpatch.pl when a kernel tree ships it, build output ignored by
# git, and a dkms build against an installed header set.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly MK="${VIGIA_ROOT}/modulo-kernel"
readonly WORK="${VIGIA_ROOT}/build/kernel-build"
readonly SKIP=77

sources() {
	cp "${MK}"/{Kbuild,Makefile,dkms.conf,*.c,*.h} "$1/"
}

# build_warning_free RELEASE: W=1 build in a copy; any warning fails.
build_warning_free() {
	local rel="$1" dir="${WORK}/$1" hdr="/usr/src/linux-headers-$1"
	rm -rf "${dir}"
	mkdir -p "${dir}"
	sources "${dir}"
	make -C "${dir}" KDIR="${hdr}" W=1 >"${dir}/build.log" 2>&1 || {
		cat "${dir}/build.log"
		vigia::die "build against ${rel} failed"
	}
	if grep -iE 'warning|error' "${dir}/build.log"; then
		vigia::die "build against ${rel} (W=1) is not warning-free"
	fi
	ls "${dir}"/vigia_{continfo,sysinfo}.ko >/dev/null
	vigia::info "${rel}: W=1 build clean"
}

find_checkpatch() {
	local candidate
	for candidate in /usr/src/linux-headers-*/scripts/checkpatch.pl \
		/usr/src/linux-source-*/scripts/checkpatch.pl; do
		[[ -x "${candidate}" ]] && printf '%s\n' "${candidate}" && return 0
	done
	return 1
}

run_checkpatch() {
	local checkpatch
	if ! checkpatch="$(find_checkpatch)"; then
		vigia::info "NOTE: no checkpatch.pl (Debian's header packages do not ship it): skipped"
		return 0
	fi
	(cd "${MK}" && "${checkpatch}" --no-tree --strict -q -f ./*.c ./*.h) ||
		vigia::die "checkpatch.pl reports problems"
	vigia::info "checkpatch.pl --strict: clean"
}

# The in-tree build must leave nothing for git to pick up.
check_ignored() {
	local rel="$1" untracked
	make -s -C "${MK}" KDIR="/usr/src/linux-headers-${rel}" >/dev/null 2>&1 ||
		vigia::die "in-tree build failed"
	untracked="$(git -C "${VIGIA_ROOT}" status --porcelain --untracked-files=all -- modulo-kernel |
		grep -E '\.(o|ko|mod|mod\.c|cmd|order|symvers)$' || true)"
	make -s -C "${MK}" KDIR="/usr/src/linux-headers-${rel}" clean >/dev/null 2>&1
	[[ -z "${untracked}" ]] || vigia::die "build output not ignored by git: ${untracked}"
	vigia::info "build output is ignored by git"
}

dkms_build() {
	local rel="$1" version tmp module
	version="$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "${MK}/dkms.conf")"
	grep -q "#define VIGIA_VERSION[[:space:]]*\"${version}\"" "${MK}/vigia.h" ||
		vigia::die "dkms.conf PACKAGE_VERSION ${version} is not VIGIA_VERSION in vigia.h"
	[[ -d "/lib/modules/${rel}/build" ]] ||
		vigia::die "headers for ${rel} are not installed as a package (no /lib/modules/${rel}/build)"
	tmp="${WORK}/dkms"
	rm -rf "${tmp}"
	mkdir -p "${tmp}/src/vigia-${version}" "${tmp}/tree"
	sources "${tmp}/src/vigia-${version}"
	dkms build --dkmstree "${tmp}/tree" --sourcetree "${tmp}/src" \
		-m vigia -v "${version}" -k "${rel}" >"${tmp}/dkms.log" 2>&1 || {
		cat "${tmp}/dkms.log"
		vigia::die "dkms build against ${rel} failed"
	}
	# dkms compresses the result as the kernel's own modules are (.ko.xz on 6.12).
	for module in vigia_continfo vigia_sysinfo; do
		compgen -G "${tmp}/tree/vigia/${version}/${rel}/x86_64/module/${module}.ko*" >/dev/null ||
			vigia::die "dkms build left no ${module}.ko"
	done
	vigia::info "dkms build vigia/${version} against ${rel}: both modules built"
}

main() {
	(($# == 0)) || vigia::die "usage: ${0##*/} (takes no arguments)"
	local rel
	local -a kernels
	bats "${MK}/tests/load-modules.bats"
	mapfile -t kernels < <("${MK}/scripts/install-kernels.sh" --print)
	((${#kernels[@]} == 2)) || vigia::die "want two kernel series, got: ${kernels[*]}"
	for rel in "${kernels[@]}"; do
		if [[ ! -d "/usr/src/linux-headers-${rel}" ]]; then
			echo "headers for ${rel} are not installed: run bash/install-deps.sh"
			exit "${SKIP}"
		fi
	done
	mkdir -p "${WORK}"
	for rel in "${kernels[@]}"; do build_warning_free "${rel}"; done
	run_checkpatch
	check_ignored "${kernels[0]}"
	dkms_build "${kernels[-1]}"
}

main "$@"
