package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigia/internal/daemon"
	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// fakePast is the daemon's record as the preview reads it.
type fakePast struct {
	last    time.Time // zero: no tick recorded
	samples []store.ContainerSample
	actions []store.Action // newest first, as RecentActions returns them
	asked   int            // the ticks RecentContainers was asked for
}

func (f *fakePast) LatestTick(context.Context) (store.TickRow, error) {
	if f.last.IsZero() {
		return store.TickRow{}, store.ErrNotFound
	}
	return store.TickRow{Time: f.last}, nil
}

func (f *fakePast) RecentContainers(_ context.Context, ticks int) ([]store.ContainerSample,
	error) {
	f.asked = ticks
	return f.samples, nil
}

func (f *fakePast) RecentActions(_ context.Context, limit int) ([]store.Action, error) {
	return f.actions[:min(limit, len(f.actions))], nil
}

// leakingHost is one managed high ram container on an 8 GiB host that grew
// 100 MiB every 20 s tick (about 3.7% of the host a minute, above the leak
// bound of 1%), now at 600 MiB.
func leakingHost(now time.Time) (sensor.Usage, []docker.Container, []store.ContainerSample) {
	cpu := 30.0
	u := sensor.Usage{TimestampNS: uint64(now.UnixNano()), CPUs: 2, Sensor: "kernel",
		Memory: sensor.Memory{TotalKB: 8 << 20, UsedPct: 30},
		Containers: []sensor.ContainerUsage{{ID: id('a'), RssKB: 600 << 10, CPUPct: &cpu,
			MemPct: 7.3}}}
	list := []docker.Container{{ID: id('a'), Name: "vigia-ram-1", State: "running",
		Labels: map[string]string{docker.LabelManaged: "true", docker.LabelClass: "high",
			docker.LabelKind: "ram"}}}
	var stored []store.ContainerSample
	for i := 1; i <= 5; i++ {
		stored = append(stored, store.ContainerSample{ContainerID: id('a'),
			Time: now.Add(time.Duration(i-6) * 20 * time.Second), RssKB: uint64(i*100) << 10,
			CPUPct: &cpu})
	}
	return u, list, stored
}

func TestPreviewPatterns(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	ago := func(s int) time.Time { return now.Add(-time.Duration(s) * time.Second) }
	act := func(action, cid, class string, at time.Time, dry bool) store.Action {
		return store.Action{Action: action, ContainerID: cid, Class: class, Time: at,
			OK: true, DryRun: dry}
	}
	for _, tc := range []struct {
		name    string
		past    func(stored []store.ContainerSample) Past
		caps    bool
		psi     string // /proc/pressure/cpu; "" for none
		action  policy.Action
		history int
		churn   map[string]int
		note    string
	}{
		{name: "daemon ticking, caps off: the leak is replaced",
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s}
			}, action: policy.ActionRemove, history: 6},
		{name: "daemon ticking, caps on: the leak is capped", caps: true,
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s}
			}, action: policy.ActionCap, history: 6},
		{name: "capped 50 s ago: judged on the samples since only", caps: true,
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s, actions: []store.Action{
					act("cap", id('a'), "high", ago(60), false)}}
			}, action: policy.ActionKeep, history: 3},
		{name: "a dry-run cap does not cut the window", caps: true,
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s, actions: []store.Action{
					act("cap", id('a'), "high", ago(60), true)}}
			}, action: policy.ActionCap, history: 6},
		{name: "no daemon ticking: a fresh daemon's empty window",
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(600), samples: s}
			}, action: policy.ActionKeep, history: 1, note: "no daemon ticking (last tick 10m0s"},
		{name: "no tick recorded",
			past:   func([]store.ContainerSample) Past { return &fakePast{} },
			action: policy.ActionKeep, history: 1, note: "no tick recorded"},
		{name: "no database", past: func([]store.ContainerSample) Past { return nil },
			action: policy.ActionKeep, history: 1, note: "no database to read"},
		{name: "churn: vigia's own start then removal within the span",
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s, actions: []store.Action{
					act("remove", id('b'), "low", ago(100), false),
					act("remove", id('c'), "low", ago(110), true),
					act("start", id('c'), "low", ago(150), true),
					act("start", id('b'), "low", ago(200), false),
					act("remove", id('d'), "high", ago(400), false),
					act("start", id('d'), "high", ago(500), false)}}
			}, action: policy.ActionRemove, history: 6, churn: map[string]int{"low": 1}},
		{name: "pressure unreadable: said, memory alone", psi: "some avg10=oops\n",
			past: func(s []store.ContainerSample) Past {
				return &fakePast{last: ago(5), samples: s}
			}, action: policy.ActionRemove, history: 6, note: "pressure unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, list, stored := leakingHost(now)
			dir := t.TempDir()
			if tc.psi != "" {
				err := os.WriteFile(filepath.Join(dir, "cpu"), []byte(tc.psi), 0o644)
				if err != nil {
					t.Fatal(err)
				}
			}
			o := &Observer{Caps: tc.caps, Interval: 20 * time.Second, PSIDir: dir}
			if p := tc.past(stored); p != nil {
				o.Past = p
			}
			in := daemon.PolicyInput(u, list, nil, policy.Targets{KeepHigh: 1})
			inputs := o.patterns(context.Background(), &in, u)
			if got := len(in.Containers[0].History); got != tc.history {
				t.Errorf("window of %d samples, want %d", got, tc.history)
			}
			if f, ok := o.Past.(*fakePast); ok && tc.history > 1 && f.asked != 5 {
				t.Errorf("asked the store for %d ticks, want 5 (the window less this sample)",
					f.asked)
			}
			plan := policy.Decide(in)
			st := build(u, list, plan, policy.Targets{KeepHigh: 1})
			if r := st.Containers[0]; r.Action != string(tc.action) {
				t.Errorf("action %s (%s), want %s", r.Action, r.Reason, tc.action)
			}
			for class, n := range tc.churn {
				if inputs.Churn[class] != n {
					t.Errorf("churn %v, want %v", inputs.Churn, tc.churn)
				}
			}
			if len(tc.churn) == 0 && len(inputs.Churn) != 0 {
				t.Errorf("churn %v, want none", inputs.Churn)
			}
			notes := strings.Join(inputs.Notes, "\n")
			if tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", notes, tc.note)
			}
		})
	}
}

// TestStatusShowsPatterns renders a plan that caps a leak: the inputs line,
// the thresholds, the pattern and the limits, in the table and in JSON.
func TestStatusShowsPatterns(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	u, list, stored := leakingHost(now)
	o := &Observer{Caps: true, Interval: 20 * time.Second, PSIDir: t.TempDir(),
		Past: &fakePast{last: now.Add(-5 * time.Second), samples: stored}}
	in := daemon.PolicyInput(u, list, nil, policy.Targets{KeepHigh: 1})
	inputs := o.patterns(context.Background(), &in, u)
	plan := policy.Decide(in)
	st := build(u, list, plan, policy.Targets{KeepHigh: 1})
	inputs.Thresholds = plan.Thresholds.String()
	st.Inputs = inputs
	var buf bytes.Buffer
	if err := WriteStatus(&buf, st); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"plan inputs: window 6 samples (stored ones for 1 containers",
		"psi cpu -", "caps on", "churn low 0, high 0", "thresholds x1.00", "PATTERNS",
		"cap (memory 750 MiB)", "leak"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("status lacks %q:\n%s", w, &buf)
		}
	}
	buf.Reset()
	if err := JSON(&buf, st); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"pattern": "leak"`, `"unit": "%/min"`, `"offending": true`,
		`"cap": "memory 750 MiB"`, `"window": 6`, `"psi_cpu": null`, `"notes": []`} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("status JSON lacks %q:\n%s", w, &buf)
		}
	}
}

// TestPreviewReadsStore judges the leak on a window read back from a real
// database the store wrote: five ticks of samples, a cap of another
// container, then the fresh sample.
func TestPreviewReadsStore(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	u, list, stored := leakingHost(now)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigia.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, s := range stored {
		tk := &store.Tick{Time: s.Time, Sensor: "kernel", Containers: []store.ContainerSample{s}}
		if i == 4 {
			tk.Actions = []store.Action{{Action: "cap", ContainerID: id('z'), Class: "high",
				OK: true}}
		}
		if _, err := db.WriteTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	o := &Observer{Caps: true, Interval: 20 * time.Second, PSIDir: t.TempDir(), Past: db}
	in := daemon.PolicyInput(u, list, nil, policy.Targets{KeepHigh: 1})
	inputs := o.patterns(ctx, &in, u)
	if got := len(in.Containers[0].History); got != 6 || inputs.Stored != 1 {
		t.Fatalf("window of %d samples, %d containers stored; want 6 and 1 (notes %q)",
			got, inputs.Stored, inputs.Notes)
	}
	if plan := policy.Decide(in); len(plan.Cap) != 1 || plan.Cap[0].Container.ID != id('a') {
		t.Errorf("plan caps %v, want the leaking container", plan.Cap)
	}
}
