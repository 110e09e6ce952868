package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Tick is everything one tick of the daemon records, written in one
// transaction.
type Tick struct {
	Time        time.Time
	Sensor      string // "kernel" or "userspace"
	Duration    time.Duration
	LowRunning  int
	HighRunning int
	Removed     int
	Started     int
	Error       string // "" when the tick read and decided

	Memory     *MemorySample // nil when no snapshot was read
	Containers []ContainerSample
	Processes  []ProcessSample
	Actions    []Action
}

// MemorySample is a row of memory_samples (its ts is the tick's).
type MemorySample struct {
	TotalKB     uint64
	FreeKB      uint64
	AvailableKB uint64
	UsedKB      uint64
	UsedPct     float64
}

// ContainerSample is a row of container_samples.
type ContainerSample struct {
	Time         time.Time // the tick's; set by WriteTick, read by the queries
	ContainerID  string
	Name         string
	Class        string // low, high, grafana or foreign
	Kind         string
	PID          int
	Processes    int
	VszKB        uint64
	RssKB        uint64
	MemPct       float64
	CPUPct       *float64 // nil on a container's first sample
	IOReadBytes  uint64
	IOWriteBytes uint64
}

// ProcessSample is a row of process_samples.
type ProcessSample struct {
	PID         int
	PPID        int
	Name        string
	Cmdline     string
	State       string
	ContainerID string // "" for a host process (stored as NULL)
	Threads     int
	VszKB       uint64
	RssKB       uint64
	MemPct      float64
	CPUPct      *float64
}

// Action is a row of actions: what was done to a container and why.
type Action struct {
	ID          int64     // set by the store
	Time        time.Time // zero: the tick's time
	Action      string    // remove, start or cap
	ContainerID string
	Name        string
	Class       string
	Kind        string
	Reason      string
	Score       *float64 // nil for a start
	CPUPct      *float64
	RssKB       *uint64
	MemPct      *float64
	DryRun      bool
	OK          bool
	Error       string
	// The pattern behind the action and the threshold in force (version 2);
	// "" and nil when none applied.
	Pattern        string
	PatternValue   *float64
	Threshold      string
	ThresholdValue *float64
	Pressure       *float64 // 0 to 1
}

// TickRow is a row of ticks.
type TickRow struct {
	ID          int64
	Time        time.Time
	Sensor      string
	Duration    time.Duration
	LowRunning  int
	HighRunning int
	Removed     int
	Started     int
	Error       string
}

// WriteTick writes t in one transaction and returns the tick's id. Nothing
// of the tick is written when it fails.
func (d *DB) WriteTick(ctx context.Context, t *Tick) (int64, error) {
	if err := t.check(); err != nil {
		return 0, fmt.Errorf("write tick: %w", err)
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("write tick: %w", classify(err, d.timeout))
	}
	defer tx.Rollback()
	id, err := writeTick(ctx, tx, t)
	if err != nil {
		return 0, fmt.Errorf("write tick: %w", classify(err, d.timeout))
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("write tick: commit: %w", classify(err, d.timeout))
	}
	return id, nil
}

func writeTick(ctx context.Context, tx *sql.Tx, t *Tick) (int64, error) {
	ts := t.Time.Unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO ticks (ts, sensor, duration_ms, low_running,
		high_running, removed, started, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ts, t.Sensor, t.Duration.Milliseconds(), t.LowRunning, t.HighRunning, t.Removed,
		t.Started, nullString(t.Error))
	if err != nil {
		return 0, fmt.Errorf("tick: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if m := t.Memory; m != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO memory_samples (ts, total_kb, free_kb,
			available_kb, used_kb, used_pct) VALUES (?, ?, ?, ?, ?, ?)`,
			ts, m.TotalKB, m.FreeKB, m.AvailableKB, m.UsedKB, m.UsedPct)
		if err != nil {
			return 0, fmt.Errorf("memory sample: %w", err)
		}
	}
	if err := writeContainers(ctx, tx, ts, t.Containers); err != nil {
		return 0, err
	}
	if err := writeProcesses(ctx, tx, ts, t.Processes); err != nil {
		return 0, err
	}
	if err := writeActions(ctx, tx, ts, t.Actions); err != nil {
		return 0, err
	}
	return id, nil
}

// each prepares query once and runs it with the arguments of every row.
func each[T any](ctx context.Context, tx *sql.Tx, what, query string, rows []T,
	args func(T) []any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer stmt.Close()
	for i, r := range rows {
		if _, err := stmt.ExecContext(ctx, args(r)...); err != nil {
			return fmt.Errorf("%s %d: %w", what, i, err)
		}
	}
	return nil
}

func writeContainers(ctx context.Context, tx *sql.Tx, ts int64, cs []ContainerSample) error {
	return each(ctx, tx, "container sample", `INSERT INTO container_samples (ts,
		container_id, name, class, kind, pid, processes, vsz_kb, rss_kb, mem_pct, cpu_pct,
		io_read_bytes, io_write_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, cs,
		func(c ContainerSample) []any {
			return []any{ts, c.ContainerID, c.Name, c.Class, c.Kind, c.PID, c.Processes,
				c.VszKB, c.RssKB, c.MemPct, c.CPUPct, c.IOReadBytes, c.IOWriteBytes}
		})
}

func writeProcesses(ctx context.Context, tx *sql.Tx, ts int64, ps []ProcessSample) error {
	return each(ctx, tx, "process sample", `INSERT INTO process_samples (ts, pid, ppid, name,
		cmdline, state, container_id, threads, vsz_kb, rss_kb, mem_pct, cpu_pct)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ps,
		func(p ProcessSample) []any {
			return []any{ts, p.PID, p.PPID, p.Name, p.Cmdline, p.State,
				nullString(p.ContainerID), p.Threads, p.VszKB, p.RssKB, p.MemPct, p.CPUPct}
		})
}

func writeActions(ctx context.Context, tx *sql.Tx, ts int64, as []Action) error {
	return each(ctx, tx, "action", `INSERT INTO actions (ts, action, container_id, name,
		class, kind, reason, score, cpu_pct, rss_kb, mem_pct, dry_run, ok, error, pattern,
		pattern_value, threshold, threshold_value, pressure)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, as,
		func(a Action) []any {
			at := ts
			if !a.Time.IsZero() {
				at = a.Time.Unix()
			}
			return []any{at, a.Action, a.ContainerID, a.Name, a.Class, a.Kind, a.Reason,
				a.Score, a.CPUPct, a.RssKB, a.MemPct, a.DryRun, a.OK, nullString(a.Error),
				nullString(a.Pattern), a.PatternValue, nullString(a.Threshold), a.ThresholdValue,
				a.Pressure}
		})
}

// nullString stores "" as NULL, for the columns where NULL means "none".
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// pruned are the tables Prune trims, each by its ts column.
var pruned = []string{"process_samples", "container_samples", "memory_samples", "actions", "ticks"}

// Prune deletes every row older than now minus retention and returns how
// many rows it deleted.
func (d *DB) Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, fmt.Errorf("prune: retention %s, want > 0", retention)
	}
	cutoff := now.Add(-retention).Unix()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", classify(err, d.timeout))
	}
	defer tx.Rollback()
	var total int64
	for _, table := range pruned {
		// The table names are constants of this package, not input.
		res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE ts < ?", cutoff)
		if err != nil {
			return 0, fmt.Errorf("prune %s: %w", table, classify(err, d.timeout))
		}
		n, _ := res.RowsAffected()
		total += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("prune: commit: %w", classify(err, d.timeout))
	}
	return total, nil
}
