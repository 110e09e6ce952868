package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdWriteLock takes the write lock on path from another connection, as
// another process would, and returns the function that releases it.
func holdWriteLock(t *testing.T, path string) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := rawDB(t, path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
	}
}

func TestLockedGivesUpAfterBusyTimeout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	const timeout = 300 * time.Millisecond
	d := open(t, path, WithBusyTimeout(timeout))
	release := holdWriteLock(t, path)
	start := time.Now()
	_, err := d.WriteTick(ctx, sampleTick(t0))
	waited := time.Since(start)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "write tick") {
		t.Fatalf("WriteTick under another writer's lock: %v", err)
	}
	if waited < timeout || waited > 10*timeout {
		t.Errorf("gave up after %s, busy timeout %s", waited, timeout)
	}
	if _, err := d.Prune(ctx, t0, time.Hour); !errors.Is(err, ErrLocked) {
		t.Errorf("Prune under the lock: %v", err)
	}
	release()
	// Nothing was half-written, and the same handle works again.
	if _, err := d.WriteTick(ctx, sampleTick(t0)); err != nil {
		t.Fatalf("WriteTick after the lock was released: %v", err)
	}
	checkRows(t, path, map[string]int{"ticks": 1, "process_samples": 2})
}

func TestLockedRetriesWithinBusyTimeout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	d := open(t, path, WithBusyTimeout(5*time.Second))
	release := holdWriteLock(t, path)
	done := make(chan struct{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		release()
		close(done)
	}()
	start := time.Now()
	if _, err := d.WriteTick(ctx, sampleTick(t0)); err != nil {
		t.Fatalf("WriteTick while the lock is released 200 ms later: %v", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("wrote after %s: the lock was not held", waited)
	}
	<-done
}

func TestReadersDoNotBlockOnWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	w := open(t, path, WithBusyTimeout(100*time.Millisecond))
	if _, err := w.WriteTick(ctx, sampleTick(t0)); err != nil {
		t.Fatal(err)
	}
	release := holdWriteLock(t, path)
	defer release()
	r := open(t, path, ReadOnly(), WithBusyTimeout(100*time.Millisecond))
	if _, err := r.LatestTick(ctx); err != nil {
		t.Errorf("WAL reader blocked by a writer: %v", err)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	d := open(t, path)
	for i := range 3 {
		if _, err := d.WriteTick(ctx, sampleTick(t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	// The oldest tick goes with its memory row, 2 containers, 2 processes
	// and 2 actions: 8 rows.
	n, err := d.Prune(ctx, t0.Add(2*time.Hour), 90*time.Minute)
	if err != nil || n != 8 {
		t.Errorf("Prune = %d, %v; want 8 rows", n, err)
	}
	checkRows(t, path, map[string]int{"ticks": 2, "memory_samples": 2, "container_samples": 4,
		"process_samples": 4, "actions": 4})
	if n, err := d.Prune(ctx, t0.Add(2*time.Hour), 90*time.Minute); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v", n, err)
	}
	if _, err := d.Prune(ctx, t0, 0); err == nil {
		t.Error("Prune with no retention accepted")
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.WriteTick(ctxDone, sampleTick(t0)); err == nil {
		t.Error("WriteTick with a cancelled context succeeded")
	}
}

// TestRetentionBoundsTheFile writes ticks for twice the retention window,
// pruning as the daemon does: the file must stop growing.
func TestRetentionBoundsTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigia.db")
	d := open(t, path)
	const window = 20
	size := func() int64 {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(path + suffix); err == nil {
				total += st.Size()
			}
		}
		return total
	}
	var half int64
	for i := range 4 * window {
		now := t0.Add(time.Duration(i) * time.Minute)
		tk := sampleTick(now)
		for p := range 100 {
			tk.Processes = append(tk.Processes, ProcessSample{PID: 1000 + p,
				Name: fmt.Sprintf("worker-%d", p), Cmdline: strings.Repeat("x", 80), State: "S"})
		}
		if _, err := d.WriteTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Prune(ctx, now, window*time.Minute); err != nil {
			t.Fatal(err)
		}
		if i == 2*window-1 {
			half = size()
		}
	}
	if end := size(); end > half+half/10 {
		t.Errorf("file grew from %d to %d bytes with pruning", half, end)
	}
	checkRows(t, path, map[string]int{"ticks": window + 1})
}
