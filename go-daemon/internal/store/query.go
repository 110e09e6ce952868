package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecentActions returns the newest actions first, at most limit.
func (d *DB) RecentActions(ctx context.Context, limit int) ([]Action, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, ts, action, container_id, name, class,
		kind, reason, score, cpu_pct, rss_kb, mem_pct, dry_run, ok, error, pattern,
		pattern_value, threshold, threshold_value, pressure
		FROM actions ORDER BY ts DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("recent actions: %w", classify(err, d.timeout))
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var ts int64
		var rss sql.NullInt64
		var errText, pattern, threshold sql.NullString
		err := rows.Scan(&a.ID, &ts, &a.Action, &a.ContainerID, &a.Name, &a.Class, &a.Kind,
			&a.Reason, &a.Score, &a.CPUPct, &rss, &a.MemPct, &a.DryRun, &a.OK, &errText,
			&pattern, &a.PatternValue, &threshold, &a.ThresholdValue, &a.Pressure)
		if err != nil {
			return nil, fmt.Errorf("recent actions: %w", err)
		}
		a.Time, a.Error = time.Unix(ts, 0), errText.String
		a.Pattern, a.Threshold = pattern.String, threshold.String
		if rss.Valid {
			v := uint64(rss.Int64)
			a.RssKB = &v
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent actions: %w", classify(err, d.timeout))
	}
	return out, nil
}

// LatestContainers returns the container samples of the newest tick that
// wrote any, ordered by class and name.
func (d *DB) LatestContainers(ctx context.Context) ([]ContainerSample, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT ts, container_id, name, class, kind, pid,
		processes, vsz_kb, rss_kb, mem_pct, cpu_pct, io_read_bytes, io_write_bytes
		FROM container_samples WHERE ts = (SELECT MAX(ts) FROM container_samples)
		ORDER BY class, name, container_id`)
	if err != nil {
		return nil, fmt.Errorf("latest containers: %w", classify(err, d.timeout))
	}
	return d.scanContainers(rows, "latest containers")
}

// LatestTick returns the newest tick, or ErrNotFound.
func (d *DB) LatestTick(ctx context.Context) (TickRow, error) {
	var t TickRow
	var ts, ms int64
	var errText sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT id, ts, sensor, duration_ms, low_running,
		high_running, removed, started, error FROM ticks ORDER BY ts DESC, id DESC LIMIT 1`).
		Scan(&t.ID, &ts, &t.Sensor, &ms, &t.LowRunning, &t.HighRunning, &t.Removed, &t.Started,
			&errText)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("latest tick: %w", ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("latest tick: %w", classify(err, d.timeout))
	}
	t.Time, t.Duration, t.Error = time.Unix(ts, 0), time.Duration(ms)*time.Millisecond, errText.String
	return t, nil
}
