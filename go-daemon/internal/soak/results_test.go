package soak

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func sampleResults() *Results {
	t0 := time.UnixMilli(1_764_777_600_123)
	return &Results{
		Meta: map[string]string{"run_id": "soak-1", "verdict": "fail", "keep_low": "3"},
		Observations: []Observation{
			{TickID: 1, TickTime: t0.Truncate(time.Second), Seen: t0, TickDuration: 120 * time.Millisecond,
				Quiet: true, Low: 3, High: 2, DaemonLow: 3, DaemonHigh: 2, Started: 5,
				MemUsedKB: 4_000_000, MemTotalKB: 24_000_000, RSSKB: 30_000, Goroutines: 21,
				FDs: 14, Threads: 9, DBBytes: 1 << 20, OldestRow: 1500 * time.Millisecond},
			{TickID: 2, TickTime: t0.Add(2 * time.Second).Truncate(time.Second),
				Seen: t0.Add(2 * time.Second), TickError: "read sensor: truncated", Low: 9,
				High: 4, NotRunning: 1, Removed: 8, Caps: 1, Goroutines: -1, OldestRow: -1},
		},
		Checks: []Check{
			{TickID: 1, Name: "counts", Status: Pass, Detail: "low 3/3, high 2/2"},
			{TickID: 2, Name: "counts", Status: Skip, Detail: "not judged"},
			{Name: "rss_flat", Status: Fail, Detail: "leak"},
		},
		Generator: []GeneratorRun{{Start: t0, End: t0.Add(9 * time.Second), Started: 10},
			{Start: t0.Add(20 * time.Second), End: t0.Add(21 * time.Second), ExitCode: 1,
				Error: "image missing"}},
	}
}

func TestResultsRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "results.db")
	want := sampleResults()
	if err := WriteResults(ctx, path, want); err != nil {
		t.Fatal(err)
	}
	// Writing again replaces the file instead of failing on the tables.
	if err := WriteResults(ctx, path, want); err != nil {
		t.Fatalf("second write: %v", err)
	}
	got, err := ReadResults(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Observations {
		w, g := want.Observations[i], got.Observations[i]
		if !w.Seen.Equal(g.Seen) || !w.TickTime.Equal(g.TickTime) {
			t.Errorf("observation %d times: got %v %v, want %v %v", i, g.Seen, g.TickTime,
				w.Seen, w.TickTime)
		}
		w.Seen, g.Seen, w.TickTime, g.TickTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("observation %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if !reflect.DeepEqual(got.Meta, want.Meta) || !reflect.DeepEqual(got.Checks, want.Checks) {
		t.Errorf("meta/checks: got %+v %+v", got.Meta, got.Checks)
	}
	if len(got.Generator) != 2 || !got.Generator[0].End.Equal(want.Generator[0].End) ||
		got.Generator[1].Error != "image missing" || got.Generator[1].ExitCode != 1 {
		t.Errorf("generator runs: %+v", got.Generator)
	}
	if n := len(got.Failed()); n != 1 {
		t.Errorf("Failed() = %d checks, want 1", n)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestReadResultsMissing(t *testing.T) {
	if _, err := ReadResults(context.Background(), filepath.Join(t.TempDir(), "no.db")); err == nil {
		t.Fatal("no error for a missing file")
	}
}
