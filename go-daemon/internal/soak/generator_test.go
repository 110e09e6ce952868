package soak

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeGenerator writes a script that prints names like generate.sh and
// exits with the status in $FAKE_EXIT.
func fakeGenerator(t *testing.T) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "generate.sh")
	body := `#!/usr/bin/env bash
printf 'vigia-low-1\nvigia-ram-2\n'
[[ "$*" == "--count 2" ]] || { echo "bad args: $*" >&2; exit 3; }
[[ "${VIGIA_INSTANCE:-}" == soak-t ]] || { echo "no instance" >&2; exit 4; }
sleep "${FAKE_SLEEP:-0}"
echo "generate.sh: the last words" >&2
exit "${FAKE_EXIT:-0}"
`
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestGeneratorRuns(t *testing.T) {
	tests := []struct {
		name      string
		env       []string
		exit      int
		errSuffix string
	}{
		{"success", nil, 0, ""},
		{"lock held", []string{"FAKE_EXIT=75"}, 75, "the last words"},
		{"failure", []string{"FAKE_EXIT=1"}, 1, "the last words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &generator{script: fakeGenerator(t), args: []string{"--count", "2"},
				env: append([]string{"VIGIA_INSTANCE=soak-t", "PATH=" + os.Getenv("PATH")},
					tt.env...)}
			if !g.start(context.Background()) {
				t.Fatal("first start refused")
			}
			g.wait()
			runs, names := g.snapshot()
			if len(runs) != 1 || runs[0].ExitCode != tt.exit || runs[0].Started != 2 {
				t.Fatalf("runs = %+v", runs)
			}
			if !strings.HasSuffix(runs[0].Error, tt.errSuffix) || (tt.exit == 0) != (runs[0].Error == "") {
				t.Errorf("error %q, want suffix %q", runs[0].Error, tt.errSuffix)
			}
			if strings.Join(names, ",") != "vigia-low-1,vigia-ram-2" {
				t.Errorf("names = %v", names)
			}
		})
	}
}

func TestGeneratorOneRunAtATime(t *testing.T) {
	g := &generator{script: fakeGenerator(t), args: []string{"--count", "2"},
		env: []string{"VIGIA_INSTANCE=soak-t", "FAKE_SLEEP=0.5", "PATH=" + os.Getenv("PATH")}}
	before := time.Now()
	if !g.start(context.Background()) {
		t.Fatal("first start refused")
	}
	if g.start(context.Background()) {
		t.Fatal("a second run started while the first was going")
	}
	if !g.overlaps(before.Add(-time.Hour), time.Now()) {
		t.Error("the run in progress does not overlap a window ending now")
	}
	if g.overlaps(before.Add(-time.Hour), before.Add(-time.Minute)) {
		t.Error("the run in progress overlaps a window that ended before it")
	}
	g.wait()
	runs, _ := g.snapshot()
	if len(runs) != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	r := runs[0]
	if r.End.Sub(r.Start) < 500*time.Millisecond {
		t.Errorf("run took %s, want >= 500ms", r.End.Sub(r.Start))
	}
	if !g.overlaps(r.End, r.End.Add(time.Second)) || g.overlaps(r.End.Add(time.Millisecond),
		r.End.Add(time.Second)) {
		t.Error("overlap at the run's end is wrong")
	}
}

func TestOverlapsAny(t *testing.T) {
	t0 := time.Unix(1000, 0)
	runs := []GeneratorRun{{Start: t0, End: t0.Add(5 * time.Second)}}
	tests := []struct {
		name     string
		from, to time.Duration
		want     bool
	}{
		{"before", -10 * time.Second, -time.Second, false},
		{"touching the start", -10 * time.Second, 0, true},
		{"inside", time.Second, 2 * time.Second, true},
		{"around", -time.Second, 10 * time.Second, true},
		{"touching the end", 5 * time.Second, 6 * time.Second, true},
		{"after", 6 * time.Second, 8 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overlapsAny(runs, t0.Add(tt.from), t0.Add(tt.to)); got != tt.want {
				t.Errorf("overlapsAny = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGeneratorDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	g := &generator{since: t0}
	if g.due(t0.Add(9*time.Second), 10*time.Second) {
		t.Error("due before the first pause is over")
	}
	if !g.due(t0.Add(10*time.Second), 10*time.Second) {
		t.Error("not due once the first pause is over")
	}
	g.runs = []GeneratorRun{{Start: t0.Add(10 * time.Second), End: t0.Add(25 * time.Second)}}
	if g.due(t0.Add(30*time.Second), 10*time.Second) {
		t.Error("due 5s after a run ended, want a 10s pause")
	}
	if !g.due(t0.Add(35*time.Second), 10*time.Second) {
		t.Error("not due 10s after a run ended")
	}
	g.active = t0.Add(35 * time.Second)
	if g.due(t0.Add(time.Hour), 10*time.Second) {
		t.Error("due while a run is in progress")
	}
}
