#!/usr/bin/env bash
# Runs vigia's test suites one after the other and prints one summary line per
# suite, then a closing "N passed, N failed" line.
#
# A suite is a command run from the repository root. It exits 0 when it passed,
# 77 when it cannot run here (it prints why), anything else when it failed. A
# suite that cannot run fails the whole run when CI=true: nothing is skipped
# silently in CI.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly SKIP=77

# name|command. Order: fast and local first, VM lanes last.
readonly SUITES=(
	"config|bats bash/tests/config.bats"
	"shellcheck|bash/lint.sh"
	"docs|bash/check-docs.sh"
	"go-unit|cd go-daemon && ! gofmt -l . | grep . && go vet ./... && go test -race -count=1 ./..."
	"dashboards|dashboard/check.sh"
	"workload|bash/tests/workload-suite.sh workload"
	"cron|bash/tests/workload-suite.sh cron"
	"daemon-integration|go-daemon/integration/run.sh"
	"soak|make --no-print-directory daemon images >/dev/null && go-daemon/bin/vigia soak --duration 3m --offender --set VIGIA_CAPS=true --report build/soak/report.html && cd go-daemon && go test -tags soak -run TestSoakCatches -count=1 ./internal/soak/"
	"kernel-build|modulo-kernel/tests/kernel-build.sh"
	"kernel-vm|modulo-kernel/tests/kernel-vm.sh"
	"fullstack-vm|modulo-kernel/tests/fullstack/suite.sh"
)

usage() {
	cat <<USAGE
Usage: ${0##*/} [--list] [SUITE...]

Runs the named suites, or all of them. Logs of each suite go to
build/test-logs/SUITE.log and are printed when the suite does not pass.

  --list   print the suite names and exit
USAGE
}

run_suite() {
	local name="$1" cmd="$2" log="$3" rc=0 start
	start=${SECONDS}
	printf '=== suite %s: %s\n' "${name}" "${cmd}"
	bash -c "${cmd}" >"${log}" 2>&1 </dev/null || rc=$?
	LAST_SECONDS=$((SECONDS - start))
	return "${rc}"
}

main() {
	local -a wanted=() names=() results=()
	local entry name cmd rc passed=0 failed=0 skipped=0 log
	while (($#)); do
		case "$1" in
		--list)
			for entry in "${SUITES[@]}"; do printf '%s\n' "${entry%%|*}"; done
			return 0
			;;
		-h | --help)
			usage
			return 0
			;;
		-*)
			usage >&2
			vigia::die "unknown flag: $1"
			;;
		*) wanted+=("$1") ;;
		esac
		shift
	done

	cd "${VIGIA_ROOT}"
	mkdir -p build/test-logs
	export PATH="${PATH}:/usr/local/go/bin"
	for entry in "${SUITES[@]}"; do
		name="${entry%%|*}"
		cmd="${entry#*|}"
		if ((${#wanted[@]})) && [[ " ${wanted[*]} " != *" ${name} "* ]]; then
			continue
		fi
		log="build/test-logs/${name}.log"
		rc=0
		run_suite "${name}" "${cmd}" "${log}" || rc=$?
		if ((rc == 0)); then
			results+=("suite ${name}: passed (${LAST_SECONDS}s)")
			passed=$((passed + 1))
		elif ((rc == SKIP)) && [[ "${CI:-}" != true ]]; then
			results+=("suite ${name}: cannot run here: $(tail -n 1 "${log}")")
			skipped=$((skipped + 1))
		else
			tail -n 60 "${log}"
			if ((rc == SKIP)); then
				results+=("suite ${name}: FAILED, cannot run under CI: $(tail -n 1 "${log}")")
			else
				results+=("suite ${name}: FAILED (exit ${rc}, ${LAST_SECONDS}s, log ${log})")
			fi
			failed=$((failed + 1))
		fi
		names+=("${name}")
		printf '%s\n' "${results[-1]}"
	done
	((${#names[@]})) || vigia::die "no suite matched: ${wanted[*]}"

	printf '\n'
	printf '%s\n' "${results[@]}"
	if ((skipped)); then
		printf 'suites: %d passed, %d failed, %d skipped\n' "${passed}" "${failed}" "${skipped}"
	else
		printf 'suites: %d passed, %d failed\n' "${passed}" "${failed}"
	fi
	((failed == 0))
}

main "$@"
