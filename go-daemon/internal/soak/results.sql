-- The results of one soak run (written by the harness, read by the report).
-- Times are Unix milliseconds (_ms) or the daemon's Unix seconds (tick_ts).

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- One row per tick of the daemon the harness looked at.
CREATE TABLE observations (
	tick_id          INTEGER NOT NULL,  -- the daemon's ticks.id
	tick_ts          INTEGER NOT NULL,  -- the daemon's ticks.ts
	seen_ms          INTEGER NOT NULL,  -- when the harness looked
	tick_duration_ms INTEGER NOT NULL,
	tick_error       TEXT    NOT NULL,  -- '' when the tick read and decided
	quiet            INTEGER NOT NULL,  -- 1: no generator run overlapped the tick
	low              INTEGER NOT NULL,  -- running low containers of the run (Docker)
	high             INTEGER NOT NULL,  -- running high containers of the run (Docker)
	not_running      INTEGER NOT NULL,  -- the run's containers in another state
	daemon_low       INTEGER NOT NULL,  -- ticks.low_running
	daemon_high      INTEGER NOT NULL,  -- ticks.high_running
	removed          INTEGER NOT NULL,
	started          INTEGER NOT NULL,
	caps             INTEGER NOT NULL,
	mem_used_kb      INTEGER NOT NULL,  -- host memory in use (0: no sample)
	mem_total_kb     INTEGER NOT NULL,
	rss_kb           INTEGER NOT NULL,  -- the daemon's resident memory
	goroutines       INTEGER NOT NULL,  -- -1: not exposed by the daemon
	fds              INTEGER NOT NULL,
	threads          INTEGER NOT NULL,
	db_bytes         INTEGER NOT NULL,  -- database + -wal + -shm
	oldest_row_ms    INTEGER NOT NULL   -- age of the oldest row, -1: none
);

-- One row per check: per tick (tick_id > 0) or at the end (tick_id 0).
CREATE TABLE checks (
	tick_id INTEGER NOT NULL,
	name    TEXT    NOT NULL,
	status  TEXT    NOT NULL CHECK (status IN ('pass', 'fail', 'skip')),
	detail  TEXT    NOT NULL
);

CREATE TABLE generator_runs (
	start_ms  INTEGER NOT NULL,
	end_ms    INTEGER NOT NULL,
	exit_code INTEGER NOT NULL,
	started   INTEGER NOT NULL,  -- containers it reported started
	error     TEXT    NOT NULL
);
