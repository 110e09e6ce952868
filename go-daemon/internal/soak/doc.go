// Package soak runs the whole of vigia on this host for a given time, with the
// tick and the generator accelerated, and checks after every tick of the daemon
// that the system still holds its promises.
//
// The run: the real daemon (`vigia run`, a child process of the harness) with
// a temporary database, log directory and cron file path, the userspace sensor
// where the kernel modules cannot load, a short tick and a short retention;
// the real generator (bash/generate.sh) started by the harness GeneratorEvery
// after its previous run ended; a Grafana stand-in (io.vigia.role=grafana) and two foreign
// containers the harness starts and expects untouched. Every container of the
// run carries io.vigia.instance=<run id>, and the daemon is started with
// VIGIA_INSTANCE=<run id>, so other tests on the same Docker engine neither see
// nor disturb it.
//
// After each tick row the daemon writes (table ticks), the harness looks at
// Docker, the daemon's process and the database and records one Observation
// and the checks below; at the end it stops the daemon with SIGTERM and checks
// the shutdown. Check names are stable (the report and the tests use them):
//
//	tick_ok         the daemon recorded the tick without an error
//	counts          exactly KeepLow low and KeepHigh high of the run's containers run
//	recorded_counts the daemon's ticks row says the same counts as Docker
//	no_exited       none of the run's containers is exited, dead or stuck in created
//	standins        the Grafana stand-in and the foreign containers are untouched:
//	                same id, running, same start time, no restart, no new limits
//	actions_ok      every action of the tick succeeded
//	caps_applied    a container the tick capped carries a memory or CPU limit
//	cron_present    the cron entry exists and runs bash/generate.sh
//	retention       no row of the database is older than retention plus slack
//	daemon_alive    the daemon process is alive
//
// and once, at the end: rss_flat, goroutines_flat, fds_flat, db_size_flat (see
// Flat), ticks_seen (the daemon kept its pace), counts_judged (enough ticks
// were judged for counts), generator_ok (every generator run succeeded),
// daemon_exit (exit status 0 within the stop timeout after SIGTERM),
// cron_removed (the entry is gone after it), standins_final, generator_labels
// (every container the generator started carried the run's label) and
// cleanup; with Offender, offender_acted (the daemon capped or removed a
// container labelled low that burns a core: its patterns saw through the
// label). A run that stops early (the daemon died, the generator did not
// label its containers, Ctrl-C) records completed=fail with the reason
// instead of the leak and pace checks.
//
// Quiet and busy ticks: the generator adds Batch containers at once, and the
// daemon removes the extras at its next tick. A tick whose window (from its
// start to the moment the harness looked) overlaps a generator run is busy: the
// extras Docker shows then are the generator's, not a fault. On a busy tick
// counts only checks the lower bound (at least KeepLow and KeepHigh: the
// generator never removes), and recorded_counts and no_exited record "not
// judged". counts_judged fails when fewer than a fifth of the ticks were
// quiet, so a generator that never pauses cannot hide a broken policy.
//
// Results go to a SQLite file of their own (results.db, see Results), because
// the daemon's database is pruned by the short retention during the run; the
// report package draws the HTML report from it.
//
// Limitations: cron runs a job at most once a minute, so the harness runs the
// generator itself on the accelerated schedule, with the same script and the
// same environment the cron entry gives it; the entry is installed by the daemon
// at a temporary path that the host's cron does not read, and the harness checks
// it is there while the daemon runs and gone after. The leak checks compare
// maxima of halves of the run (Flat): they catch a steady leak over the run,
// not one slower than the slack allows within it.
package soak
