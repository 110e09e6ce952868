#!/usr/bin/env bats
# The generator and remove-containers.sh against the real Docker engine. Every
# container made here carries the test label (generate.sh --label) so that
# teardown removes these and nothing else; other containers on this engine
# belong to other people.

load workload_helper

NAME_RE='^vigia-(ram|cpu|low)-[0-9]{14}-[0-9a-f]{6}$'

setup_file() {
	docker version >/dev/null 2>&1 || {
		echo "Docker is not reachable" >&2
		return 1
	}
	local kind
	for kind in ram cpu low; do
		docker image inspect "vigia/${kind}:latest" >/dev/null 2>&1 ||
			"${BATS_TEST_DIRNAME}/../build-images.sh" >&2
	done
}

setup() {
	export VIGIA_LOG_DIR="${BATS_TEST_TMPDIR}/log"
	export VIGIA_CONFIG="${BATS_TEST_TMPDIR}/vigia.conf"
	: >"${VIGIA_CONFIG}"
	unset VIGIA_BATCH VIGIA_INSTANCE
	LOCK="${BATS_TEST_TMPDIR}/generator.lock"
}

teardown() {
	remove_test_containers
}

generate() {
	"${REPO}/bash/generate.sh" --lock "${LOCK}" --label "$(test_label)" "$@"
}

# check_container NAME: labels, image, network and state as the contract says.
check_container() {
	local name="$1" kind class got
	[[ "${name}" =~ ${NAME_RE} ]]
	kind="${BASH_REMATCH[1]}"
	class=high
	[ "${kind}" = low ] && class=low
	got="$(docker inspect --format '{{index .Config.Labels "io.vigia.managed"}} {{index .Config.Labels "io.vigia.class"}} {{index .Config.Labels "io.vigia.kind"}} {{.Config.Image}} {{.HostConfig.NetworkMode}} {{.State.Running}}' "${name}")"
	[ "${got}" = "true ${class} ${kind} vigia/${kind}:latest none true" ] || {
		echo "${name}: ${got}" >&2
		return 1
	}
}

@test "two runs start 20 uniquely named, labelled containers and touch no other" {
	local foreign grafana name before after stamp
	local -a names
	foreign="$(run_test_container vigia/low:latest)"
	grafana="$(docker run -d --network none --label "$(test_label)" \
		--label io.vigia.role=grafana vigia/low:latest)"
	before="$(date -u +%Y%m%d%H%M%S)"
	generate >"${BATS_TEST_TMPDIR}/run1"
	generate --count 10 >"${BATS_TEST_TMPDIR}/run2"
	after="$(date -u +%Y%m%d%H%M%S)"
	mapfile -t names < <(cat "${BATS_TEST_TMPDIR}/run1" "${BATS_TEST_TMPDIR}/run2")
	[ "${#names[@]}" -eq 20 ]
	[ "$(printf '%s\n' "${names[@]}" | sort -u | wc -l)" -eq 20 ]
	for name in "${names[@]}"; do
		check_container "${name}"
		# The name's time is the UTC time of the run.
		stamp="$(cut -d- -f3 <<<"${name}")"
		((stamp >= before && stamp <= after))
	done
	[ "$(docker inspect --format '{{.State.Running}}' "${foreign}" "${grafana}")" = $'true\ntrue' ]
	# Both runs went to the log file, in a directory the generator created.
	[ "$(grep -c ' INFO  generate.sh: started vigia-' "${VIGIA_LOG_DIR}/generator.log")" -eq 20 ]
	[ "$(grep -c 'done: ram' "${VIGIA_LOG_DIR}/generator.log")" -eq 2 ]
}

@test "remove-containers.sh removes vigia's containers and spares foreign ones and Grafana" {
	local foreign grafana
	local -a names
	foreign="$(run_test_container vigia/low:latest)"
	grafana="$(docker run -d --network none --label "$(test_label)" \
		--label io.vigia.managed=true --label io.vigia.role=grafana vigia/low:latest)"
	mapfile -t names < <(generate --count 3)
	[ "${#names[@]}" -eq 3 ]
	run "${REPO}/bash/remove-containers.sh" --dry-run --label "$(test_label)"
	[ "${status}" -eq 0 ]
	[ "$(grep -c '^vigia-' <<<"${output}")" -eq 3 ]
	[ "$(docker ps -q --filter "label=$(test_label)" | wc -l)" -eq 5 ]
	run "${REPO}/bash/remove-containers.sh" --label "$(test_label)"
	echo "${output}"
	[ "${status}" -eq 0 ]
	[[ "${output}" == *"skipping"*"Grafana"* ]]
	[ "$(docker ps -aq --filter "label=$(test_label)" --filter label=io.vigia.managed=true | wc -l)" -eq 1 ]
	[ "$(docker inspect --format '{{.State.Running}}' "${foreign}" "${grafana}")" = $'true\ntrue' ]
}

@test "VIGIA_INSTANCE labels every container; remove-containers.sh keeps to it" {
	local other instance="t-${BATS_ROOT_PID:-$$}"
	local -a names
	# A managed container of another instance: foreign to this one.
	other="$(docker run -d --network none --label "$(test_label)" \
		--label io.vigia.managed=true --label io.vigia.instance=other vigia/low:latest)"
	mapfile -t names < <(VIGIA_INSTANCE="${instance}" generate --count 2)
	[ "${#names[@]}" -eq 2 ]
	for name in "${names[@]}"; do
		check_container "${name}"
		[ "$(docker inspect --format '{{index .Config.Labels "io.vigia.instance"}}' "${name}")" = "${instance}" ]
	done
	grep -q "run: 2 container(s), instance ${instance}" "${VIGIA_LOG_DIR}/generator.log"
	run env VIGIA_INSTANCE="${instance}" "${REPO}/bash/remove-containers.sh" --label "$(test_label)"
	echo "${output}"
	[ "${status}" -eq 0 ]
	[ "$(grep -c '^vigia-' <<<"${output}")" -eq 2 ]
	[ "$(docker inspect --format '{{.State.Running}}' "${other}")" = true ]
	# Without an instance, a labelled instance's containers are not ours either.
	run env VIGIA_INSTANCE= "${REPO}/bash/remove-containers.sh" --label "$(test_label)"
	[ "${status}" -eq 0 ]
	[ "$(docker inspect --format '{{.State.Running}}' "${other}")" = true ]
	run env VIGIA_INSTANCE='no spaces' "${REPO}/bash/generate.sh" --lock "${LOCK}" --count 1
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"VIGIA_INSTANCE=no spaces"* ]]
}

@test "the count comes from VIGIA_BATCH; --dry-run starts nothing" {
	local name
	local -a names
	run env VIGIA_BATCH=4 "${REPO}/bash/generate.sh" --lock "${LOCK}" --dry-run
	[ "${status}" -eq 0 ]
	mapfile -t names < <(grep -E "${NAME_RE}" <<<"${output}")
	[ "${#names[@]}" -eq 4 ]
	for name in "${names[@]}"; do
		run docker inspect "${name}"
		[ "${status}" -ne 0 ]
	done
}

@test "Docker down: a clear error, a non-zero exit, the reason in the log" {
	run env DOCKER_HOST="unix://${BATS_TEST_TMPDIR}/dead.sock" \
		"${REPO}/bash/generate.sh" --lock "${LOCK}" --count 2
	echo "${output}"
	[ "${status}" -eq 1 ]
	[[ "${output}" == *"ERROR"*"Docker is not reachable at unix://${BATS_TEST_TMPDIR}/dead.sock: is the engine running?"* ]]
	grep -q 'Docker is not reachable' "${VIGIA_LOG_DIR}/generator.log"
}

@test "a run that finds the lock held starts nothing and exits 75" {
	local fd
	# Held by this shell: a lock on its own open file, as another run's.
	exec {fd}>>"${LOCK}"
	flock -n "${fd}"
	run generate --count 1
	exec {fd}>&-
	echo "${output}"
	[ "${status}" -eq 75 ]
	[[ "${output}" == *"another generator run holds ${LOCK}"* ]]
	[ "$(docker ps -aq --filter "label=$(test_label)" | wc -l)" -eq 0 ]
}

@test "bad arguments are refused before anything runs" {
	run "${REPO}/bash/generate.sh" --count 0
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"--count 0: want a whole number from 1 to 1000"* ]]
	run "${REPO}/bash/generate.sh" --count ten
	[ "${status}" -ne 0 ]
	run "${REPO}/bash/generate.sh" --label io.vigia.managed=false
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"the io.vigia.* labels are the generator's own"* ]]
	run "${REPO}/bash/generate.sh" --label nonsense
	[ "${status}" -ne 0 ]
	run "${REPO}/bash/generate.sh" --frobnicate
	[ "${status}" -ne 0 ]
	[[ "${output}" == *"unknown argument: --frobnicate"* ]]
	run "${REPO}/bash/remove-containers.sh" --all
	[ "${status}" -ne 0 ]
	# Refused before the log was opened, so before Docker was asked anything.
	[ ! -e "${VIGIA_LOG_DIR}" ]
}

# The missing-image path with a stand-in docker on PATH: the real images are
# shared with other work on this engine and must not be removed to test this.
@test "a missing image is named with the fix: run make images" {
	local bin="${BATS_TEST_TMPDIR}/bin"
	mkdir -p "${bin}"
	cat >"${bin}/docker" <<'STUB'
#!/bin/sh
case "$1 $2" in
"version --format") echo 20.10.0 ;;
"image inspect") case "$*" in *vigia/cpu:latest*) exit 1 ;; *vigia/ram*) echo "ram high" ;; *) echo "low low" ;; esac ;;
*) echo "unexpected: docker $*" >&2; exit 3 ;;
esac
STUB
	chmod +x "${bin}/docker"
	run env PATH="${bin}:${PATH}" "${REPO}/bash/generate.sh" --lock "${LOCK}" --count 1
	echo "${output}"
	[ "${status}" -eq 1 ]
	[[ "${output}" == *"image vigia/cpu:latest is missing: run make images"* ]]
	[[ "${output}" != *unexpected* ]]
}
