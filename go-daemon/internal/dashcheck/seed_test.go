package dashcheck

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"testing"

	_ "modernc.org/sqlite"

	"vigia/internal/store"
)

// TODO: write through store.Open and (*store.DB).WriteTick once the store's
// write path is implemented (its API is committed, its body not yet); until
// then the rows go in with plain SQL, one transaction per tick, into a schema
// made from the store's own migration files.
func writeTicks(t *testing.T, path string, ticks []*store.Tick) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	migrations, err := filepath.Glob("../store/migrations/*.sql")
	if err != nil || len(migrations) == 0 {
		t.Fatalf("store migrations: %v (found %d)", err, len(migrations))
	}
	sort.Strings(migrations)
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version == 0 {
		for _, m := range migrations {
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(string(b)); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
		}
		if _, err := db.Exec("PRAGMA user_version = 1"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tk := range ticks {
		if err := insertTick(context.Background(), db, tk); err != nil {
			t.Fatalf("tick %s: %v", tk.Time, err)
		}
	}
}

func insertTick(ctx context.Context, db *sql.DB, tk *store.Tick) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ts := tk.Time.Unix()
	var tickErr any
	if tk.Error != "" {
		tickErr = tk.Error
	}
	if _, err := tx.Exec(`INSERT INTO ticks (ts, sensor, duration_ms, low_running, high_running,
		removed, started, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ts, tk.Sensor,
		tk.Duration.Milliseconds(), tk.LowRunning, tk.HighRunning, tk.Removed, tk.Started,
		tickErr); err != nil {
		return err
	}
	if m := tk.Memory; m != nil {
		if _, err := tx.Exec(`INSERT INTO memory_samples VALUES (?, ?, ?, ?, ?, ?)`, ts,
			m.TotalKB, m.FreeKB, m.AvailableKB, m.UsedKB, m.UsedPct); err != nil {
			return err
		}
	}
	for _, c := range tk.Containers {
		if _, err := tx.Exec(`INSERT INTO container_samples VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ts, c.ContainerID, c.Name, c.Class, c.Kind,
			c.PID, c.Processes, c.VszKB, c.RssKB, c.MemPct, c.CPUPct, c.IOReadBytes,
			c.IOWriteBytes); err != nil {
			return err
		}
	}
	for _, p := range tk.Processes {
		var cid any
		if p.ContainerID != "" {
			cid = p.ContainerID
		}
		if _, err := tx.Exec(`INSERT INTO process_samples VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ts, p.PID, p.PPID, p.Name, p.Cmdline, p.State,
			cid, p.Threads, p.VszKB, p.RssKB, p.MemPct, p.CPUPct); err != nil {
			return err
		}
	}
	for _, a := range tk.Actions {
		at := ts
		if !a.Time.IsZero() {
			at = a.Time.Unix()
		}
		var aerr any
		if a.Error != "" {
			aerr = a.Error
		}
		if _, err := tx.Exec(`INSERT INTO actions (ts, action, container_id, name, class, kind,
			reason, score, cpu_pct, rss_kb, mem_pct, dry_run, ok, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, at, a.Action, a.ContainerID, a.Name,
			a.Class, a.Kind, a.Reason, a.Score, a.CPUPct, a.RssKB, a.MemPct, a.DryRun, a.OK,
			aerr); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// pluginDB opens a database the way the datasource does: prefix, path, "?",
// options (see the plugin's connection string).
func pluginDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
