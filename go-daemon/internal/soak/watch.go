package soak

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// dbTick is one row of the daemon's ticks table with what the harness joins
// to it from the same database.
type dbTick struct {
	ID         int64
	Time       time.Time
	Duration   time.Duration
	Low, High  int
	Removed    int
	Started    int
	Error      string
	MemUsedKB  int64
	MemTotalKB int64
	Actions    []ActionRow
}

// watcher reads the daemon's database while the daemon writes it. Each poll
// is one short read transaction, so it sees whole ticks and never holds back
// the daemon's checkpoints for long.
//
// Rows are new when their id or their time is past the last one seen: the
// tables' ids are plain rowids, which SQLite hands out again once pruning
// has emptied a table (a daemon stopped for longer than the retention).
type watcher struct {
	db           *sql.DB
	lastTick     int64
	lastTickTS   int64
	lastAction   int64
	lastActionTS int64
}

func openWatcher(path string) (*watcher, error) {
	db, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open the daemon's database: %w", err)
	}
	db.SetMaxOpenConns(1)
	return &watcher{db: db}, nil
}

func (w *watcher) Close() error { return w.db.Close() }

// poll returns the ticks written since the last poll, each with its memory
// sample and its actions, and the age of the oldest row of the database.
func (w *watcher) poll(ctx context.Context, now time.Time) ([]dbTick, time.Duration, error) {
	tx, err := w.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("read the daemon's database: %w", err)
	}
	defer tx.Rollback()
	ticks, err := w.ticks(ctx, tx)
	if err != nil || len(ticks) == 0 {
		return nil, 0, err
	}
	if err := w.actions(ctx, tx, ticks); err != nil {
		return nil, 0, err
	}
	for i := range ticks {
		row := tx.QueryRowContext(ctx, `SELECT used_kb, total_kb FROM memory_samples
			WHERE ts = ? LIMIT 1`, ticks[i].Time.Unix())
		if err := row.Scan(&ticks[i].MemUsedKB, &ticks[i].MemTotalKB); err != nil &&
			err != sql.ErrNoRows {
			return nil, 0, fmt.Errorf("read memory_samples: %w", err)
		}
	}
	oldest, err := oldestRow(ctx, tx, now)
	if err != nil {
		return nil, 0, err
	}
	for _, t := range ticks {
		w.lastTick, w.lastTickTS = max(w.lastTick, t.ID), max(w.lastTickTS, t.Time.Unix())
	}
	return ticks, oldest, nil
}

func (w *watcher) ticks(ctx context.Context, tx *sql.Tx) ([]dbTick, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, ts, duration_ms, low_running, high_running,
		removed, started, COALESCE(error, '') FROM ticks WHERE id > ? OR ts > ?
		ORDER BY ts, id`, w.lastTick, w.lastTickTS)
	if err != nil {
		return nil, fmt.Errorf("read ticks: %w", err)
	}
	defer rows.Close()
	var out []dbTick
	for rows.Next() {
		var t dbTick
		var ts, ms int64
		if err := rows.Scan(&t.ID, &ts, &ms, &t.Low, &t.High, &t.Removed, &t.Started,
			&t.Error); err != nil {
			return nil, fmt.Errorf("read ticks: %w", err)
		}
		t.Time, t.Duration = time.Unix(ts, 0), time.Duration(ms)*time.Millisecond
		out = append(out, t)
	}
	return out, rows.Err()
}

// actions reads the new actions and gives each to the tick of its time (the
// daemon writes a tick's actions in the tick's transaction, with its time);
// an action of no tick read here goes to the newest one.
func (w *watcher) actions(ctx context.Context, tx *sql.Tx, ticks []dbTick) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, ts, action, container_id, name, class, ok,
		COALESCE(error, '') FROM actions WHERE id > ? OR ts > ? ORDER BY ts, id`,
		w.lastAction, w.lastActionTS)
	if err != nil {
		return fmt.Errorf("read actions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a ActionRow
		var ts int64
		if err := rows.Scan(&a.ID, &ts, &a.Action, &a.ContainerID, &a.Name, &a.Class, &a.OK,
			&a.Error); err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		i := len(ticks) - 1
		for j := range ticks {
			if ticks[j].Time.Unix() == ts {
				i = j
			}
		}
		ticks[i].Actions = append(ticks[i].Actions, a)
		w.lastAction, w.lastActionTS = max(w.lastAction, a.ID), max(w.lastActionTS, ts)
	}
	return rows.Err()
}

// oldestRow is the age of the oldest row of every table the daemon prunes;
// -1 when they are all empty.
func oldestRow(ctx context.Context, tx *sql.Tx, now time.Time) (time.Duration, error) {
	var oldest sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MIN(m) FROM (
		SELECT MIN(ts) AS m FROM ticks
		UNION ALL SELECT MIN(ts) FROM memory_samples
		UNION ALL SELECT MIN(ts) FROM container_samples
		UNION ALL SELECT MIN(ts) FROM process_samples
		UNION ALL SELECT MIN(ts) FROM actions)`).Scan(&oldest)
	if err != nil {
		return 0, fmt.Errorf("read the oldest row: %w", err)
	}
	if !oldest.Valid {
		return -1, nil
	}
	return now.Sub(time.Unix(oldest.Int64, 0)), nil
}
