#!/usr/bin/env bats
# The configuration loader shared by every script.

setup() {
	export VIGIA_CONFIG="${BATS_TEST_TMPDIR}/vigia.conf"
	: >"${VIGIA_CONFIG}"
	unset VIGIA_ID VIGIA_BATCH VIGIA_PROC_MODE
	LOADER="source '${BATS_TEST_DIRNAME}/../lib/common.sh'; vigia::config_load"
}

@test "defaults come from the shipped vigia.conf" {
	run bash -c "${LOADER}; echo \"\${VIGIA_ID} \${VIGIA_BATCH} \${VIGIA_CRON_SCHEDULE}\""
	[ "${status}" -eq 0 ]
	[ "${output}" = "vigia 10 * * * * *" ]
}

@test "the installed file overrides the defaults" {
	echo "VIGIA_ID=202100123" >"${VIGIA_CONFIG}"
	run bash -c "${LOADER}; echo \"\${VIGIA_ID}\""
	[ "${status}" -eq 0 ]
	[ "${output}" = "202100123" ]
}

@test "the environment overrides the installed file" {
	echo "VIGIA_ID=fromfile" >"${VIGIA_CONFIG}"
	run env VIGIA_ID=fromenv bash -c "${LOADER}; echo \"\${VIGIA_ID}\""
	[ "${status}" -eq 0 ]
	[ "${output}" = "fromenv" ]
}

@test "a bad value is refused with the key named" {
	run env VIGIA_ID='bad id' bash -c "${LOADER}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"VIGIA_ID=bad id"* ]]
	run env VIGIA_BATCH=0 bash -c "${LOADER}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"VIGIA_BATCH=0"* ]]
}

@test "a malformed line is refused with file and line number" {
	printf '# comment\n\nnot a setting\n' >"${VIGIA_CONFIG}"
	run bash -c "${LOADER}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"vigia.conf:3: not a KEY=value line"* ]]
}

@test "a missing VIGIA_CONFIG file is an error" {
	run env VIGIA_CONFIG=/nonexistent/vigia.conf bash -c "${LOADER}"
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"cannot read"* ]]
}
