#!/usr/bin/env bats
# The workload images against the real Docker engine: they build from a clean
# tree, do what they claim (measured through the container's cgroup and the
# scheduler's per-thread counters), stop at once and log two lines at most.

load workload_helper

setup_file() {
	docker version >/dev/null 2>&1 || {
		echo "Docker is not reachable" >&2
		return 1
	}
}

teardown() {
	remove_test_containers
}

@test "make images builds all three images from a clean copy of the tree" {
	local copy="${BATS_TEST_TMPDIR}/tree"
	mkdir -p "${copy}"
	# Tracked and new files only: nothing from build/ or other leftovers.
	git -C "${REPO}" ls-files -z --cached --others --exclude-standard -- Makefile vigia.conf bash |
		(cd "${REPO}" && xargs -0 cp --parents -t "${copy}")
	[ ! -e "${copy}/build" ]
	run make -C "${copy}" images
	echo "${output}"
	[ "${status}" -eq 0 ]
	for kind in ram cpu low; do
		[ -x "${copy}/build/images/${kind}/vigia-${kind}" ]
		[[ "${output}" == *"built vigia/${kind}:latest"* ]]
	done
}

@test "DOCKER_BUILDKIT=1 builds too: BuildKit with buildx, else the legacy builder" {
	run env DOCKER_BUILDKIT=1 "${REPO}/bash/build-images.sh" low
	echo "${output}"
	[ "${status}" -eq 0 ]
	[[ "${output}" == *"built vigia/low:latest: class low"* ]]
	if ! docker buildx version >/dev/null 2>&1; then
		[[ "${output}" == *"buildx plugin is missing: using the legacy builder"* ]]
	fi
}

@test "images are FROM scratch, a few MiB, labelled, and run as nobody" {
	local kind class size labels
	for kind in ram cpu low; do
		class=high
		[ "${kind}" = low ] && class=low
		size="$(docker image inspect --format '{{.Size}}' "vigia/${kind}:latest")"
		echo "vigia/${kind}: ${size} bytes"
		((size < 2 * 1024 * 1024))
		labels="$(docker image inspect --format '{{index .Config.Labels "io.vigia.kind"}} {{index .Config.Labels "io.vigia.class"}} {{index .Config.Labels "org.opencontainers.image.title"}} {{.Config.User}}' "vigia/${kind}:latest")"
		[ "${labels}" = "${kind} ${class} vigia-${kind} 65534:65534" ]
		# One layer: the binary. A base image would add layers.
		[ "$(docker image inspect --format '{{len .RootFS.Layers}}' "vigia/${kind}:latest")" -eq 1 ]
	done
}

@test "ram holds its default 256 MiB within 5% (cgroup anon and total usage)" {
	local id anon usage want=$((256 * 1024 * 1024))
	id="$(run_test_container vigia/ram:latest)"
	wait_log_lines "${id}" 1
	anon="$(mem_anon_bytes "${id}")"
	usage="$(mem_usage_bytes "${id}")"
	echo "asked ${want}, cgroup anon ${anon}, cgroup usage ${usage}"
	in_range "${anon}" "$((want * 95 / 100))" "$((want * 105 / 100))"
	# Usage adds the page cache of the binary and kernel memory.
	in_range "${usage}" "$((want * 95 / 100))" "$((want * 105 / 100))"
}

@test "ram takes its size from the flag and from VIGIA_RAM_MIB" {
	local id anon want=$((96 * 1024 * 1024))
	id="$(run_test_container vigia/ram:latest --mib 96)"
	wait_log_lines "${id}" 1
	anon="$(mem_anon_bytes "${id}")"
	echo "flag: asked ${want}, got ${anon}"
	in_range "${anon}" "$((want * 95 / 100))" "$((want * 105 / 100))"

	id="$(docker run -d --network none --label "$(test_label)" -e VIGIA_RAM_MIB=64 vigia/ram:latest)"
	wait_log_lines "${id}" 1
	want=$((64 * 1024 * 1024))
	anon="$(mem_anon_bytes "${id}")"
	echo "env: asked ${want}, got ${anon}"
	in_range "${anon}" "$((want * 95 / 100))" "$((want * 105 / 100))"
}

@test "ram grows step by step and stops at its cap" {
	local id anon i want=$((48 * 1024 * 1024))
	id="$(run_test_container vigia/ram:latest --mib 16 --grow-mib 16 --grow-every 1 --max-mib 48)"
	wait_log_lines "${id}" 1
	anon="$(mem_anon_bytes "${id}")"
	echo "at start: ${anon}"
	in_range "${anon}" "$((16 * 1024 * 1024 * 95 / 100))" "$((16 * 1024 * 1024 * 105 / 100))"
	for ((i = 0; i < 50; i++)); do
		anon="$(mem_anon_bytes "${id}")"
		((anon >= want * 95 / 100)) && break
		sleep 0.1
	done
	sleep 2.5 # a step past the cap would show by now
	anon="$(mem_anon_bytes "${id}")"
	echo "after growth: ${anon}"
	in_range "${anon}" "$((want * 95 / 100))" "$((want * 105 / 100))"
}

# TODO: on a host oversubscribed by other work (load 13 on 2 cores was seen)
# the used-cores bound fails although the program asks for exactly one core;
# exclusive cores for the test would fix that, and a shared 2-core host has
# none to give. CI runs one suite at a time, where it measured 0.98 core.
@test "cpu keeps one thread busy: about one core, and never more" {
	local id used demanded try ok=0
	# The host is shared: other containers (and other work) can take a share
	# of the cores. A high CPU weight puts this one ahead of other containers;
	# the program must ask for one core in every window and get about one in
	# at least one of up to five.
	id="$(docker run -d --network none --label "$(test_label)" \
		--cpu-shares 262144 vigia/cpu:latest)"
	wait_log_lines "${id}" 1
	for ((try = 1; try <= 5; try++)); do
		read -r used demanded < <(cpu_rates "${id}" 2)
		echo "window ${try}: cores used ${used}, asked for (run + runqueue wait) ${demanded}, load $(cut -d' ' -f1 /proc/loadavg)"
		in_range "${demanded}" 0.90 1.10
		in_range "${used}" 0 1.05
		if in_range "${used}" 0.80 1.05; then
			ok=1
			break
		fi
	done
	((ok)) || echo "below 0.8 core in every window: other work holds the CPUs" >&2
	((ok))
}

@test "cpu --threads 2 asks for two cores" {
	local id used demanded
	id="$(run_test_container vigia/cpu:latest --threads 2)"
	wait_log_lines "${id}" 1
	read -r used demanded < <(cpu_rates "${id}" 3)
	echo "cores used ${used}, asked for ${demanded}"
	in_range "${demanded}" 1.80 2.20
	[ "$(docker logs "${id}")" = "vigia-cpu: 2 busy thread(s)" ]
}

@test "low stays under 1% CPU and 1 MiB resident" {
	local id used demanded anon rss_kb
	id="$(run_test_container vigia/low:latest)"
	wait_log_lines "${id}" 1
	read -r used demanded < <(cpu_rates "${id}" 3)
	anon="$(mem_anon_bytes "${id}")"
	rss_kb="$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$(container_pid "${id}")/status")"
	echo "cores used ${used}, cgroup anon ${anon} bytes, VmRSS ${rss_kb} kB"
	in_range "${used}" 0 0.01
	((anon < 1024 * 1024))
	((rss_kb < 1024))
}

@test "docker stop of each image returns in under one second, exit 0, two log lines" {
	local kind id ms
	for kind in ram cpu low; do
		id="$(run_test_container "vigia/${kind}:latest")"
		wait_log_lines "${id}" 1
		ms="$(stop_ms "${id}")"
		echo "${kind}: docker stop took ${ms} ms"
		((ms < 1000))
		[ "$(docker inspect --format '{{.State.ExitCode}}' "${id}")" -eq 0 ]
		run docker logs "${id}"
		[ "${#lines[@]}" -eq 2 ]
		[ "${lines[1]}" = "vigia-${kind}: signal 15, exiting${lines[1]#*exiting}" ]
	done
}

@test "ram stops at once even while it is still touching a large size" {
	local id ms
	id="$(run_test_container vigia/ram:latest --mib 8192)"
	sleep 0.3
	ms="$(stop_ms "${id}")"
	echo "docker stop during the allocation took ${ms} ms; log: $(docker logs "${id}")"
	((ms < 1000))
	[ "$(docker inspect --format '{{.State.ExitCode}}' "${id}")" -eq 0 ]
	[ "$(docker logs "${id}")" = "vigia-ram: stopped while allocating 8192 MiB" ]
}

@test "SIGINT stops each image at once too" {
	local kind id i
	for kind in ram cpu low; do
		id="$(run_test_container "vigia/${kind}:latest")"
		wait_log_lines "${id}" 1
		docker kill --signal INT "${id}" >/dev/null
		for ((i = 0; i < 10; i++)); do
			[ "$(docker inspect --format '{{.State.Running}}' "${id}")" = false ] && break
			sleep 0.1
		done
		[ "$(docker inspect --format '{{.State.Running}}' "${id}")" = false ]
		[[ "$(docker logs "${id}")" == *"signal 2, exiting"* ]]
	done
}

@test "a bad flag or value is refused with a message and exit 64" {
	local id
	id="$(run_test_container vigia/ram:latest --mib lots)"
	[ "$(docker wait "${id}")" -eq 64 ]
	[[ "$(docker logs "${id}" 2>&1)" == *"--mib=lots: want a whole number from 1 to 65536"* ]]
	id="$(docker run -d --network none --label "$(test_label)" -e VIGIA_CPU_THREADS=0 vigia/cpu:latest)"
	[ "$(docker wait "${id}")" -eq 64 ]
	[[ "$(docker logs "${id}" 2>&1)" == *"VIGIA_CPU_THREADS=0"* ]]
	id="$(run_test_container vigia/low:latest --verbose)"
	[ "$(docker wait "${id}")" -eq 64 ]
	[[ "$(docker logs "${id}" 2>&1)" == *"unknown argument: --verbose"* ]]
}
