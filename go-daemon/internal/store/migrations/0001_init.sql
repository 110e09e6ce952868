-- vigia database, version 1. Designed for Grafana's SQLite datasource:
-- every time column is Unix seconds (INTEGER), every figure is a number, and
-- each table has an index that starts with ts so range queries stay cheap.

-- One row per tick of the daemon: what it read, what it found, what it did.
CREATE TABLE ticks (
	id            INTEGER PRIMARY KEY,
	ts            INTEGER NOT NULL,
	sensor        TEXT    NOT NULL,  -- 'kernel' or 'userspace'
	duration_ms   INTEGER NOT NULL,
	low_running   INTEGER NOT NULL,  -- vigia's low containers after the tick
	high_running  INTEGER NOT NULL,  -- vigia's high containers after the tick
	removed       INTEGER NOT NULL,
	started       INTEGER NOT NULL,
	error         TEXT               -- NULL when the tick read and decided
);
CREATE INDEX ticks_ts ON ticks (ts);

-- Host memory, from the sensor's header.
CREATE TABLE memory_samples (
	ts            INTEGER NOT NULL,
	total_kb      INTEGER NOT NULL,
	free_kb       INTEGER NOT NULL,
	available_kb  INTEGER NOT NULL,
	used_kb       INTEGER NOT NULL,  -- total - available
	used_pct      REAL    NOT NULL
);
CREATE INDEX memory_samples_ts ON memory_samples (ts);

-- One row per container per tick: the sums of its processes.
CREATE TABLE container_samples (
	ts             INTEGER NOT NULL,
	container_id   TEXT    NOT NULL,  -- full 64 hex
	name           TEXT    NOT NULL,  -- Docker name, '' when Docker did not know it
	class          TEXT    NOT NULL,  -- 'low', 'high', 'grafana' or 'foreign'
	kind           TEXT    NOT NULL,  -- 'ram', 'cpu', 'low' or ''
	pid            INTEGER NOT NULL,  -- the container's main process
	processes      INTEGER NOT NULL,
	vsz_kb         INTEGER NOT NULL,
	rss_kb         INTEGER NOT NULL,
	mem_pct        REAL    NOT NULL,
	cpu_pct        REAL,              -- NULL on a container's first sample
	io_read_bytes  INTEGER NOT NULL,
	io_write_bytes INTEGER NOT NULL
);
CREATE INDEX container_samples_ts ON container_samples (ts);
CREATE INDEX container_samples_id ON container_samples (container_id, ts);

-- Every process of the system per tick, from sysinfo.
CREATE TABLE process_samples (
	ts            INTEGER NOT NULL,
	pid           INTEGER NOT NULL,
	ppid          INTEGER NOT NULL,
	name          TEXT    NOT NULL,
	cmdline       TEXT    NOT NULL,
	state         TEXT    NOT NULL,
	container_id  TEXT,               -- NULL for host processes
	threads       INTEGER NOT NULL,
	vsz_kb        INTEGER NOT NULL,
	rss_kb        INTEGER NOT NULL,
	mem_pct       REAL    NOT NULL,
	cpu_pct       REAL               -- NULL on a process's first sample
);
CREATE INDEX process_samples_ts ON process_samples (ts);

-- What the daemon did to a container, and why, with the figures behind it.
CREATE TABLE actions (
	id            INTEGER PRIMARY KEY,
	ts            INTEGER NOT NULL,
	action        TEXT    NOT NULL,  -- 'remove', 'start' or 'cap'
	container_id  TEXT    NOT NULL,
	name          TEXT    NOT NULL,
	class         TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	reason        TEXT    NOT NULL,  -- one sentence a person can read
	score         REAL,              -- the policy score, NULL for a start
	cpu_pct       REAL,
	rss_kb        INTEGER,
	mem_pct       REAL,
	dry_run       INTEGER NOT NULL,  -- 1 when only logged
	ok            INTEGER NOT NULL,  -- 0 when Docker refused
	error         TEXT
);
CREATE INDEX actions_ts ON actions (ts);
