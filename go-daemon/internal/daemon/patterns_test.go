package daemon

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"vigia/internal/docker"
	"vigia/internal/store"
)

// noPSI is a directory without pressure files: the host's own PSI does not
// reach the unit tests.
const noPSI = "testdata/no-psi"

// leakKB is 2% of the fake host's 8 GiB per 20 s read: 6% a minute.
const leakKB = (8 << 20) / 50

// steadyHost runs exactly 3 low and 2 high; it returns the ram one's id.
func steadyHost(h *fakeHost) (ramID, cpuID string) {
	for range 3 {
		h.add("vigia-low", 0, 500, vigia("low", "low")...)
	}
	ramID = h.add("vigia-ram", 1e7, 256<<10, vigia("high", "ram")...)
	cpuID = h.add("vigia-cpu", 1e9, 1000, vigia("high", "cpu")...)
	return ramID, cpuID
}

func actionsOf(ticks []*store.Tick, action string) []store.Action {
	var out []store.Action
	for _, t := range ticks {
		for _, a := range t.Actions {
			if a.Action == action {
				out = append(out, a)
			}
		}
	}
	return out
}

func TestTickPatterns(t *testing.T) {
	tests := []struct {
		name      string
		caps      bool
		dryRun    bool
		psi       string
		leak      bool
		updateErr error
		caps0     int    // cap actions wanted
		capOK     bool   // their ok
		removes   int    // remove actions wanted
		reason    string // in the first cap or remove reason
		limitOn   string // "ram" or "cpu": the container that must end up limited
	}{
		{name: "a leak is capped when caps are on", caps: true, psi: noPSI, leak: true,
			caps0: 1, capOK: true, reason: "memory grows 6.00% of host memory/min",
			limitOn: "ram"},
		{name: "a leak is replaced when caps are off", psi: noPSI, leak: true, removes: 1,
			reason: "replaced, it crosses a bound (caps off)"},
		{name: "dry run records the cap and calls nothing", caps: true, dryRun: true,
			psi: noPSI, leak: true, caps0: 5, capOK: true},
		{name: "a container gone before its cap: nothing recorded", caps: true, psi: noPSI,
			leak: true, updateErr: docker.ErrGone},
		{name: "a refused cap is recorded as failed", caps: true, psi: noPSI, leak: true,
			updateErr: errRefused, caps0: 5, reason: "leak"},
		{name: "one CPU on a calm host: nothing", caps: true, psi: noPSI},
		{name: "one CPU under CPU pressure: capped tighter", caps: true,
			psi: "testdata/psi-busy-cpu", caps0: 1, capOK: true,
			reason: "thresholds x0.50 (pressure 1.00: psi cpu 100.0%)", limitOn: "cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, st := newFakeHost(), &fakeStore{}
			ramID, cpuID := steadyHost(h)
			if tt.leak {
				h.containers[ramID].rssGrowKB = leakKB
			}
			h.updateErr = tt.updateErr
			l := newLoop(h, st)
			l.Caps, l.DryRun, l.PSIDir = tt.caps, tt.dryRun, tt.psi
			for range 8 {
				tick := l.Tick(context.Background())
				if tick.Error != "" {
					t.Fatalf("tick error %s", tick.Error)
				}
				if low, high := census(t, h, nil); low != 3 || high != 2 {
					t.Fatalf("after a tick %d low, %d high", low, high)
				}
			}
			caps, removes := actionsOf(st.ticks, "cap"), actionsOf(st.ticks, "remove")
			if len(caps) != tt.caps0 || len(removes) != tt.removes {
				t.Fatalf("%d caps, %d removes; want %d, %d: %+v", len(caps), len(removes),
					tt.caps0, tt.removes, st.ticks)
			}
			acted := append(caps, removes...)
			if tt.reason != "" && !strings.Contains(acted[0].Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", acted[0].Reason, tt.reason)
			}
			for _, a := range acted {
				if a.Pressure == nil || *a.Pressure < 0 || *a.Pressure > 1 {
					t.Errorf("action without the pressure: %+v", a)
				}
				if tt.leak && (a.Pattern != "leak" || a.Threshold != "leak" ||
					*a.PatternValue <= *a.ThresholdValue) {
					t.Errorf("action without its pattern and threshold: %+v", a)
				}
			}
			for _, a := range caps {
				if a.OK != tt.capOK || a.DryRun != tt.dryRun || a.Score == nil ||
					a.RssKB == nil || !strings.Contains(a.Reason, "thresholds x") {
					t.Errorf("cap action %+v", a)
				}
				if !tt.capOK && !strings.Contains(a.Error, errRefused.Error()) {
					t.Errorf("failed cap without its error: %+v", a)
				}
			}
			if tt.dryRun && len(h.updated) != 0 {
				t.Errorf("dry run updated %v", h.updated)
			}
			want := map[string]string{"ram": ramID, "cpu": cpuID}[tt.limitOn]
			for id, c := range h.containers {
				limited := c.ct.Limits.MemoryBytes > 0 || c.ct.Limits.NanoCPUs > 0
				if limited != (id == want) {
					t.Errorf("%s limits %+v", c.ct.Name, c.ct.Limits)
				}
			}
			if tt.limitOn == "cpu" && h.containers[cpuID].ct.Limits.NanoCPUs != 68e7 {
				t.Errorf("cpu cap %d, want 0.68 CPUs (90%% of 37.5%% of 2)",
					h.containers[cpuID].ct.Limits.NanoCPUs)
			}
		})
	}
}

// TestTickChurnCountsOwnStarts: a container vigia started and removed again
// is churn of its class; the foreign and the generator's are not.
func TestTickChurnCountsOwnStarts(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	l := newLoop(h, st)
	l.Tick(context.Background()) // starts 3 low, 2 high
	if len(h.started) != 5 {
		t.Fatalf("started %d", len(h.started))
	}
	for range 4 {
		h.add("vigia-low-gen", 9e8, 1000, vigia("low", "low")...) // heavier than vigia's
	}
	l.Tick(context.Background())
	for id, c := range h.containers {
		if c.ct.Name == "vigia-low-new" {
			h.containers[id].cpuPerTick = 1e9 // now heavier than the generator's
		}
	}
	for range 3 {
		h.add("vigia-low-gen", 0, 1000, vigia("low", "low")...)
	}
	l.Tick(context.Background())
	l.Tick(context.Background())
	churn := l.history.Churn(h.clock)
	if churn["low"] != 3 || churn["high"] != 0 {
		t.Errorf("churn %v, want 3 low (vigia's own, removed as the heaviest extras)", churn)
	}
}

// TestPatternLoggedOnChange: the pattern line comes when a container's
// patterns or verdict change, not at every tick its figures move.
func TestPatternLoggedOnChange(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	ramID, _ := steadyHost(h)
	h.containers[ramID].rssGrowKB = leakKB
	var buf syncLog
	l := newLoop(h, st)
	l.Caps, l.Log = true, slog.New(slog.NewTextHandler(&buf, nil))
	for range 10 {
		l.Tick(context.Background())
	}
	// Tick 4: leak found and capped; tick 5: window reset, nothing found;
	// tick 8: the leak again, kept (a memory cap is not lowered).
	if n := strings.Count(buf.String(), "msg=pattern"); n != 2 {
		t.Errorf("%d pattern lines in 10 ticks, want 2:\n%s", n, buf.String())
	}
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTickNeverCapsWhatIsNotVigias: Grafana and foreign containers that leak
// and burn CPU under full pressure are neither capped nor removed.
func TestTickNeverCapsWhatIsNotVigias(t *testing.T) {
	h, st := newFakeHost(), &fakeStore{}
	steadyHost(h)
	others := []string{
		h.add("grafana", 2e9, 1000, docker.LabelRole+"=grafana", docker.LabelManaged+"=true"),
		h.add("postgres", 2e9, 1000),
		h.add("lookalike", 2e9, 1000, docker.LabelManaged+"=false", docker.LabelClass+"=low"),
	}
	for _, id := range others {
		h.containers[id].rssGrowKB = leakKB
	}
	l := newLoop(h, st)
	l.Caps, l.PSIDir = true, "testdata/psi-busy-cpu"
	for range 8 {
		l.Tick(context.Background())
		census(t, h, others)
	}
	for _, a := range append(actionsOf(st.ticks, "cap"), actionsOf(st.ticks, "remove")...) {
		if a.Class != "low" && a.Class != "high" || a.Name == "grafana" {
			t.Errorf("acted on %s: %+v", a.Name, a)
		}
	}
	for _, id := range others {
		if lim := h.containers[id].ct.Limits; lim != (docker.Limits{}) {
			t.Errorf("%s limited: %+v", h.containers[id].ct.Name, lim)
		}
	}
}
