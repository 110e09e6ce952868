#!/bin/sh
# The negative control of the full-stack lane: `vigia run` as it is, plus what
# a daemon that ignores io.vigia.managed would do, removing the containers it
# did not create (Grafana excepted). The lane must fail with this in place of
# vigia; guest.sh runs it when FS_BROKEN=1.
set -u

vigia "$@" &
daemon=$!
trap 'kill -TERM "${daemon}"' TERM INT

# Every few seconds until the daemon exits: remove every container that has
# neither io.vigia.managed nor io.vigia.role, as the broken daemon would.
while kill -0 "${daemon}" 2>/dev/null; do
	docker ps --format '{{.ID}} {{.Label "io.vigia.managed"}}{{.Label "io.vigia.role"}}' |
		while read -r id labels; do
			[ -z "${labels}" ] && docker rm -f "${id}" >/dev/null &&
				echo "broken-vigia: removed foreign container ${id}" >&2
		done
	sleep 3 &
	wait $!
done
wait "${daemon}"
