package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func open(t *testing.T, path string, opts ...Option) *DB {
	t.Helper()
	d, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func f(v float64) *float64 { return &v }
func u(v uint64) *uint64   { return &v }

var t0 = time.Unix(1764777600, 0)

func sampleTick(at time.Time) *Tick {
	id := strings.Repeat("ab", 32)
	return &Tick{
		Time: at, Sensor: "userspace", Duration: 42 * time.Millisecond,
		LowRunning: 3, HighRunning: 2, Removed: 1, Started: 0,
		Memory: &MemorySample{TotalKB: 1000, FreeKB: 100, AvailableKB: 400, UsedKB: 600,
			UsedPct: 60},
		Containers: []ContainerSample{
			{ContainerID: id, Name: "vigia-ram-x", Class: "high", Kind: "ram", PID: 10,
				Processes: 2, VszKB: 5000, RssKB: 300, MemPct: 30, CPUPct: f(12.5),
				IOReadBytes: 1, IOWriteBytes: 2},
			{ContainerID: strings.Repeat("cd", 32), Name: "grafana", Class: "grafana", PID: 20,
				Processes: 1, RssKB: 10, MemPct: 1},
		},
		Processes: []ProcessSample{
			{PID: 1, Name: "init", Cmdline: "/sbin/init", State: "S", Threads: 1, RssKB: 5},
			{PID: 10, PPID: 9, Name: "ram", Cmdline: "ram --mb 64 'quoted' \"x\"", State: "R",
				ContainerID: id, Threads: 1, VszKB: 5000, RssKB: 290, MemPct: 29, CPUPct: f(12)},
		},
		Actions: []Action{
			{Action: "remove", ContainerID: id, Name: "vigia-ram-x", Class: "high", Kind: "ram",
				Reason: "high has 3, target 2", Score: f(20.5), CPUPct: f(12.5), RssKB: u(300),
				MemPct: f(30), OK: true, Pattern: "leak", PatternValue: f(2.5), Threshold: "leak",
				ThresholdValue: f(0.75), Pressure: f(0.5)},
			{Action: "start", Name: "vigia-low-y", Class: "low", Kind: "low", Reason: "short",
				DryRun: true, OK: false, Error: "dry run", Time: at.Add(-time.Second)},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "vigia.db")
	d := open(t, path)
	in := sampleTick(t0)
	id, err := d.WriteTick(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	tick, err := d.LatestTick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := TickRow{ID: id, Time: t0, Sensor: "userspace", Duration: 42 * time.Millisecond,
		LowRunning: 3, HighRunning: 2, Removed: 1}
	if tick != want {
		t.Errorf("tick\n got %+v\nwant %+v", tick, want)
	}
	cs, err := d.LatestContainers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCS := append([]ContainerSample(nil), in.Containers[1], in.Containers[0]) // by class
	for i := range wantCS {
		wantCS[i].Time = t0
	}
	if !reflect.DeepEqual(cs, wantCS) {
		t.Errorf("containers\n got %+v\nwant %+v", cs, wantCS)
	}
	as, err := d.RecentActions(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantAS := append([]Action(nil), in.Actions...)
	wantAS[0].ID, wantAS[0].Time = 1, t0
	wantAS[1].ID = 2
	if !reflect.DeepEqual(as, wantAS) {
		t.Errorf("actions\n got %+v\nwant %+v", as, wantAS)
	}
	checkRows(t, path, map[string]int{"ticks": 1, "memory_samples": 1, "container_samples": 2,
		"process_samples": 2, "actions": 2})
	var cid sql.NullString
	var cpu sql.NullFloat64
	raw := rawDB(t, path)
	err = raw.QueryRow("SELECT container_id, cpu_pct FROM process_samples WHERE pid = 1").
		Scan(&cid, &cpu)
	if err != nil || cid.Valid || cpu.Valid {
		t.Errorf("host process: container_id %v cpu %v err %v, want NULLs", cid, cpu, err)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func checkRows(t *testing.T, path string, want map[string]int) {
	t.Helper()
	raw := rawDB(t, path)
	for table, n := range want {
		var got int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s has %d rows, want %d", table, got, n)
		}
	}
}

func TestEmpty(t *testing.T) {
	ctx := context.Background()
	d := open(t, filepath.Join(t.TempDir(), "vigia.db"))
	if _, err := d.LatestTick(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("LatestTick on an empty database: %v", err)
	}
	if cs, err := d.LatestContainers(ctx); err != nil || len(cs) != 0 {
		t.Errorf("LatestContainers: %v %v", cs, err)
	}
	if as, err := d.RecentActions(ctx, 5); err != nil || len(as) != 0 {
		t.Errorf("RecentActions: %v %v", as, err)
	}
	// A tick that read nothing: no memory, no samples, an error.
	failed := &Tick{Time: t0, Sensor: "kernel", Error: "read continfo: x"}
	if _, err := d.WriteTick(ctx, failed); err != nil {
		t.Fatal(err)
	}
	tick, err := d.LatestTick(ctx)
	if err != nil || tick.Error != "read continfo: x" {
		t.Errorf("tick %+v, %v", tick, err)
	}
}

func TestLatestAndRecentOrder(t *testing.T) {
	ctx := context.Background()
	d := open(t, filepath.Join(t.TempDir(), "vigia.db"))
	for i := range 5 {
		tk := sampleTick(t0.Add(time.Duration(i) * 20 * time.Second))
		tk.Containers[0].RssKB = uint64(100 + i)
		tk.Actions[0].Reason = "tick " + string(rune('0'+i))
		if _, err := d.WriteTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	tick, _ := d.LatestTick(ctx)
	if !tick.Time.Equal(t0.Add(80*time.Second)) || tick.ID != 5 {
		t.Errorf("latest tick %+v", tick)
	}
	cs, _ := d.LatestContainers(ctx)
	if len(cs) != 2 || cs[1].RssKB != 104 {
		t.Errorf("latest containers %+v", cs)
	}
	as, _ := d.RecentActions(ctx, 3)
	// Each tick's start action is dated a second before the tick.
	if len(as) != 3 || as[0].Reason != "tick 4" || as[1].Reason != "short" ||
		as[2].Reason != "tick 3" {
		t.Errorf("recent actions %+v", as)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	for range 3 {
		d, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := d.Version(ctx); err != nil || v != Latest() || v < 1 {
			t.Errorf("version %d, %v; want %d", v, err, Latest())
		}
		if _, err := d.WriteTick(ctx, sampleTick(t0)); err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
	checkRows(t, path, map[string]int{"ticks": 3})
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v", mode, err)
	}
}

func TestMigrationsList(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].name != "0001_init.sql" ||
		!strings.Contains(ms[0].sql, "CREATE TABLE ticks") {
		t.Errorf("migrations %+v", ms)
	}
}

func TestMigrationNumbers(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("SELECT 1;")}
	tests := []struct {
		name  string
		files []string
		msg   string
	}{
		{"in order", []string{"0002_b.sql", "0001_a.sql"}, ""},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "0003_c.sql: want number 2"},
		{"repeat", []string{"0001_a.sql", "0001_b.sql"}, "want number 2"},
		{"no number", []string{"init.sql"}, "want NNNN_name.sql"},
		{"zero", []string{"0000_a.sql"}, "want NNNN_name.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["migrations/"+f] = sql
			}
			ms, err := migrationsIn(fsys)
			if tt.msg == "" {
				if err != nil || len(ms) != 2 || ms[0].version != 1 || ms[1].name != "0002_b.sql" {
					t.Errorf("migrations %+v, %v", ms, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %v, want it to say %q", err, tt.msg)
			}
		})
	}
}

func TestVersionMismatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	open(t, path).Close()
	if _, err := rawDB(t, path).Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]Option{nil, {ReadOnly()}} {
		_, err := Open(ctx, path, opts...)
		if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "version 99, newer") {
			t.Errorf("Open(%d options) of a newer file: %v", len(opts), err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	if _, err := Open(ctx, path, ReadOnly()); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("read-only open created the file")
	}
	w := open(t, path)
	if _, err := w.WriteTick(ctx, sampleTick(t0)); err != nil {
		t.Fatal(err)
	}
	r := open(t, path, ReadOnly())
	if tick, err := r.LatestTick(ctx); err != nil || tick.ID != 1 {
		t.Errorf("read-only LatestTick: %+v %v", tick, err)
	}
	if _, err := r.WriteTick(ctx, sampleTick(t0)); err == nil {
		t.Error("read-only WriteTick succeeded")
	}
	// After the writer closed cleanly (no -wal, no -shm left), as the CLI
	// finds the file when the daemon is stopped.
	r.Close()
	w.Close()
	r = open(t, path, ReadOnly())
	if tick, err := r.LatestTick(ctx); err != nil || tick.ID != 1 {
		t.Errorf("read-only LatestTick after the writer closed: %+v %v", tick, err)
	}
	// An old file (version 0: created by someone else) is refused read-only.
	old := filepath.Join(t.TempDir(), "old.db")
	if _, err := rawDB(t, old).Exec("CREATE TABLE x (a)"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, old, ReadOnly()); !errors.Is(err, ErrSchema) {
		t.Errorf("read-only open of a version-0 file: %v", err)
	}
}

func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%20d")
	d := open(t, filepath.Join(dir, "vigia.db"))
	if _, err := d.WriteTick(context.Background(), sampleTick(t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vigia.db")); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

func TestBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), filepath.Join(file, "vigia.db"))
	if err == nil || !strings.Contains(err.Error(), "open database") {
		t.Errorf("Open under a regular file: %v", err)
	}
}

func TestNotFinite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	d := open(t, path)
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		change func(*Tick)
		msg    string
	}{
		{"memory", func(tk *Tick) { tk.Memory.UsedPct = nan }, "memory sample: used_pct is NaN"},
		{"container mem", func(tk *Tick) { tk.Containers[1].MemPct = inf }, "container sample 1"},
		{"container cpu", func(tk *Tick) { tk.Containers[0].CPUPct = f(nan) }, "cpu_pct NaN"},
		{"process", func(tk *Tick) { tk.Processes[1].CPUPct = f(-inf) }, "process sample 1 (pid 10)"},
		{"action", func(tk *Tick) { tk.Actions[0].Score = f(nan) }, "action 0 (remove vigia-ram-x)"},
		{"action threshold", func(tk *Tick) { tk.Actions[0].ThresholdValue = f(inf) },
			"action 0 (remove vigia-ram-x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := sampleTick(t0)
			tt.change(tk)
			_, err := d.WriteTick(ctx, tk)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("WriteTick = %v, want it to say %q", err, tt.msg)
			}
		})
	}
	checkRows(t, path, map[string]int{"ticks": 0})
}

// TestMigrationUpgrade applies a later migration to a database in use, then
// a broken one: the broken one leaves nothing behind and the version stays.
func TestMigrationUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	d := open(t, path)
	if _, err := d.WriteTick(ctx, sampleTick(t0)); err != nil {
		t.Fatal(err)
	}
	latest := Latest()
	next := migration{version: latest + 1, name: "9998_note.sql",
		sql: "ALTER TABLE ticks ADD COLUMN note TEXT; UPDATE ticks SET note = 'kept';"}
	if err := d.apply(ctx, next); err != nil {
		t.Fatal(err)
	}
	if err := d.apply(ctx, next); err != nil {
		t.Fatalf("applying the same migration again: %v", err)
	}
	broken := migration{version: latest + 2, name: "9999_broken.sql",
		sql: "CREATE TABLE half (a INTEGER); INSERT INTO nowhere VALUES (1);"}
	if err := d.apply(ctx, broken); err == nil {
		t.Fatal("a broken migration applied")
	}
	if v, err := d.Version(ctx); err != nil || v != latest+1 {
		t.Errorf("version %d, %v; want %d", v, err, latest+1)
	}
	raw := rawDB(t, path)
	var note string
	if err := raw.QueryRow("SELECT note FROM ticks").Scan(&note); err != nil || note != "kept" {
		t.Errorf("data after the upgrade: %q, %v", note, err)
	}
	var n int
	raw.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").Scan(&n)
	if n != 0 {
		t.Error("the broken migration left its table behind")
	}
}
