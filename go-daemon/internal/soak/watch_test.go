package soak

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"vigia/internal/store"
)

// TestWatcherReadsTheDaemonsSchema writes ticks with the daemon's own store
// (the real schema and migrations) and reads them back as the harness does.
func TestWatcherReadsTheDaemonsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Unix(1_764_777_600, 0)
	write := func(at time.Time, tk store.Tick) {
		t.Helper()
		tk.Time, tk.Sensor = at, "userspace"
		if _, err := db.WriteTick(ctx, &tk); err != nil {
			t.Fatal(err)
		}
	}
	write(t0, store.Tick{LowRunning: 3, HighRunning: 2, Started: 5,
		Memory: &store.MemorySample{TotalKB: 24_000_000, UsedKB: 5_000_000, UsedPct: 20.8},
		Actions: []store.Action{{Action: "start", Name: "vigia-low-1", Class: "low", Kind: "low",
			Reason: "short", OK: true}}})

	w, err := openWatcher(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ticks, oldest, err := w.poll(ctx, t0.Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(ticks) != 1 || ticks[0].Low != 3 || ticks[0].High != 2 || ticks[0].Started != 5 ||
		ticks[0].MemUsedKB != 5_000_000 || ticks[0].MemTotalKB != 24_000_000 {
		t.Fatalf("first poll: %+v", ticks)
	}
	if len(ticks[0].Actions) != 1 || ticks[0].Actions[0].Name != "vigia-low-1" {
		t.Errorf("first tick's actions: %+v", ticks[0].Actions)
	}
	if oldest != 30*time.Second {
		t.Errorf("oldest row %s old, want 30s", oldest)
	}

	// Nothing new: nothing returned.
	if ticks, _, err := w.poll(ctx, t0); err != nil || len(ticks) != 0 {
		t.Fatalf("idle poll: %+v, %v", ticks, err)
	}

	// Two ticks between polls: each gets its own actions.
	write(t0.Add(2*time.Second), store.Tick{LowRunning: 3, HighRunning: 2, Removed: 1,
		Error: "", Actions: []store.Action{{Action: "remove", ContainerID: "a", Name: "a",
			Class: "high", Kind: "cpu", Reason: "extra", OK: false, Error: "refused"}}})
	write(t0.Add(4*time.Second), store.Tick{Error: "read sensor: truncated",
		Actions: []store.Action{{Action: "cap", ContainerID: "b", Name: "b", Class: "high",
			Kind: "ram", Reason: "over the bound", OK: true}}})
	ticks, _, err = w.poll(ctx, t0.Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(ticks) != 2 {
		t.Fatalf("second poll: %d ticks, want 2", len(ticks))
	}
	if a := ticks[0].Actions; len(a) != 1 || a[0].Action != "remove" || a[0].OK ||
		a[0].Error != "refused" {
		t.Errorf("second tick's actions: %+v", a)
	}
	if a := ticks[1].Actions; len(a) != 1 || a[0].Action != "cap" || !a[0].OK {
		t.Errorf("third tick's actions: %+v", a)
	}
	if ticks[1].Error != "read sensor: truncated" || ticks[1].MemTotalKB != 0 {
		t.Errorf("third tick: %+v", ticks[1])
	}

	// After pruning everything, the oldest-row age says "none".
	if _, err := db.Prune(ctx, t0.Add(time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	write(t0.Add(time.Hour), store.Tick{})
	if _, err := db.Prune(ctx, t0.Add(3*time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	write(t0.Add(3*time.Hour), store.Tick{})
	// Pruning emptied the table, so SQLite handed tick id 1 out again: the
	// newer time still makes it new.
	ticks, oldest, err = w.poll(ctx, t0.Add(3*time.Hour+10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(ticks) != 1 || ticks[0].ID != 1 || !ticks[0].Time.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after pruning, ticks %+v, want the 3h one, id 1", ticks)
	}
	if oldest != 10*time.Second {
		t.Errorf("after pruning, oldest row %s old, want 10s", oldest)
	}
}
