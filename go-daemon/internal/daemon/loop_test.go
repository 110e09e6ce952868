package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

func newLoop(h *fakeHost, st *fakeStore) *Loop {
	return &Loop{Source: h, SensorName: "userspace", Engine: h, Store: st,
		Targets: policy.Targets{KeepLow: 3, KeepHigh: 2}, Interval: 20 * time.Second,
		Retention: time.Hour, Now: func() time.Time { return h.clock },
		PSIDir: noPSI}
}

// census counts the host's running vigia containers per class and checks that
// the others are all still there.
func census(t *testing.T, h *fakeHost, others []string) (low, high int) {
	t.Helper()
	list, _ := h.List(context.Background())
	low, high = running(list)
	present := map[string]bool{}
	for _, ct := range list {
		present[ct.ID] = true
	}
	for _, id := range others {
		if !present[id] {
			t.Errorf("container %s that vigia must not touch is gone", id[:12])
		}
	}
	return low, high
}

// populate runs low and high vigia containers (heavier as i grows), a Grafana
// and two foreign containers, one of them labelled managed=false; it returns
// the ids vigia must never touch.
func populate(h *fakeHost, lows, highs int) []string {
	for i := range lows {
		h.add(fmt.Sprintf("vigia-low-%d", i), uint64(i)*1e7, 1000+uint64(i)*100, vigia("low", "low")...)
	}
	for i := range highs {
		kind := []string{"ram", "cpu"}[i%2]
		h.add(fmt.Sprintf("vigia-%s-%d", kind, i), uint64(i)*2e8, 50000+uint64(i)*10000,
			vigia("high", kind)...)
	}
	return []string{
		h.add("grafana", 5e8, 200000, docker.LabelRole+"=grafana", docker.LabelManaged+"=true"),
		h.add("postgres", 1e9, 900000),
		h.add("lookalike", 1e9, 900000, docker.LabelManaged+"=false", docker.LabelClass+"=high"),
	}
}

func TestTickHoldsTargets(t *testing.T) {
	tests := []struct {
		lows, highs           int
		wantRemove, wantStart int
	}{
		{5, 4, 4, 0},
		{0, 0, 0, 5},
		{3, 2, 0, 0},
		{1, 6, 4, 2},
		{12, 0, 9, 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dlow-%dhigh", tc.lows, tc.highs), func(t *testing.T) {
			h, st := newFakeHost(), &fakeStore{}
			others := populate(h, tc.lows, tc.highs)
			l := newLoop(h, st)
			tick := l.Tick(context.Background())
			if tick.Error != "" {
				t.Fatalf("tick error: %s", tick.Error)
			}
			low, high := census(t, h, others)
			if low != 3 || high != 2 {
				t.Errorf("after the tick: %d low, %d high running; want 3 and 2", low, high)
			}
			if tick.LowRunning != 3 || tick.HighRunning != 2 {
				t.Errorf("tick recorded %d low, %d high; want 3 and 2", tick.LowRunning, tick.HighRunning)
			}
			if tick.Removed != tc.wantRemove || tick.Started != tc.wantStart {
				t.Errorf("removed %d, started %d; want %d and %d",
					tick.Removed, tick.Started, tc.wantRemove, tc.wantStart)
			}
			if len(tick.Actions) != tc.wantRemove+tc.wantStart {
				t.Errorf("%d actions recorded, want %d", len(tick.Actions), tc.wantRemove+tc.wantStart)
			}
			for _, a := range tick.Actions {
				if !a.OK || a.Reason == "" || a.ContainerID == "" || a.DryRun {
					t.Errorf("action %+v: want ok, a reason, an id, not dry-run", a)
				}
				if a.Action == "remove" && a.Score == nil {
					t.Errorf("remove of %s without its score", a.Name)
				}
			}
			if len(st.ticks) != 1 || tick.Memory == nil || len(tick.Processes) == 0 {
				t.Errorf("tick not recorded with memory and processes: %d ticks", len(st.ticks))
			}
			// A second tick on a stable host does nothing.
			tick = l.Tick(context.Background())
			if tick.Removed+tick.Started != 0 {
				t.Errorf("second tick removed %d, started %d; want nothing", tick.Removed, tick.Started)
			}
		})
	}
}

func TestTickRemovesHeaviestFirst(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 5, 2)
	l := newLoop(h, st)
	l.Tick(context.Background()) // first sample: CPU rates unknown
	// The two heaviest low ones are vigia-low-3 and vigia-low-4.
	tick := st.ticks[0]
	got := map[string]bool{}
	for _, a := range tick.Actions {
		got[a.Name] = true
	}
	if !got["vigia-low-3"] || !got["vigia-low-4"] || len(got) != 2 {
		t.Errorf("removed %v, want vigia-low-3 and vigia-low-4", got)
	}
}

func TestTickSensorErrorDecidesNothing(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 6, 0)
	h.readErr = errors.New("read /proc/continfo_so1_x: truncated snapshot")
	l := newLoop(h, st)
	tick := l.Tick(context.Background())
	if tick.Error == "" || h.calls != 0 || len(tick.Actions) != 0 {
		t.Fatalf("error %q, %d docker actions, %d recorded; want an error and nothing done",
			tick.Error, h.calls, len(tick.Actions))
	}
	if tick.LowRunning != 6 || len(st.ticks) != 1 || tick.Memory != nil {
		t.Errorf("tick: low %d (want 6), recorded %d (want 1), memory %v (want none)",
			tick.LowRunning, len(st.ticks), tick.Memory)
	}
}

func TestTickDockerDownThenBack(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 4, 2)
	l := newLoop(h, st)
	l.Tick(context.Background())
	h.add("vigia-low-late", 0, 1000, vigia("low", "low")...)
	h.down = true
	tick := l.Tick(context.Background())
	if tick.Error == "" || tick.Removed != 0 || len(tick.Containers) == 0 {
		t.Fatalf("docker down: error %q, removed %d, %d samples; want an error, no action, samples",
			tick.Error, tick.Removed, len(tick.Containers))
	}
	if tick.LowRunning != 3 || tick.HighRunning != 2 {
		t.Errorf("docker down: recorded %d low, %d high; want the last known 3 and 2",
			tick.LowRunning, tick.HighRunning)
	}
	for _, c := range tick.Containers {
		if c.Name == "" && c.Class != "foreign" {
			t.Errorf("sample %s lost its name while docker was down", c.ContainerID[:12])
		}
	}
	h.down = false
	tick = l.Tick(context.Background())
	if tick.Error != "" || tick.Removed != 1 {
		t.Fatalf("docker back: error %q, removed %d; want no error and 1 removal", tick.Error, tick.Removed)
	}
}

func TestTickDryRunActsOnNothing(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 5, 0)
	stopped := h.add("vigia-cpu-exited", 0, 0, vigia("high", "cpu")...)
	h.containers[stopped].ct.State = "exited"
	l := newLoop(h, st)
	l.DryRun = true
	tick := l.Tick(context.Background())
	if h.calls != 0 {
		t.Fatalf("dry run called docker %d times", h.calls)
	}
	if len(tick.Actions) != 5 || tick.Removed != 0 || tick.Started != 0 {
		t.Fatalf("dry run: %d actions (want 2 removes + 2 starts + 1 stopped), removed %d, started %d",
			len(tick.Actions), tick.Removed, tick.Started)
	}
	for _, a := range tick.Actions {
		if !a.DryRun {
			t.Errorf("action %s %s not marked dry-run", a.Action, a.Name)
		}
	}
	if tick.LowRunning != 5 || tick.HighRunning != 0 {
		t.Errorf("dry run recorded %d low, %d high; want what runs: 5, 0", tick.LowRunning, tick.HighRunning)
	}
}

func TestTickRemoveFailureIsRecorded(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 4, 2)
	heaviest := hexID(4) // vigia-low-3
	h.removeErr[heaviest] = errRefused
	l := newLoop(h, st)
	tick := l.Tick(context.Background())
	if len(tick.Actions) != 1 || tick.Actions[0].OK || tick.Actions[0].Error == "" {
		t.Fatalf("actions %+v: want one failed removal with its error", tick.Actions)
	}
	if tick.Removed != 0 || tick.LowRunning != 4 {
		t.Errorf("removed %d, low %d; want 0 and 4", tick.Removed, tick.LowRunning)
	}
	delete(h.removeErr, heaviest)
	if tick = l.Tick(context.Background()); tick.Removed != 1 {
		t.Errorf("next tick removed %d, want the retry to remove 1", tick.Removed)
	}
}

// TestTickOutOfTimeIsRecorded: a tick whose deadline passes while it acts is
// still written, with an error that says it ran out of time.
func TestTickOutOfTimeIsRecorded(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 4, 2)
	h.removeDelay = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	newLoop(h, st).Tick(ctx)
	if len(st.ticks) != 1 {
		t.Fatalf("%d ticks recorded, want 1", len(st.ticks))
	}
	if got := st.ticks[0]; !strings.Contains(got.Error, "ran out of time") || got.Removed != 1 {
		t.Errorf("tick error %q, removed %d; want ran out of time, 1 removed",
			got.Error, got.Removed)
	}
}

// TestStartedIsNotJudgedAgain: a container the daemon started counts as
// running until the sensor has sampled it, so the class is not filled twice.
func TestStartedIsNotJudgedAgain(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 2, 2)
	h.hideNew = true
	l := newLoop(h, st)
	if tick := l.Tick(context.Background()); tick.Started != 1 {
		t.Fatalf("started %d, want 1", tick.Started)
	}
	if tick := l.Tick(context.Background()); tick.Started != 0 || tick.Removed != 0 {
		t.Fatalf("second tick started %d, removed %d; want nothing while the new one is unsampled",
			tick.Started, tick.Removed)
	}
	if len(h.started) != 1 {
		t.Fatalf("docker started %d containers, want 1", len(h.started))
	}
}

// TestFiftyExtrasWithinOneTick: removals run concurrently, bounded, and 50
// extras that take 1 s each to stop finish inside one 20 s interval.
func TestFiftyExtrasWithinOneTick(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 53, 2)
	h.removeDelay = time.Second // one at a time, 50 would take 50 s
	l := newLoop(h, st)
	l.Now = time.Now
	start := time.Now()
	tick := l.Tick(context.Background())
	elapsed := time.Since(start)
	if tick.Removed != 50 {
		t.Fatalf("removed %d, want 50", tick.Removed)
	}
	if elapsed >= l.Interval {
		t.Errorf("50 removals took %v, want less than the %v interval", elapsed, l.Interval)
	}
	if h.maxInFlight > DefaultRemoveLimit || h.maxInFlight < 2 {
		t.Errorf("%d removals in flight at most, want 2..%d", h.maxInFlight, DefaultRemoveLimit)
	}
}

func TestStoreFailureKeepsTicking(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{err: fmt.Errorf("write tick: %w", store.ErrLocked)}
	populate(h, 4, 2)
	l := newLoop(h, st)
	if tick := l.Tick(context.Background()); tick.Removed != 1 {
		t.Fatalf("removed %d, want 1 even though the store refused", tick.Removed)
	}
	st.err = nil
	l.Tick(context.Background())
	if len(st.ticks) != 1 {
		t.Fatalf("%d ticks recorded after the store came back, want 1", len(st.ticks))
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	l := newLoop(h, st)
	l.Interval = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	ticks := func() int {
		st.mu.Lock()
		defer st.mu.Unlock()
		return len(st.ticks)
	}
	for deadline := time.Now().Add(10 * time.Second); ticks() < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("%d ticks in 10 s at a 10 ms interval, want 3", ticks())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	n := ticks()
	time.Sleep(50 * time.Millisecond)
	if ticks() != n {
		t.Errorf("ticks went on after Run returned: %d, then %d", n, ticks())
	}
}

func TestTickRemovesStoppedVigiaContainers(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	others := populate(h, 3, 2)
	exited := h.add("vigia-ram-oom", 0, 0, vigia("high", "ram")...)
	dead := h.add("vigia-low-dead", 0, 0, vigia("low", "low")...)
	created := h.add("vigia-cpu-starting", 0, 0, vigia("high", "cpu")...)
	foreignExited := h.add("backup-job", 0, 0)
	h.containers[exited].ct.State = "exited"
	h.containers[dead].ct.State = "dead"
	h.containers[created].ct.State = "created"
	h.containers[foreignExited].ct.State = "exited"
	tick := newLoop(h, st).Tick(context.Background())
	for _, id := range []string{exited, dead} {
		if _, ok := h.containers[id]; ok {
			t.Errorf("stopped vigia container %s not removed", h.containers[id].ct.Name)
		}
	}
	for _, id := range append(others, created, foreignExited) {
		if _, ok := h.containers[id]; !ok {
			t.Errorf("container %s removed; it must stay", id[:12])
		}
	}
	if tick.Removed != 2 || tick.Started != 0 || len(tick.Actions) != 2 {
		t.Errorf("removed %d, started %d, %d actions; want 2, 0, 2",
			tick.Removed, tick.Started, len(tick.Actions))
	}
	for _, a := range tick.Actions {
		if !strings.Contains(a.Reason, "no longer running") || !a.OK {
			t.Errorf("action on %s: ok %v, reason %q", a.Name, a.OK, a.Reason)
		}
	}
}

func TestPruneCadence(t *testing.T) {
	tests := []struct {
		interval, retention, want time.Duration
	}{
		{20 * time.Second, 168 * time.Hour, 10 * time.Minute},
		{2 * time.Second, 60 * time.Second, 15 * time.Second},
		{20 * time.Second, 40 * time.Second, 20 * time.Second},
	}
	for _, tc := range tests {
		l := &Loop{Interval: tc.interval, Retention: tc.retention}
		if got := l.pruneEvery(); got != tc.want {
			t.Errorf("interval %v, retention %v: prune every %v, want %v",
				tc.interval, tc.retention, got, tc.want)
		}
	}
	h, st := newFakeHost(), &fakeStore{}
	l := newLoop(h, st)
	l.Retention = 200 * time.Second // prune every 50 s; the fake clock moves 20 s a tick
	for range 4 {
		l.Tick(context.Background())
	}
	if st.pruned != 2 {
		t.Errorf("pruned %d times in 4 ticks 20 s apart with a 50 s cadence, want 2", st.pruned)
	}
}

// TestTickOnBadFiles drives the loop with the real kernel source over two
// files: a truncated, malformed or missing file is recorded as the tick's
// error and nothing is decided; good files again and the loop acts.
func TestTickOnBadFiles(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	populate(h, 5, 2)
	dir := t.TempDir()
	src := &fileSource{Kernel: sensor.NewKernel(filepath.Join(dir, "continfo"),
		filepath.Join(dir, "sysinfo")), h: h}
	l := newLoop(h, st)
	l.Source = src
	write := func(file string, mangle func([]byte) []byte) {
		t.Helper()
		r, _ := h.Read(context.Background())
		for path, snap := range map[string]*sensor.Snapshot{src.ContinfoPath: r.Continfo,
			src.SysinfoPath: r.Sysinfo} {
			data, err := json.Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(path) == file {
				data = mangle(data)
			}
			if data == nil {
				os.Remove(path)
				continue
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	bad := []struct {
		name, file string
		mangle     func([]byte) []byte
		want       string
	}{
		{"truncated continfo", "continfo", func(b []byte) []byte { return b[:len(b)/2] }, "truncated"},
		{"unknown field in sysinfo", "sysinfo", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"cpus"`), []byte(`"colour":1,"cpus"`), 1)
		}, "colour"},
		{"missing sysinfo", "sysinfo", func([]byte) []byte { return nil }, "sysinfo"},
		{"empty continfo", "continfo", func([]byte) []byte { return []byte{} }, "empty"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.file, tc.mangle)
			calls := h.calls
			tick := l.Tick(context.Background())
			if !strings.Contains(tick.Error, tc.want) || len(tick.Actions) != 0 || h.calls != calls {
				t.Fatalf("error %q (want %q), %d actions, %d docker calls; want an error and nothing done",
					tick.Error, tc.want, len(tick.Actions), h.calls-calls)
			}
		})
	}
	write("", nil)
	if tick := l.Tick(context.Background()); tick.Error != "" || tick.Removed != 2 {
		t.Fatalf("good files: error %q, removed %d; want none and 2", tick.Error, tick.Removed)
	}
}
