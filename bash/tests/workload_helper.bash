# Helpers for the workload, generator and cron bats files: measure a running
# container through its cgroup (v1 here, v2 as well) and clean up only what a
# test made, found by TEST_LABEL.
# shellcheck shell=bash

REPO="$(cd "${BATS_TEST_DIRNAME}/../.." && pwd)"
# Every container a test creates carries this label; teardown removes by it.
TEST_LABEL_KEY=test.vigia.run

# test_label: KEY=VALUE unique to this bats process and file.
test_label() {
	printf '%s=%s-%s\n' "${TEST_LABEL_KEY}" "${BATS_TEST_FILENAME##*/}" "${BATS_ROOT_PID:-$$}"
}

# remove_test_containers: removes the containers carrying test_label only.
remove_test_containers() {
	local -a ids
	mapfile -t ids < <(docker ps -aq --filter "label=$(test_label)")
	((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null
}

# run_test_container IMAGE [ARGS...]: starts a container of IMAGE with the test
# label and no network; prints its full id.
run_test_container() {
	local image="$1"
	shift
	docker run -d --network none --label "$(test_label)" "${image}" "$@"
}

# wait_log_lines ID N: waits up to 10 s for N lines in the container's log.
wait_log_lines() {
	local id="$1" n="$2" i
	for ((i = 0; i < 100; i++)); do
		(($(docker logs "${id}" 2>&1 | wc -l) >= n)) && return 0
		sleep 0.1
	done
	echo "container ${id:0:12}: fewer than ${n} log lines after 10 s" >&2
	docker logs "${id}" >&2
	return 1
}

container_pid() {
	docker inspect --format '{{.State.Pid}}' "$1"
}

# cgroup_dir CONTROLLER ID: the cgroup directory of the container's PID 1 for
# CONTROLLER (memory, cpuacct) on cgroup v1, or its unified directory on v2.
cgroup_dir() {
	local controller="$1" pid hier list path unified=""
	pid="$(container_pid "$2")"
	while IFS=: read -r hier list path; do
		if [[ ",${list}," == *",${controller},"* ]]; then
			printf '%s\n' "/sys/fs/cgroup/${controller}${path}"
			return 0
		fi
		[[ "${hier}" == 0 && -z "${list}" ]] && unified="/sys/fs/cgroup${path}"
	done <"/proc/${pid}/cgroup"
	# Only when no v1 hierarchy has the controller: a hybrid host lists both.
	if [[ -n "${unified}" && -f /sys/fs/cgroup/cgroup.controllers ]]; then
		printf '%s\n' "${unified}"
		return 0
	fi
	echo "no ${controller} cgroup for pid ${pid}" >&2
	return 1
}

# mem_anon_bytes ID: anonymous memory charged to the container's cgroup.
mem_anon_bytes() {
	local dir
	dir="$(cgroup_dir memory "$1")"
	if [[ -f "${dir}/memory.usage_in_bytes" ]]; then
		awk '$1 == "total_rss" { print $2 }' "${dir}/memory.stat"
	else
		awk '$1 == "anon" { print $2 }' "${dir}/memory.stat"
	fi
}

# mem_usage_bytes ID: everything charged to the container's memory cgroup.
mem_usage_bytes() {
	local dir
	dir="$(cgroup_dir memory "$1")"
	if [[ -f "${dir}/memory.usage_in_bytes" ]]; then
		cat "${dir}/memory.usage_in_bytes"
	else
		cat "${dir}/memory.current"
	fi
}

# cpu_ns ID: CPU time used by the container so far, in nanoseconds.
cpu_ns() {
	local dir
	dir="$(cgroup_dir cpuacct "$1")"
	if [[ -f "${dir}/cpuacct.usage" ]]; then
		cat "${dir}/cpuacct.usage"
	else
		awk '$1 == "usage_usec" { print $2 * 1000 }' "${dir}/cpu.stat"
	fi
}

# stop_ms ID: runs docker stop (10 s grace) and prints how long it took in ms.
stop_ms() {
	local t0 t1
	t0="$(date +%s%N)"
	docker stop --time 10 "$1" >/dev/null
	t1="$(date +%s%N)"
	echo "$(((t1 - t0) / 1000000))"
}

# in_range VALUE LOW HIGH: true when LOW <= VALUE <= HIGH (decimals allowed).
in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

# sched_ns ID: on-CPU plus runqueue-wait nanoseconds summed over the threads of
# the container's PID 1. Its rate is how many cores the program asks for, which
# does not drop when other work on the host leaves it less than it asks.
sched_ns() {
	local pid run wait rest total=0 task
	pid="$(container_pid "$1")"
	for task in /proc/"${pid}"/task/*/schedstat; do
		read -r run wait rest <"${task}" || continue
		total=$((total + run + wait))
	done
	echo "${total}"
}

# cpu_rates ID SECONDS: prints "USED DEMANDED", in cores, over SECONDS.
cpu_rates() {
	local id="$1" secs="$2" t0 t1 c0 c1 s0 s1
	c0="$(cpu_ns "${id}")"
	s0="$(sched_ns "${id}")"
	t0="$(date +%s%N)"
	sleep "${secs}"
	c1="$(cpu_ns "${id}")"
	s1="$(sched_ns "${id}")"
	t1="$(date +%s%N)"
	awk -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v t="$((t1 - t0))" \
		'BEGIN { printf "%.3f %.3f\n", c / t, s / t }'
}
