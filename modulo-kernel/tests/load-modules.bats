#!/usr/bin/env bats
# Unit tests of bash/load-modules.sh's logic, with fake insmod, rmmod, make,
# modinfo and uname on PATH and temporary /proc, /sys and source directories.
# The real thing is exercised in the VM lane (vm-lane.sh).

setup() {
	SCRIPT="${BATS_TEST_DIRNAME}/../../bash/load-modules.sh"
	T="${BATS_TEST_TMPDIR}"
	export LOAD_MODULES_PROC="${T}/proc" LOAD_MODULES_SYS="${T}/sys"
	export LOAD_MODULES_SRC="${T}/src" FAKE_LOG="${T}/calls" FAKE_RELEASE=6.1.0-test
	export VIGIA_CONFIG="${T}/vigia.conf" VIGIA_ID=t1 VIGIA_PROC_MODE=0400
	: >"${VIGIA_CONFIG}"
	mkdir -p "${T}/bin" "${T}/proc" "${T}/sys/module" "${T}/src" "${T}/kdir"
	touch "${T}/src/continfo.c" "${T}/src/vigia.h"
	write_fakes
	export PATH="${T}/bin:${PATH}"
}

write_fakes() {
	cat >"${T}/bin/insmod" <<'FAKE'
#!/usr/bin/env bash
echo "insmod $*" >>"${FAKE_LOG}"
if [[ -n "${FAKE_INSMOD_ERROR:-}" ]]; then echo "${FAKE_INSMOD_ERROR}" >&2; exit 1; fi
name="$(basename "$1" .ko)"; kind="${name#vigia_}"; shift
mkdir -p "${LOAD_MODULES_SYS}/module/${name}/parameters"
for kv in "$@"; do
	v="${kv#*=}"; [[ "${kv%%=*}" == mode ]] && v=$((8#${v}))
	echo "${v}" >"${LOAD_MODULES_SYS}/module/${name}/parameters/${kv%%=*}"
done
id="$(cat "${LOAD_MODULES_SYS}/module/${name}/parameters/id")"
printf '%s\n' "${FAKE_JSON:-{\"schema_version\":1,\"kind\":\"${kind}\"}}" \
	>"${LOAD_MODULES_PROC}/${kind}_so1_${id}"
FAKE
	cat >"${T}/bin/rmmod" <<'FAKE'
#!/usr/bin/env bash
echo "rmmod $*" >>"${FAKE_LOG}"
id="$(cat "${LOAD_MODULES_SYS}/module/$1/parameters/id")"
rm -rf "${LOAD_MODULES_SYS}/module/$1"
[[ -n "${FAKE_RMMOD_KEEPS_FILE:-}" ]] || rm -f "${LOAD_MODULES_PROC}/${1#vigia_}_so1_${id}"
FAKE
	cat >"${T}/bin/make" <<'FAKE'
#!/usr/bin/env bash
echo "make $*" >>"${FAKE_LOG}"
for m in vigia_continfo vigia_sysinfo; do
	echo "${FAKE_RELEASE} SMP mod_unload" >"${LOAD_MODULES_SRC}/${m}.ko"
done
FAKE
	cat >"${T}/bin/modinfo" <<'FAKE'
#!/usr/bin/env bash
cat "$3"
FAKE
	cat >"${T}/bin/uname" <<'FAKE'
#!/bin/sh
echo "${FAKE_RELEASE}"
FAKE
	chmod +x "${T}"/bin/*
}

built_for() {
	local m
	for m in vigia_continfo vigia_sysinfo; do
		echo "$1 SMP mod_unload" >"${T}/src/${m}.ko"
		touch -d '+1 minute' "${T}/src/${m}.ko"
	done
}

@test "builds when the .ko files are missing, then loads both and checks the files" {
	run "${SCRIPT}" --kdir "${T}/kdir"
	[ "${status}" -eq 0 ]
	grep -q "^make -C ${T}/src KDIR=${T}/kdir" "${FAKE_LOG}"
	grep -q "^insmod ${T}/src/vigia_continfo.ko id=t1 mode=0400$" "${FAKE_LOG}"
	grep -q "^insmod ${T}/src/vigia_sysinfo.ko id=t1 mode=0400$" "${FAKE_LOG}"
	[[ "${output}" == *"${T}/proc/continfo_so1_t1: valid JSON"* ]]
	[[ "${output}" == *"${T}/proc/sysinfo_so1_t1: valid JSON"* ]]
}

@test "up-to-date modules for the running kernel are not rebuilt" {
	built_for 6.1.0-test
	run "${SCRIPT}" --kdir "${T}/kdir"
	[ "${status}" -eq 0 ]
	[ "$(grep -c '^make' "${FAKE_LOG}")" -eq 0 ]
}

@test "a source newer than the .ko triggers a build" {
	built_for 6.1.0-test
	touch -d '+2 minutes' "${T}/src/vigia.h"
	run "${SCRIPT}" --kdir "${T}/kdir"
	[ "${status}" -eq 0 ]
	grep -q '^make' "${FAKE_LOG}"
}

@test "modules built for another kernel are rebuilt" {
	built_for 6.12.0-other
	run "${SCRIPT}" --kdir "${T}/kdir"
	[ "${status}" -eq 0 ]
	grep -q '^make' "${FAKE_LOG}"
}

@test "a VIGIA_PROC_MODE without the leading 0 still reaches the kernel as octal" {
	built_for 6.1.0-test
	VIGIA_PROC_MODE=444 run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	grep -q "vigia_sysinfo.ko id=t1 mode=0444$" "${FAKE_LOG}"
}

@test "modules loaded with the same parameters are left alone" {
	built_for 6.1.0-test
	run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	: >"${FAKE_LOG}"
	run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	[ ! -s "${FAKE_LOG}" ]
	[[ "${output}" == *"already loaded with id=t1 mode=0400"* ]]
}

@test "modules loaded with another id are reloaded" {
	built_for 6.1.0-test
	VIGIA_ID=old run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	: >"${FAKE_LOG}"
	run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	grep -q '^rmmod vigia_continfo$' "${FAKE_LOG}"
	grep -q 'vigia_continfo.ko id=t1 mode=0400$' "${FAKE_LOG}"
	[ ! -e "${T}/proc/continfo_so1_old" ]
	[ -e "${T}/proc/continfo_so1_t1" ]
}

@test "missing kernel headers are named with the package to install" {
	run "${SCRIPT}" --kdir "${T}/nonexistent"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"install linux-headers-6.1.0-test"* ]]
	[ ! -e "${FAKE_LOG}" ] || [ "$(grep -c '^insmod' "${FAKE_LOG}")" -eq 0 ]
}

@test "a module refused for its signature explains Secure Boot" {
	built_for 6.1.0-test
	FAKE_INSMOD_ERROR="insmod: ERROR: could not insert module: Key was rejected by service" \
		run "${SCRIPT}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"refuses unsigned modules (Secure Boot"* ]]
}

@test "lockdown is named when insmod is not permitted" {
	built_for 6.1.0-test
	mkdir -p "${T}/sys/kernel/security"
	echo "none [integrity] confidentiality" >"${T}/sys/kernel/security/lockdown"
	FAKE_INSMOD_ERROR="insmod: ERROR: could not insert module: Operation not permitted" \
		run "${SCRIPT}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"kernel lockdown (none [integrity] confidentiality)"* ]]
}

@test "a /proc file that is not valid JSON is an error" {
	built_for 6.1.0-test
	FAKE_JSON='{"schema_version":1,' run "${SCRIPT}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"is not a valid continfo document"* ]]
}

@test "a mode with write bits is refused before insmod" {
	VIGIA_PROC_MODE=0644 run "${SCRIPT}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"VIGIA_PROC_MODE=0644: the /proc files are read-only"* ]]
	[ ! -e "${FAKE_LOG}" ]
}

@test "--unload removes both modules and checks the files are gone" {
	built_for 6.1.0-test
	run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	run "${SCRIPT}" --unload
	[ "${status}" -eq 0 ]
	grep -q '^rmmod vigia_continfo$' "${FAKE_LOG}"
	grep -q '^rmmod vigia_sysinfo$' "${FAKE_LOG}"
	[ ! -e "${T}/proc/sysinfo_so1_t1" ]
}

@test "--unload checks the file of the id the module was loaded with" {
	built_for 6.1.0-test
	VIGIA_ID=other run "${SCRIPT}"
	[ "${status}" -eq 0 ]
	FAKE_RMMOD_KEEPS_FILE=1 run "${SCRIPT}" --unload
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"${T}/proc/continfo_so1_other is still there after rmmod"* ]]
}

@test "an unknown flag is an error with the usage" {
	run "${SCRIPT}" --bogus
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"unknown argument: --bogus"* ]]
	[[ "${output}" == *"Usage:"* ]]
}
