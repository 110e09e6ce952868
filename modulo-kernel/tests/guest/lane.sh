#!/bin/sh
# The kernel-module lane, inside the VM (busybox sh, run by vm-run.sh's init).
# It loads both modules, builds cgroups in every layout the modules must
# recognise plus decoys, runs hostile processes in them, and leaves in
# /results what the host-side checker (../check_lane.py) compares:
#   expected.tsv      pid, expected container id or "-" (decoy), cgroup
#   continfo.json, sysinfo.json and reader.pid    one read of each file
#   proc-pre/, proc-post/  stat, status, cgroup, comm, cmdline of every pid
#   meminfo           /proc/meminfo next to the reads
#   readers.txt, cycles.txt, leak-before.txt, leak-after.txt, dmesg.txt,
#   unload-readers.txt, load-modules.txt
#   bench.txt, bench-N.json   LANE_BENCH=1 only: N extra processes
# Environment: LANE_ID (the id= parameter), LANE_BENCH, LANE_READS (per
# reader, default 200), LANE_CYCLES (default 100).
set -u

R=/results
ID="${LANE_ID:-lane}"
CONT="/proc/continfo_so1_${ID}"
SYS="/proc/sysinfo_so1_${ID}"
CG=/sys/fs/cgroup
V2="${CG}/unified"
V1="${CG}/cpu"
READS="${LANE_READS:-200}"
CYCLES="${LANE_CYCLES:-100}"

log() { echo "lane: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() {
	echo "LANE-FAIL: $*"
	echo "$*" >>"${R}/failures"
}

# cid NAME: a deterministic 64-hex container id.
cid() { printf '%s' "$1" | sha256sum | cut -c1-64; }

load() {
	insmod /lane/vigia_continfo.ko "id=${ID}" mode=0400 || return 1
	insmod /lane/vigia_sysinfo.ko "id=${ID}" mode=0400 || return 1
}

unload() {
	rmmod vigia_continfo && rmmod vigia_sysinfo
}

setup_cgroups() {
	mount -t tmpfs cgroup "${CG}" || return 1
	mkdir -p "${V2}" "${V1}"
	mount -t cgroup2 none "${V2}" || return 1
	mount -t cgroup -o cpu,cpuacct none "${V1}" || return 1
}

# run V2PATH V1PATH NAME [ARG...]: vigia-hold NAME ARG... in /V2PATH of the
# unified hierarchy and /V1PATH of the cpu hierarchy ("" = stay at the root).
run() {
	v2="$1" v1="$2"
	shift 2
	mkdir -p "${V2}${v2}" "${V1}${v1}"
	sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/cgroup.procs" &&
		shift 2 && exec vigia-hold "$@"' sh "${V2}${v2}" "${V1}${v1}" "$@" &
	LAST=$!
}

# decoy PID WHERE: PID must not be reported as a container process.
decoy() {
	printf '%s\t-\t%s\t-\n' "$1" "$2" >>"${R}/expected.tsv"
}

# expect DIR ID RUNTIME: every pid in cgroup DIR belongs to container ID
# ("-": to none). Columns: pid, id, cgroup path in its hierarchy, runtime.
expect() {
	rel="${1#"${CG}"/}"
	while read -r pid; do
		printf '%s\t%s\t/%s\t%s\n' "${pid}" "$2" "${rel#*/}" "${3:--}" \
			>>"${R}/expected.tsv"
	done <"$1/cgroup.procs"
}

start_processes() {
	long="$(head -c 100000 /dev/zero | tr '\0' 'x')"
	D1="$(cid systemd-docker)" D2="$(cid cgroupfs-docker)"
	K1="$(cid cri-containerd)" K2="$(cid kubepods-cgroupfs)"
	P1="$(cid podman-scope)" P2="$(cid podman-machine)" P3="$(cid podman-rootless)"
	N1="$(cid dind-outer)" N2="$(cid dind-inner)" H1="$(cid hybrid-v1)"
	X1="$(cid decoy-parent)" X2="$(cid host-name)" C1="$(cid churn)"

	# Containers, unified hierarchy.
	HOLD_CHILDREN=2 HOLD_KB=2048 run "/system.slice/docker-${D1}.scope" "" \
		multi "--port=80" "a b"
	# A literal backslash in each, no escape meant.
	# shellcheck disable=SC1003
	run "/docker/${D2}" "" 'q"uo\te' 'arg "with" quotes' 'back\slash\\'
	run "/docker/${D2}" "" "$(printf 'nl\nctl\001\033x')" \
		"$(printf 'tab\there\nnewline\177del')"
	run "/docker/${D2}" "" "$(printf 'bad\377\376utf')" \
		"$(printf 'inv\300\257alid\355\240\200surrogate\364\220\200\200big')"
	run "/docker/${D2}" "" 'ñandú✓→€abc' "$(printf 'ok \360\237\220\247 emoji')"
	run "/docker/${D2}" "" abcdefghijklmno fifteen
	run "/docker/${D2}" "" abcdefghijklmnopqrstuvwxyz "${long}"
	run "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${K1}.scope" "" k8s-scope
	run "/kubepods/besteffort/pod0a1b/${K2}" "" k8s-cgroupfs
	run "/machine.slice/libpod-${P1}.scope" "" podman-scope
	run "/machine.slice/libpod-${P2}" "" podman-machine
	run "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${P3}.scope" "" podman-rootless
	run "/docker/${N1}" "" dind-outer
	run "/docker/${N1}/docker/${N2}" "" dind-inner
	run "/docker/${N1}/nested/leaf" "" dind-leaf
	# Hybrid host: nothing in the unified path, docker in the cpu hierarchy.
	run "/system.slice/docker.service" "/docker/${H1}" hybrid-v1

	# Decoys: none of these is a container process.
	run "/system.slice/docker.service" "" dockerd
	decoy "${LAST}" /system.slice/docker.service
	run "/system.slice/containerd.service" "" containerd
	run "/system.slice/docker-compose-app.scope" "" compose-decoy
	run "/docker.slice/my-docker-thing.scope" "" docker-slice
	run "/system.slice/libpod-conmon-${P1}.scope" "" conmon
	run "/mydocker/${X1}" "" wrong-parent
	run "/decoy/${X1}" "" plain-hex
	run "/docker/$(echo "${X1}" | tr 'a-f' 'A-F')" "" upper-hex
	run "/docker/$(echo "${X1}" | cut -c1-63)" "" short-hex
	run "" "" "$(echo "${X2}" | cut -c1-15)" "${X2}"
	decoy "${LAST}" "/ (named like an id)"
	unshare -m -u -i -n -p -f vigia-hold unshared &
	decoy $! "/ (own namespaces)"

	sleep 2
	expect "${V2}/system.slice/docker-${D1}.scope" "${D1}" docker
	expect "${V2}/docker/${D2}" "${D2}" docker
	expect "${V2}/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${K1}.scope" "${K1}" kubernetes
	expect "${V2}/kubepods/besteffort/pod0a1b/${K2}" "${K2}" kubernetes
	expect "${V2}/machine.slice/libpod-${P1}.scope" "${P1}" podman
	expect "${V2}/machine.slice/libpod-${P2}" "${P2}" podman
	expect "${V2}/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${P3}.scope" "${P3}" podman
	expect "${V2}/docker/${N1}" "${N1}" docker
	expect "${V2}/docker/${N1}/docker/${N2}" "${N2}" docker
	expect "${V2}/docker/${N1}/nested/leaf" "${N1}" docker
	expect "${V1}/docker/${H1}" "${H1}" docker
	for d in system.slice/containerd.service system.slice/docker-compose-app.scope \
		docker.slice/my-docker-thing.scope "system.slice/libpod-conmon-${P1}.scope" \
		"mydocker/${X1}" "decoy/${X1}" "docker/$(echo "${X1}" | tr 'a-f' 'A-F')" \
		"docker/$(echo "${X1}" | cut -c1-63)"; do
		expect "${V2}/${d}" -
	done
}

capture() {
	mkdir -p "${R}/$1"
	vigia-capture "${R}/$1"
}

# read_one FILE OUT: one read by a process whose pid goes to OUT.pid.
read_one() {
	sh -c 'echo $$ >>"$2"; exec cat "$1"' sh "$1" "$2.pid" >"$2" ||
		fail "reading $1 failed"
}

snapshot() {
	capture proc-pre
	cat /proc/meminfo >"${R}/meminfo"
	read_one "${CONT}" "${R}/continfo.json"
	read_one "${SYS}" "${R}/sysinfo.json"
	capture proc-post
}

reader() {
	res="$(vigia-read "$1" "${READS}" "${R}/read$2.json")" ||
		fail "reader $2: bad reads of $1: ${res}"
	echo "reader $2 $1 ${res}" >>"${R}/readers.txt"
}

concurrency() {
	churn_dir="${V2}/docker/${C1}"
	mkdir -p "${churn_dir}"
	touch /tmp/readers-running
	(
		echo $$ >"${churn_dir}/cgroup.procs"
		rounds=0
		while [ -e /tmp/readers-running ]; do
			vigia-churn 500 25 || echo "churn failed" >>"${R}/failures"
			rounds=$((rounds + 1))
		done
		echo "churn rounds ${rounds} (500 processes each)" >>"${R}/readers.txt"
	) &
	churn=$!
	reader "${SYS}" 1 &
	r1=$!
	reader "${SYS}" 2 &
	r2=$!
	reader "${CONT}" 3 &
	r3=$!
	reader "${CONT}" 4 &
	r4=$!
	wait "${r1}" "${r2}" "${r3}" "${r4}"
	rm -f /tmp/readers-running
	wait "${churn}"
}

# Slab and vmalloc figures that a per-read leak would grow.
leak_figures() {
	echo 3 >/proc/sys/vm/drop_caches
	grep -E '^(kmalloc|task_struct|mm_struct|seq_file|vm_area_struct)' \
		/proc/slabinfo | awk '{print $1, $2}'
	grep -E '^(VmallocUsed|Slab|SUnreclaim|MemAvailable):' /proc/meminfo
}

leak_check() {
	leak_figures >"${R}/leak-before.txt"
	# The sysinfo reads go 7 bytes at a time: many partial seq_file copies.
	VIGIA_READ_CHUNK=7 vigia-read "${SYS}" 500 >/dev/null ||
		fail "leak check: bad reads of sysinfo in 7-byte pieces"
	vigia-read "${CONT}" 500 >/dev/null || fail "leak check: bad reads of continfo"
	leak_figures >"${R}/leak-after.txt"
}

# Unloading under readers: one holds the file open across rmmod, one keeps
# reading while it happens. rmmod must wait for them, the held file must then
# fail cleanly (EIO), and nothing may show in dmesg.
unload_under_readers() {
	exec 3<"${SYS}"
	VIGIA_READ_UNTIL_GONE=1 vigia-read "${CONT}" 100000 >/dev/null &
	busy=$!
	sleep 1
	unload || fail "rmmod with readers failed"
	if cat <&3 >/dev/null 2>&1; then
		fail "a file held open across rmmod could still be read"
	fi
	exec 3<&-
	wait "${busy}"
	echo "held open across rmmod: read refused; reader during rmmod: stopped" \
		>"${R}/unload-readers.txt"
	load || fail "insmod after the unload under readers failed"
}

cycles() {
	i=0 ok=0
	while [ "${i}" -lt "${CYCLES}" ]; do
		i=$((i + 1))
		unload || {
			fail "rmmod failed in cycle ${i}"
			break
		}
		if [ -e "${CONT}" ] || [ -e "${SYS}" ]; then
			fail "/proc files still there after unload in cycle ${i}"
		fi
		load || {
			fail "insmod failed in cycle ${i}"
			break
		}
		cat "${CONT}" >/dev/null && cat "${SYS}" >/dev/null && ok=$((ok + 1))
	done
	echo "cycles ${ok}/${CYCLES}" >"${R}/cycles.txt"
}

# lms ARGS...: bash/load-modules.sh as the daemon runs it, output kept.
lms() {
	echo "\$ load-modules.sh $* (VIGIA_ID=${VIGIA_ID:-} VIGIA_PROC_MODE=${VIGIA_PROC_MODE:-})" \
		>>"${R}/load-modules.txt"
	bash /vigia/bash/load-modules.sh "$@" >>"${R}/load-modules.txt" 2>&1
}

# The real load-modules.sh against the real kernel: load, leave alone,
# reload with another id, unload (its logic is unit-tested with fakes in
# load-modules.bats; this is the real thing).
load_modules_script() {
	unload || fail "rmmod before load-modules.sh failed"
	export VIGIA_ID=lms VIGIA_PROC_MODE=0444
	lms || fail "load-modules.sh failed to load"
	ls -l /proc/continfo_so1_lms /proc/sysinfo_so1_lms >>"${R}/load-modules.txt" 2>&1
	for f in /proc/continfo_so1_lms /proc/sysinfo_so1_lms; do
		case "$(ls -l "${f}" 2>/dev/null)" in
		-r--r--r--*) ;;
		*) fail "load-modules.sh: ${f} missing or not mode 0444" ;;
		esac
	done
	lms || fail "load-modules.sh failed on modules already loaded"
	grep -q "already loaded with id=lms mode=0444" "${R}/load-modules.txt" ||
		fail "load-modules.sh reloaded modules loaded with the same parameters"
	VIGIA_ID=lms2 lms || fail "load-modules.sh failed to reload with another id"
	if [ -e /proc/continfo_so1_lms ] || [ ! -e /proc/continfo_so1_lms2 ]; then
		fail "load-modules.sh did not move the files to the new id"
	fi
	lms --unload || fail "load-modules.sh --unload failed"
	if [ -e /proc/continfo_so1_lms2 ] || [ -d /sys/module/vigia_sysinfo ]; then
		fail "load-modules.sh --unload left a module or a file"
	fi
	unset VIGIA_ID VIGIA_PROC_MODE
	echo "load-modules.sh: all steps done" >>"${R}/load-modules.txt"
	load || fail "insmod after load-modules.sh failed"
}

bench_one() {
	extra="$1"
	HOLD_CHILDREN=$((extra - 1)) vigia-hold benchhold &
	while [ "$(pidof benchhold | wc -w)" -lt "${extra}" ]; do sleep 1; done
	# One validated read of the big snapshot for the host to check.
	vigia-read "${SYS}" 1 "${R}/bench-${extra}.json" >/dev/null ||
		fail "sysinfo with ${extra} extra processes is not valid JSON"
	echo "extra=${extra} $(vigia-bench "${SYS}" 5)" >>"${R}/bench.txt"
	# One pid per word: splitting is wanted.
	# shellcheck disable=SC2046
	kill $(pidof benchhold)
	while pidof benchhold >/dev/null; do sleep 1; done
}

main() {
	: >"${R}/expected.tsv"
	uname -r >"${R}/kernel.txt"
	setup_cgroups || fail "cannot mount the cgroup hierarchies"
	load || {
		fail "insmod failed"
		dmesg >"${R}/dmesg.txt"
		exit 1
	}
	if [ ! -r "${CONT}" ] || [ ! -r "${SYS}" ]; then
		fail "the /proc files are missing"
	fi
	ls -l "${CONT}" "${SYS}" >"${R}/proc-files.txt"
	log "modules loaded; starting the test processes"
	start_processes
	log "processes started; snapshot next"
	snapshot
	log "snapshot taken; concurrent readers next"
	concurrency
	log "readers done; leak check next"
	leak_check
	log "unload under readers, then load/unload cycles"
	unload_under_readers
	cycles
	log "load-modules.sh"
	load_modules_script
	if [ "${LANE_BENCH:-0}" = 1 ]; then
		log "benchmark"
		bench_one 1000
		bench_one 5000
		bench_one 10000
	fi
	log "final unload"
	unload || fail "final rmmod failed"
	if [ -e "${CONT}" ] || [ -e "${SYS}" ]; then
		fail "/proc files still there after the final unload"
	fi
	dmesg >"${R}/dmesg.txt"
	log "done"
	[ ! -s "${R}/failures" ]
}

main
