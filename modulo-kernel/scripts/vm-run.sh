#!/usr/bin/env bash
# Boots a kernel under qemu-system-x86_64 (TCG) with a busybox initramfs, runs
# one guest script in it and brings its results back. Reusable by any lane:
# the kernel-module lane (modulo-kernel/tests/vm-lane.sh) uses it, and so can a
# full-stack lane that adds dockerd, containerd and the daemon with --bin.
#
# The guest: /init mounts proc, sys, devtmpfs and tmpfs on /tmp and /run,
# loads the --kmod modules (dependencies first), runs the --guest script as
# /guest/main with the --env variables, then sends /results (what the script
# left there) to the host as base64 of a tar.gz on the second serial port, and
# powers off. The host unpacks it into OUT/results/ and writes the script's
# exit status to OUT/status. The console (ttyS0) goes to OUT/console.log.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bash/lib/common.sh"

readonly BEGIN_MARK=VIGIA-RESULTS-BEGIN END_MARK=VIGIA-RESULTS-END

usage() {
	cat <<USAGE
Usage: ${0##*/} --kernel-dir DIR --guest SCRIPT --out DIR [options]

  --kernel-dir DIR   an extracted linux-image package (boot/vmlinuz-*, lib/modules/*),
                     as modulo-kernel/scripts/install-kernels.sh leaves them
  --guest SCRIPT     shell script run in the guest as /guest/main; its exit
                     status is the run's
  --out DIR          console.log, status and results/ land here (emptied first)
  --add SRC:DEST     copy a file or directory into the initramfs at DEST
  --bin PATH         copy an executable into /bin with the shared libraries it needs
  --kmod NAME        load this module of the kernel (and its dependencies) at boot
  --env KEY=VALUE    export to the guest script
  --timeout SEC      stop the VM after SEC seconds (default 300)
  --mem MB           guest memory (default 1024)
  --cpus N           guest CPUs (default 2)
  --append ARGS      extra kernel command line
USAGE
}

# modules_for KDIR VER NAME: NAME's module file and its dependencies, deepest first.
modules_for() {
	local kdir="$1" ver="$2" name="$3" dep line
	local moddir="${kdir}/lib/modules/${ver}"
	line="$(grep -E "(^|/)${name//-/[-_]}\.ko(\.xz|\.zst)?:" "${moddir}/modules.dep")" ||
		vigia::die "module ${name} is not in ${ver} (or is built in)"
	for dep in ${line#*:}; do
		modules_for "${kdir}" "${ver}" "$(basename "${dep%%.ko*}")"
	done
	printf '%s\n' "${line%%:*}"
}

add_module() {
	local moddir="$1" rel="$2" root="$3" base
	base="$(basename "${rel%%.ko*}").ko"
	[[ -e "${root}/lib/vigia-kmod/${base}" ]] && return 0
	case "${rel}" in
	*.xz) xz -dc "${moddir}/${rel}" >"${root}/lib/vigia-kmod/${base}" ;;
	*.zst) zstd -qdc "${moddir}/${rel}" >"${root}/lib/vigia-kmod/${base}" ;;
	*) cp "${moddir}/${rel}" "${root}/lib/vigia-kmod/${base}" ;;
	esac
	printf '%s\n' "${base}" >>"${root}/lib/vigia-kmod/order"
}

add_binary() {
	local bin="$1" root="$2" lib
	# A busybox applet of the same name is a symlink: replace the link, not busybox.
	rm -f "${root}/bin/$(basename "${bin}")"
	cp -L "${bin}" "${root}/bin/"
	while read -r lib; do
		[[ -n "${lib}" ]] || continue
		mkdir -p "${root}$(dirname "${lib}")"
		cp -Ln "${lib}" "${root}${lib}"
	done < <(ldd "${bin}" 2>/dev/null | grep -oE '/[^ ]+' || true)
}

write_init() {
	cat >"$1/init" <<'INIT'
#!/bin/sh
# vigia VM init: see modulo-kernel/scripts/vm-run.sh.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run /results
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
if [ -f /lib/vigia-kmod/order ]; then
	while read -r m; do
		insmod "/lib/vigia-kmod/$m" || echo "vigia-init: insmod $m failed"
	done </lib/vigia-kmod/order
fi
set -a
[ -f /guest/env ] && . /guest/env
set +a
echo "vigia-init: running the guest script"
sh /guest/main >/dev/console 2>&1 </dev/null
status=$?
echo "vigia-init: guest script exited with $status"
echo "$status" >/results/status
stty -F /dev/ttyS1 raw -echo 2>/dev/null
{
	echo VIGIA-RESULTS-BEGIN
	tar -C /results -czf - . | base64
	echo VIGIA-RESULTS-END
} >/dev/ttyS1
sync
poweroff -f
INIT
	chmod 0755 "$1/init"
}

build_initramfs() {
	local root="$1" image="$2" kdir="$3" ver="$4" guest="$5"
	local item rel applet
	# adds, bins, kmods and envs are main's arrays (bash's dynamic scope).
	mkdir -p "${root}"/{bin,sbin,etc,proc,sys,dev,tmp,run,guest,results,lib/vigia-kmod}
	cp /bin/busybox "${root}/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[[ -e "${root}/bin/${applet}" ]] || ln -s busybox "${root}/bin/${applet}"
	done
	ln -sf ../bin/busybox "${root}/sbin/init"
	write_init "${root}"
	cp "${guest}" "${root}/guest/main"
	: >"${root}/guest/env"
	for item in "${envs[@]}"; do
		printf '%s=%q\n' "${item%%=*}" "${item#*=}" >>"${root}/guest/env"
	done
	for item in "${bins[@]}"; do add_binary "${item}" "${root}"; done
	for item in "${adds[@]}"; do
		mkdir -p "$(dirname "${root}${item#*:}")"
		cp -a "${item%%:*}" "${root}${item#*:}"
	done
	for item in "${kmods[@]}"; do
		while IFS= read -r rel; do
			add_module "${kdir}/lib/modules/${ver}" "${rel}" "${root}"
		done < <(modules_for "${kdir}" "${ver}" "${item}")
	done
	(cd "${root}" && find . -print0 | cpio --null -o -H newc --quiet) >"${image}"
}

extract_results() {
	local out="$1"
	mkdir -p "${out}/results"
	if ! grep -q "${END_MARK}" "${out}/results.b64"; then
		vigia::error "the guest sent no results (see ${out}/console.log)"
		return 1
	fi
	sed -n "/${BEGIN_MARK}/,/${END_MARK}/p" "${out}/results.b64" |
		sed '1d;$d' | tr -d '\r' | base64 -d | tar -C "${out}/results" -xzf -
}

main() {
	local kdir="" guest="" out="" timeout=300 mem=1024 cpus=2 append="" ver vmlinuz
	local -a adds=() bins=() kmods=() envs=()
	while (($#)); do
		case "$1" in
		--kernel-dir) kdir="$2" ;;
		--guest) guest="$2" ;;
		--out) out="$2" ;;
		--add) adds+=("$2") ;;
		--bin) bins+=("$2") ;;
		--kmod) kmods+=("$2") ;;
		--env) envs+=("$2") ;;
		--timeout) timeout="$2" ;;
		--mem) mem="$2" ;;
		--cpus) cpus="$2" ;;
		--append) append="$2" ;;
		-h | --help)
			usage
			return 0
			;;
		*)
			usage >&2
			vigia::die "unknown argument: $1"
			;;
		esac
		(($# >= 2)) || vigia::die "$1 needs a value"
		shift 2
	done
	[[ -d "${kdir}" && -f "${guest}" && -n "${out}" ]] || {
		usage >&2
		vigia::die "--kernel-dir, --guest and --out are required"
	}
	vmlinuz="$(find "${kdir}/boot" -name 'vmlinuz-*' | head -n 1)"
	[[ -n "${vmlinuz}" ]] || vigia::die "no boot/vmlinuz-* in ${kdir}"
	ver="${vmlinuz##*/vmlinuz-}"
	if ((${#kmods[@]})) && [[ ! -s "${kdir}/lib/modules/${ver}/modules.dep" ]]; then
		depmod -b "${kdir}" "${ver}"
	fi
	rm -rf "${out}"
	mkdir -p "${out}/root"
	build_initramfs "${out}/root" "${out}/initramfs.cpio" "${kdir}" "${ver}" "${guest}"
	rm -rf "${out}/root"
	vigia::info "booting ${ver} (timeout ${timeout}s)"
	local rc=0
	timeout -k 10 "${timeout}" qemu-system-x86_64 -machine q35,accel=tcg -cpu max \
		-smp "${cpus}" -m "${mem}" -nographic -no-reboot -monitor none \
		-kernel "${vmlinuz}" -initrd "${out}/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init loglevel=4 ${append}" \
		-serial "file:${out}/console.log" -serial "file:${out}/results.b64" \
		</dev/null >"${out}/qemu.log" 2>&1 || rc=$?
	rm -f "${out}/initramfs.cpio"
	((rc == 124)) && vigia::error "the VM did not finish within ${timeout}s"
	extract_results "${out}" || return 1
	cp "${out}/results/status" "${out}/status"
	vigia::info "guest script exited with $(cat "${out}/status")"
	return "$(cat "${out}/status")"
}

main "$@"
