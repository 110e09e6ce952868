#!/usr/bin/env bats
# The cron entry: rendering rules (bash/cron-entry.sh render, which the daemon
# mirrors in Go), then the real thing: Debian's cron daemon picks the rendered
# entry up from /etc/cron.d and runs the generator within 70 seconds.

load workload_helper

RENDER="${BATS_TEST_DIRNAME}/../cron-entry.sh"

setup() {
	export VIGIA_CONFIG="${BATS_TEST_TMPDIR}/vigia.conf"
	: >"${VIGIA_CONFIG}"
	export VIGIA_LOG_DIR="${BATS_TEST_TMPDIR}/log"
	unset VIGIA_BATCH VIGIA_CRON_SCHEDULE VIGIA_INSTANCE
}

teardown() {
	if [[ -n "${ENTRY:-}" ]]; then
		rm -f "${ENTRY}"
		# A run that started before the entry went away: its containers too.
		remove_logged_containers
	fi
	if [[ -n "${STARTED_CRON:-}" ]]; then
		kill "${STARTED_CRON}" 2>/dev/null || true
		wait "${STARTED_CRON}" 2>/dev/null || true
	fi
}

# remove_logged_containers: removes the containers the cron-run generator
# logged as started in this test's log directory (they cannot carry the test
# label: the entry runs the generator exactly as installed).
remove_logged_containers() {
	local -a names
	[[ -f "${VIGIA_LOG_DIR}/generator.log" ]] || return 0
	mapfile -t names < <(sed -nE 's/.* started (vigia-[a-z]+-[0-9]{14}-[0-9a-f]{6}) .*/\1/p' \
		"${VIGIA_LOG_DIR}/generator.log")
	((${#names[@]} == 0)) || docker rm -f "${names[@]}" >/dev/null 2>&1 || true
}

# cron_running: true when a live (not zombie) cron daemon exists.
cron_running() {
	local pid state
	for pid in $(pgrep -x cron); do
		state="$(awk '{ print $3 }' "/proc/${pid}/stat" 2>/dev/null)" || continue
		[[ "${state}" != Z ]] && return 0
	done
	return 1
}

@test "render fills every placeholder and keeps the header" {
	run "${RENDER}" render
	[ "${status}" -eq 0 ]
	[[ "${lines[0]}" == "# vigia"* ]]
	[[ "${output}" != *@VIGIA_* ]]
	grep -qx "VIGIA_LOG_DIR=\"${VIGIA_LOG_DIR}\"" <<<"${output}"
	grep -qx 'VIGIA_BATCH="10"' <<<"${output}"
	grep -qx "VIGIA_CONFIG=\"${VIGIA_CONFIG}\"" <<<"${output}"
	grep -qx 'VIGIA_INSTANCE=""' <<<"${output}"
	grep -qxF "* * * * * root mkdir -p \"${VIGIA_LOG_DIR}\" && \"${REPO}/bash/generate.sh\" --log - 2>>\"${VIGIA_LOG_DIR}/generator.log\" >/dev/null" <<<"${output}"
}

# Debian cron drops the WHOLE file when a line reads NAME= with nothing after
# '=' ("bad minute"): every variable line must be NAME="value", even empty.
@test "every variable line is NAME=\"value\", also when VIGIA_CONFIG is unset" {
	unset VIGIA_CONFIG
	run "${RENDER}" render
	[ "${status}" -eq 0 ]
	grep -qx 'VIGIA_CONFIG=""' <<<"${output}"
	local line
	while IFS= read -r line; do
		[[ "${line}" == '#'* || "${line}" != [A-Z]*=* ]] && continue
		[[ "${line}" =~ ^(SHELL|PATH)=[^\"]+$ || "${line}" =~ ^[A-Z_]+=\"[^\"]*\"$ ]] || {
			echo "bad variable line: ${line}" >&2
			return 1
		}
	done <<<"${output}"
}

@test "render follows VIGIA_CRON_SCHEDULE, VIGIA_BATCH and VIGIA_INSTANCE" {
	run env VIGIA_CRON_SCHEDULE='*/5 1-3 * * mon' VIGIA_BATCH=3 VIGIA_INSTANCE=it-cron.1 \
		"${RENDER}" render
	[ "${status}" -eq 0 ]
	grep -q '^\*/5 1-3 \* \* mon root mkdir' <<<"${output}"
	grep -qx 'VIGIA_BATCH="3"' <<<"${output}"
	grep -qx 'VIGIA_INSTANCE="it-cron.1"' <<<"${output}"
}

@test "render refuses values cron or the shell would reinterpret" {
	local bad
	for bad in '* * * *' '* * * * * *' '* * * * ;' '@reboot'; do
		run env VIGIA_CRON_SCHEDULE="${bad}" "${RENDER}" render
		[ "${status}" -ne 0 ]
		[[ "${output}" == *"VIGIA_CRON_SCHEDULE=${bad}"* ]]
	done
	# shellcheck disable=SC2016 # the '$' and '`' are the characters under test
	for bad in /tmp/a%b '/tmp/a"b' '/tmp/a$b' '/tmp/a`b' '/tmp/a\b' $'/tmp/a\nb'; do
		run env VIGIA_LOG_DIR="${bad}" "${RENDER}" render
		[ "${status}" -ne 0 ]
		[[ "${output}" == *"cannot go in a cron entry"* ]]
	done
	run "${RENDER}" render extra
	[ "${status}" -ne 0 ]
	run "${RENDER}"
	[ "${status}" -ne 0 ]
}

@test "the real cron daemon runs the rendered entry within 70 seconds" {
	local start elapsed tmp kind i
	[[ -d /etc/cron.d && -w /etc/cron.d ]] || {
		echo "/etc/cron.d is not writable: run as root" >&2
		return 1
	}
	for kind in ram cpu low; do
		docker image inspect "vigia/${kind}:latest" >/dev/null 2>&1 ||
			"${REPO}/bash/build-images.sh" >&2
	done
	if ! cron_running; then
		# In the foreground as a child of this test, so that teardown can
		# stop it and reap it; no output, and bats' fd 3 closed.
		/usr/sbin/cron -f >/dev/null 2>&1 3>&- &
		STARTED_CRON=$!
		for ((i = 0; i < 50; i++)); do
			cron_running && break
			sleep 0.1
		done
		echo "started cron, pid ${STARTED_CRON}"
	fi
	cron_running
	# The case that once broke the file: VIGIA_CONFIG unset renders as "".
	unset VIGIA_CONFIG
	# cron.d ignores names with dots: the temporary file is never read.
	ENTRY="/etc/cron.d/vigia-test-${BATS_ROOT_PID:-$$}"
	tmp="/etc/cron.d/.vigia-test-${BATS_ROOT_PID:-$$}.tmp"
	VIGIA_BATCH=1 "${RENDER}" render >"${tmp}"
	chmod 0644 "${tmp}"
	mv "${tmp}" "${ENTRY}"
	start=${SECONDS}
	until grep -q 'done: ram' "${VIGIA_LOG_DIR}/generator.log" 2>/dev/null; do
		((SECONDS - start <= 70)) || break
		sleep 1
	done
	elapsed=$((SECONDS - start))
	rm -f "${ENTRY}"
	echo "cron ran the generator ${elapsed} s after the entry was installed"
	cat "${VIGIA_LOG_DIR}/generator.log" 2>/dev/null || echo "(no generator.log)"
	((elapsed <= 70))
	grep -qE ' started vigia-(ram|cpu|low)-[0-9]{14}-[0-9a-f]{6} ' "${VIGIA_LOG_DIR}/generator.log"
	# The entry's VIGIA_BATCH="1" reached the generator without its quotes.
	grep -q 'run: 1 container(s)$' "${VIGIA_LOG_DIR}/generator.log"
	# Standard output (the bare names) is dropped: only log lines in the file.
	run grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "${VIGIA_LOG_DIR}/generator.log"
	[ "${status}" -eq 1 ]
}
