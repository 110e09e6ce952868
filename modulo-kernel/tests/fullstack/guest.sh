#!/bin/sh
# The full-stack lane, inside the VM (busybox sh, run by scripts/vm-run.sh's
# init). The real main job on a real kernel: both modules, containerd and
# dockerd, the three workload images, a Grafana stand-in and a foreign
# container, `vigia run` on the kernel sensors with its cron entry, and the
# generator run from that entry. It decides nothing itself beyond "did this
# step work": it leaves in /results what the host-side checker (check.py)
# judges:
#   ps.tsv            id, name, state, labels of every container at the end
#   inspect.json      docker inspect of every container at the end
#   continfo.json, sysinfo.json  one read of each /proc file at the end,
#                     continfo.uptime  the guest uptime just before that read
#   cgroup.tsv        uptime, container id, cpu.stat usage_usec, memory.current
#                     of every container cgroup, about every half second
#   clock             the wall clock (Unix seconds) and uptime read together
#   marks             uptime of each step (generator start and end, ...)
#   cron.installed    the cron entry while the daemon ran; cron.after: "gone"
#                     or "present" after SIGTERM
#   vigia.db          the daemon's database, copied after it exited
#   daemon.status, daemon.log, dockerd.log, generator.log, dmesg.txt, failures
# Environment: FS_ID (the configured <ID>), FS_INTERVAL (the daemon's
# interval), FS_BATCH (containers per generator run), FS_BROKEN=1 (run the
# deliberately broken daemon, broken-vigia.sh).
set -u

R=/results
ROOT=/opt/vigia
DB=/var/lib/vigia/vigia.db
CRON_FILE=/etc/cron.d/vigia
LOG_DIR=/var/log/vigia
CG=/sys/fs/cgroup
STOP_SAMPLER=/run/fullstack-sampler.stop
# The kernel starts init with no PATH; dockerd finds containerd and runc on it.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root

log() { echo "fullstack: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() {
	echo "FULLSTACK-FAIL: $*"
	echo "$*" >>"${R}/failures"
}
mark() {
	echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>"${R}/marks"
	log "$1"
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every half second.
wait_for() {
	limit=$(($1 * 2)) what="$2" n=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		if [ "${n}" -ge "${limit}" ]; then
			fail "timed out waiting for ${what}"
			return 1
		fi
		sleep 0.5
	done
}

# stop_within SECONDS PID: waits for PID (already sent SIGTERM) and returns
# its exit status; kills it after SECONDS so the results still reach the host.
stop_within() {
	(
		sleep "$1"
		echo "fullstack: pid $2 still runs $1 s after SIGTERM: SIGKILL"
		kill -KILL "$2"
	) 2>/dev/null &
	watchdog=$!
	wait "$2"
	status=$?
	kill "${watchdog}" 2>/dev/null
	return "${status}"
}

setup() {
	mkdir -p /var/lib/docker /var/lib/vigia "${LOG_DIR}" /etc/cron.d /usr/bin \
		/run/lock "${CG}" /var "${HOME}"
	ln -s /run /var/run
	# The scripts' shebang is /usr/bin/env bash; load-modules.sh needs
	# modinfo to read a file's vermagic, which busybox's cannot.
	ln -s /bin/busybox /usr/bin/env
	ln -sf kmod /bin/modinfo
	mount -t tmpfs -o size=1g tmpfs /var/lib/docker || return 1
	mount -t cgroup2 none "${CG}" || return 1
	echo "$(/bin/date +%s.%N) $(cut -d' ' -f1 /proc/uptime)" >"${R}/clock"
}

start_docker() {
	# runc cannot pivot_root out of an initramfs: DOCKER_RAMDISK makes it
	# chroot. dockerd starts its own containerd (the containerd binary).
	DOCKER_RAMDISK=true dockerd --storage-driver=vfs --bridge=none \
		--iptables=false --ip-masq=false --userland-proxy=false \
		--exec-opt native.cgroupdriver=cgroupfs --log-level=warn \
		>"${R}/dockerd.log" 2>&1 &
	DOCKERD=$!
	wait_for 180 "dockerd to answer" docker version || return 1
	log "dockerd $(docker version --format '{{.Server.Version}}') answers"
	docker load -q -i /fullstack/images.tar || return 1
}

# The Grafana stand-in is labelled as dashboard/docker-compose.yml labels
# Grafana; the foreign container has no vigia label of its own (the image's
# io.vigia.class and io.vigia.kind labels still show on it, as on any
# container someone runs from vigia's images). They run the RAM and the CPU
# workload: both are sampled from the daemon's first tick to its last, so the
# memory and CPU checks always have a steady container of each kind.
start_bystanders() {
	docker run -d --name fullstack-grafana --network none \
		--label io.vigia.role=grafana vigia/ram:latest >/dev/null || return 1
	docker run -d --name fullstack-foreign --network none vigia/cpu:latest >/dev/null ||
		return 1
}

# sample: cpu.stat usage_usec and memory.current of every container cgroup,
# with builtins only so a sample costs no fork.
sample() {
	while [ ! -e "${STOP_SAMPLER}" ]; do
		read -r up _ </proc/uptime
		for d in "${CG}"/docker/*/; do
			[ -r "${d}cpu.stat" ] || continue
			usage="" mem=""
			while read -r k v; do
				[ "${k}" = usage_usec ] && usage="${v}"
			done <"${d}cpu.stat"
			read -r mem <"${d}memory.current"
			id="${d%/}"
			echo "${up}	${id##*/}	${usage}	${mem}"
		done
		sleep 0.5
	done >>"${R}/cgroup.tsv" 2>/dev/null
}

start_daemon() {
	vigia=vigia
	[ "${FS_BROKEN:-0}" = 1 ] && vigia=/fullstack/broken-vigia.sh
	log "starting ${vigia} run (interval ${FS_INTERVAL})"
	VIGIA_ROOT="${ROOT}" VIGIA_ID="${FS_ID}" VIGIA_DB="${DB}" \
		VIGIA_LOG_DIR="${LOG_DIR}" VIGIA_CRON_FILE="${CRON_FILE}" \
		VIGIA_INTERVAL="${FS_INTERVAL}" VIGIA_BATCH="${FS_BATCH}" \
		VIGIA_SENSOR_FALLBACK=false VIGIA_PROC_MODE=0400 \
		"${vigia}" run >"${R}/daemon.stderr" 2>&1 &
	DAEMON=$!
	# The daemon's log on the console too: a run that hangs shows where.
	tail -f "${R}/daemon.stderr" | sed 's/^/vigia: /' &
	TAIL=$!
}

# wait_ticks SINCE N SECONDS: until N ticks that began after Unix second
# SINCE are in the database (the daemon writes one row per tick).
wait_ticks() {
	wait_for "$3" "tick $2 after $1" sh -c "[ \"\$(sqlite3 'file:${DB}?mode=ro' \
		'SELECT count(*) FROM ticks WHERE ts > $1')\" -ge $2 ]"
}

# run_cron_job: runs the daemon's cron entry as cron would, once: a clean
# environment holding only the file's variables, the job line after its five
# time fields and the user field, through the file's SHELL.
run_cron_job() {
	env_file=/run/fullstack-cron.env
	: >"${env_file}"
	job=""
	while IFS= read -r line; do
		case "${line}" in
		"" | "#"*) ;;
		[A-Z_]*=*)
			name="${line%%=*}" value="${line#*=}"
			value="${value#\"}" value="${value%\"}"
			echo "${name}=${value}" >>"${env_file}"
			;;
		*) job="${line}" ;;
		esac
	done <"${CRON_FILE}"
	[ -n "${job}" ] || {
		fail "the cron entry has no job line"
		return 1
	}
	# The time fields are '*': no pathname expansion while splitting.
	set -f
	# shellcheck disable=SC2086 # the six leading fields are split on purpose
	set -- ${job}
	set +f
	[ "$6" = root ] || fail "the cron job runs as '$6', want root"
	job="$(echo "${job}" | sed -E 's/^([^ ]+ +){6}//')"
	echo "${job}" >"${R}/cron.job"
	shell="$(sed -n 's/^SHELL=//p' "${env_file}")"
	(
		# shellcheck disable=SC2046 # one NAME=value a line, no blanks in them
		env -i $(cat "${env_file}") timeout 360 "${shell:-/bin/sh}" -c "${job}"
	)
}

# settle_and_capture: one tick after the generator ended, reads both /proc
# files; after the second, records what Docker runs. The host compares the
# read with that second tick's samples.
settle_and_capture() {
	end="$(date +%s)"
	wait_ticks "${end}" 1 300 || return 1
	cut -d' ' -f1 /proc/uptime >"${R}/continfo.uptime"
	cat "/proc/continfo_so1_${FS_ID}" >"${R}/continfo.json"
	cat "/proc/sysinfo_so1_${FS_ID}" >"${R}/sysinfo.json"
	wait_ticks "${end}" 2 300 || return 1
	docker ps -a --no-trunc --format '{{.ID}}	{{.Names}}	{{.State}}	{{.Labels}}' \
		>"${R}/ps.tsv"
	# shellcheck disable=SC2046 # container ids, one word each
	docker inspect $(docker ps -aq) >"${R}/inspect.json"
}

stop_daemon() {
	cp "${CRON_FILE}" "${R}/cron.installed" 2>/dev/null
	kill -TERM "${DAEMON}"
	stop_within 90 "${DAEMON}"
	echo "$?" >"${R}/daemon.status"
	if [ -e "${CRON_FILE}" ]; then echo present; else echo gone; fi >"${R}/cron.after"
	cp "${DB}" "${R}/vigia.db"
	for f in "${DB}-wal" "${DB}-shm"; do [ -e "${f}" ] && cp "${f}" "${R}/"; done
}

teardown() {
	touch "${STOP_SAMPLER}"
	kill "${TAIL}"
	# shellcheck disable=SC2046 # container ids, one word each
	timeout 180 docker rm -f $(docker ps -aq) >/dev/null || fail "docker rm -f failed"
	kill -TERM "${DOCKERD}"
	stop_within 60 "${DOCKERD}" || fail "dockerd did not stop on SIGTERM"
	VIGIA_ROOT="${ROOT}" VIGIA_ID="${FS_ID}" bash "${ROOT}/bash/load-modules.sh" --unload ||
		fail "load-modules.sh --unload failed"
	[ ! -e "/proc/continfo_so1_${FS_ID}" ] || fail "continfo file left after unloading"
	grep -q '^vigia_' /proc/modules && fail "a vigia module is still loaded"
}

main() {
	setup || {
		fail "guest setup (tmpfs, cgroup2)"
		return 1
	}
	start_docker || {
		fail "dockerd did not start or the images did not load"
		return 1
	}
	mark images-loaded
	start_bystanders || fail "the Grafana stand-in or the foreign container did not start"
	sample &
	start_daemon
	mark daemon-start
	if wait_for 240 "the daemon's cron entry" test -f "${CRON_FILE}"; then
		cp "${CRON_FILE}" "${R}/cron.installed"
		mark cron-installed
		# Tick 1 starts the missing containers; the generator adds more.
		wait_ticks 0 1 300 || fail "the daemon did not tick"
		mark generator-start
		run_cron_job >"${R}/generator.out" 2>&1 || fail "the cron job failed ($?)"
		mark generator-end
		settle_and_capture
		mark captured
	fi
	stop_daemon
	mark daemon-stopped
	cp "${LOG_DIR}/daemon.log" "${LOG_DIR}/generator.log" "${R}/" 2>/dev/null
	teardown
	dmesg >"${R}/dmesg.txt"
	log "done"
}

main
