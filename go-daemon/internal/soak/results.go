package soak

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check. Skip means "not judged", with the reason in the
// detail (a busy tick, a figure the daemon does not expose).
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Observation is what the harness saw right after one tick of the daemon.
type Observation struct {
	TickID       int64         // the daemon's ticks.id
	TickTime     time.Time     // the daemon's ticks.ts (the tick's start, whole seconds)
	Seen         time.Time     // when the harness looked
	TickDuration time.Duration // the daemon's ticks.duration_ms
	TickError    string        // the daemon's ticks.error
	Quiet        bool          // no generator run overlapped [TickTime, Seen]

	Low, High  int // the run's running containers per class, as Docker lists them
	NotRunning int // the run's containers in any other state
	DaemonLow  int // ticks.low_running
	DaemonHigh int // ticks.high_running
	Removed    int // ticks.removed
	Started    int // ticks.started
	Caps       int // successful cap actions of the tick

	MemUsedKB  int64 // the tick's memory_samples.used_kb; 0 when none
	MemTotalKB int64

	RSSKB      int64 // the daemon's VmRSS
	Goroutines int64 // -1 when the daemon does not expose it
	FDs        int   // entries of /proc/<pid>/fd
	Threads    int   // Threads of /proc/<pid>/status
	DBBytes    int64 // database file + -wal + -shm
	// OldestRow is the age of the oldest row of the database's tables when
	// the harness looked; -1 when the tables are empty.
	OldestRow time.Duration
}

// Check is one invariant judged once: at a tick (TickID > 0) or at the end of
// the run (TickID 0).
type Check struct {
	TickID int64
	Name   string
	Status Status
	Detail string
}

// GeneratorRun is one run of bash/generate.sh by the harness.
type GeneratorRun struct {
	Start, End time.Time
	ExitCode   int
	Started    int // container names it printed
	Error      string
}

// Results is everything a soak run found; the report is drawn from it.
type Results struct {
	// Meta holds the run's settings and facts as text: run_id, started,
	// ended, tick, generator_every, batch, retention, keep_low, keep_high,
	// verdict, notes...
	Meta         map[string]string
	Observations []Observation
	Checks       []Check
	Generator    []GeneratorRun
}

// Failed returns the checks that failed.
func (r *Results) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

//go:embed results.sql
var resultsSchema string

// WriteResults writes r to a new SQLite file at path (an existing file is
// replaced), in one transaction.
func WriteResults(ctx context.Context, path string, r *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write results: %w", err)
	}
	db, err := sql.Open("sqlite", tmp)
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	err = writeAll(ctx, db, r)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write results %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

func writeAll(ctx context.Context, db *sql.DB, r *Results) error {
	if _, err := db.ExecContext(ctx, resultsSchema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)`,
			k, r.Meta[k]); err != nil {
			return fmt.Errorf("insert meta: %w", err)
		}
	}
	for _, o := range r.Observations {
		if _, err := tx.ExecContext(ctx, `INSERT INTO observations (tick_id, tick_ts, seen_ms,
			tick_duration_ms, tick_error, quiet, low, high, not_running, daemon_low,
			daemon_high, removed, started, caps, mem_used_kb, mem_total_kb, rss_kb,
			goroutines, fds, threads, db_bytes, oldest_row_ms)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			o.TickID, o.TickTime.Unix(), o.Seen.UnixMilli(), o.TickDuration.Milliseconds(),
			o.TickError, o.Quiet, o.Low, o.High, o.NotRunning, o.DaemonLow, o.DaemonHigh,
			o.Removed, o.Started, o.Caps, o.MemUsedKB, o.MemTotalKB, o.RSSKB, o.Goroutines,
			o.FDs, o.Threads, o.DBBytes, oldestMillis(o.OldestRow)); err != nil {
			return fmt.Errorf("insert observation: %w", err)
		}
	}
	for _, c := range r.Checks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checks (tick_id, name, status, detail)
			VALUES (?, ?, ?, ?)`, c.TickID, c.Name, string(c.Status), c.Detail); err != nil {
			return fmt.Errorf("insert check: %w", err)
		}
	}
	for _, g := range r.Generator {
		if _, err := tx.ExecContext(ctx, `INSERT INTO generator_runs (start_ms, end_ms,
			exit_code, started, error) VALUES (?, ?, ?, ?, ?)`, g.Start.UnixMilli(),
			g.End.UnixMilli(), g.ExitCode, g.Started, g.Error); err != nil {
			return fmt.Errorf("insert generator run: %w", err)
		}
	}
	return tx.Commit()
}

// oldestMillis stores OldestRow; "no rows" (any negative) stays -1, which a
// plain conversion would round to 0, an empty table passing for a fresh row.
func oldestMillis(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// ReadResults reads a file WriteResults wrote.
func ReadResults(ctx context.Context, path string) (*Results, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer db.Close()
	r := &Results{Meta: map[string]string{}}
	for _, step := range []func(context.Context, *sql.DB, *Results) error{
		readMeta, readObservations, readChecks, readGenerator,
	} {
		if err := step(ctx, db, r); err != nil {
			return nil, fmt.Errorf("read results %s: %w", path, err)
		}
	}
	return r, nil
}

func readMeta(ctx context.Context, db *sql.DB, r *Results) error {
	rows, err := db.QueryContext(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		r.Meta[k] = v
	}
	return rows.Err()
}

func readObservations(ctx context.Context, db *sql.DB, r *Results) error {
	rows, err := db.QueryContext(ctx, `SELECT tick_id, tick_ts, seen_ms, tick_duration_ms,
		tick_error, quiet, low, high, not_running, daemon_low, daemon_high, removed, started,
		caps, mem_used_kb, mem_total_kb, rss_kb, goroutines, fds, threads, db_bytes,
		oldest_row_ms FROM observations ORDER BY seen_ms, tick_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o Observation
		var ts, seen, dur, oldest int64
		if err := rows.Scan(&o.TickID, &ts, &seen, &dur, &o.TickError, &o.Quiet, &o.Low,
			&o.High, &o.NotRunning, &o.DaemonLow, &o.DaemonHigh, &o.Removed, &o.Started,
			&o.Caps, &o.MemUsedKB, &o.MemTotalKB, &o.RSSKB, &o.Goroutines, &o.FDs,
			&o.Threads, &o.DBBytes, &oldest); err != nil {
			return err
		}
		o.TickTime, o.Seen = time.Unix(ts, 0), time.UnixMilli(seen)
		o.TickDuration = time.Duration(dur) * time.Millisecond
		o.OldestRow = time.Duration(oldest) * time.Millisecond
		if oldest < 0 {
			o.OldestRow = -1
		}
		r.Observations = append(r.Observations, o)
	}
	return rows.Err()
}

func readChecks(ctx context.Context, db *sql.DB, r *Results) error {
	rows, err := db.QueryContext(ctx,
		`SELECT tick_id, name, status, detail FROM checks ORDER BY rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Check
		var status string
		if err := rows.Scan(&c.TickID, &c.Name, &status, &c.Detail); err != nil {
			return err
		}
		c.Status = Status(status)
		r.Checks = append(r.Checks, c)
	}
	return rows.Err()
}

func readGenerator(ctx context.Context, db *sql.DB, r *Results) error {
	rows, err := db.QueryContext(ctx, `SELECT start_ms, end_ms, exit_code, started, error
		FROM generator_runs ORDER BY start_ms`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g GeneratorRun
		var start, end int64
		if err := rows.Scan(&start, &end, &g.ExitCode, &g.Started, &g.Error); err != nil {
			return err
		}
		g.Start, g.End = time.UnixMilli(start), time.UnixMilli(end)
		r.Generator = append(r.Generator, g)
	}
	return rows.Err()
}
