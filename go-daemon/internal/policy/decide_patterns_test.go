package policy

import (
	"strings"
	"testing"
)

// leaking is a container whose window shows 2% of host memory a minute.
func leaking(c Container) Container {
	c.History = series(grow(256<<10, 55924, 6), flat(1, 6))
	c.RssKB = c.History[5].RssKB
	return c
}

// hog is a container whose window shows cpu% (100 = one CPU) throughout.
func hog(c Container, cpu float64) Container {
	c.History = series(flat64(1024, 6), flat(cpu, 6))
	return c
}

func TestDecidePatterns(t *testing.T) {
	lows := []Container{low("l1", 1, 1), low("l2", 2, 1), low("l3", 3, 1)}
	highs := []Container{ram("h1", 1, 3), hcpu("h2", 100, 1)}
	steady := func(extra ...Container) []Container {
		return append(append(append([]Container{}, lows...), highs...), extra...)
	}
	replace := func(c Container, with Container) []Container {
		out := steady()
		for i := range out {
			if out[i].ID == c.ID {
				out[i] = with
			}
		}
		return out
	}
	calm := Host{MemTotalKB: hostKB, MemUsedPct: 30}
	tests := []struct {
		name     string
		in       []Container
		host     Host
		caps     bool
		churn    map[string]int
		remove   string // ids, in order
		capped   string // id=limits
		start    string
		reason   string // in the reason of the first removal or cap
		keepNote string // in some keep reason
	}{
		{name: "leak at target, caps off: replaced", host: calm,
			in:     replace(highs[0], leaking(ram("h1", 1, 3))),
			remove: "h1", start: "high/ram",
			reason: "replaced, it crosses a bound (caps off)"},
		{name: "leak at target, caps on: memory capped", host: calm, caps: true,
			in:     replace(highs[0], leaking(ram("h1", 1, 3))),
			capped: "h1=memory 662 MiB", reason: "memory grows 2.00% of host memory/min"},
		{name: "already capped leak: kept", host: calm, caps: true,
			in: replace(highs[0], with(leaking(ram("h1", 1, 3)), func(c *Container) {
				c.Limits.MemoryBytes = 457 << 20
			})),
			keepNote: "already capped"},
		{name: "cpu hog, caps on: capped to the bound", host: calm, caps: true,
			in:     replace(highs[1], hog(hcpu("h2", 180, 1), 180)),
			capped: "h2=cpu 1.35 CPUs", reason: "> cpu bound 75.0%"},
		{name: "one CPU is fine on a calm host", host: calm, caps: true,
			in: replace(highs[1], hog(hcpu("h2", 100, 1), 100))},
		{name: "one CPU under full pressure: capped tighter", caps: true,
			host:   Host{MemTotalKB: hostKB, MemUsedPct: 97},
			in:     replace(highs[1], hog(hcpu("h2", 100, 1), 100)),
			capped: "h2=cpu 0.68 CPUs", reason: "pressure 1.00: memory used 97.0%"},
		{name: "low behaving high: replaced, mismatch reported", host: calm,
			in:     replace(lows[0], hog(low("l1", 60, 1), 60)),
			remove: "l1", start: "low/low",
			reason: "labelled low but behaves like a high: cpu 30.0% of host"},
		{name: "low behaving high, caps on: held to the low bound", host: calm, caps: true,
			in:     replace(lows[0], hog(low("l1", 60, 1), 60)),
			capped: "l1=cpu 0.18 CPUs", reason: "low cpu bound 10.0%"},
		{name: "extras: the offender goes first though lighter", host: calm,
			in:     steady(hog(low("l4", 60, 1), 60), low("l5", 90, 1)),
			remove: "l4,l5", reason: "#1, score"},
		{name: "class flapping: offender kept, not replaced", host: calm,
			churn:    map[string]int{ClassHigh: 3},
			in:       replace(highs[0], leaking(ram("h1", 1, 3))),
			keepNote: "not replaced: high flapping: vigia started and removed again 3"},
		{name: "churn below the bound: replaced", host: calm,
			churn:  map[string]int{ClassHigh: 2},
			in:     replace(highs[0], leaking(ram("h1", 1, 3))),
			remove: "h1", start: "high/ram"},
		{name: "flapping container: reported, kept", host: calm,
			in: replace(lows[1], with(low("l2", 0, 1), func(c *Container) {
				c.History = series(nil, []float64{0, 60, 0, 60, 0, 60})
			})),
			keepNote: "flapping: behaved low/high in turn"},
		{name: "a pending container is not judged by its window", host: calm, caps: true,
			in: replace(highs[0], with(leaking(ram("h1", 1, 3)), func(c *Container) {
				c.Pending = ActionStart
			}))},
		{name: "Grafana with a leak is never capped", host: calm, caps: true,
			in: steady(with(leaking(ram("g", 1, 3)), func(c *Container) { c.Grafana = true }))},
		{name: "foreign hog is never capped", host: calm, caps: true,
			in: steady(with(hog(hcpu("x", 190, 1), 190), func(c *Container) { c.Managed = false }))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decide(Input{Containers: tt.in, Targets: Targets{KeepLow: 3, KeepHigh: 2},
				CPUs: 2, Host: tt.host, Caps: tt.caps, Churn: tt.churn})
			if got := ids(p.Remove); got != tt.remove {
				t.Errorf("remove %q, want %q", got, tt.remove)
			}
			var caps []string
			for _, d := range p.Cap {
				caps = append(caps, d.Container.ID+"="+d.Cap.String())
				if d.Action != ActionCap {
					t.Errorf("cap list holds action %q", d.Action)
				}
			}
			if got := strings.Join(caps, ","); got != tt.capped {
				t.Errorf("capped %q, want %q", got, tt.capped)
			}
			if got := startKinds(p.Start); got != tt.start {
				t.Errorf("start %q, want %q", got, tt.start)
			}
			acted := append(append([]Decision{}, p.Remove...), p.Cap...)
			if tt.reason != "" && (len(acted) == 0 || !strings.Contains(acted[0].Reason, tt.reason)) {
				t.Errorf("reasons %v do not say %q", reasons(acted), tt.reason)
			}
			for _, d := range acted {
				if len(d.Findings) > 0 && !strings.Contains(d.Reason, "thresholds x") {
					t.Errorf("reason %q does not give the thresholds in force", d.Reason)
				}
			}
			if tt.keepNote != "" && !strings.Contains(strings.Join(reasons(p.Keep), "|"), tt.keepNote) {
				t.Errorf("keep reasons %v do not say %q", reasons(p.Keep), tt.keepNote)
			}
			for _, s := range p.Start {
				if tt.remove != "" && len(p.Remove) == 1 && !strings.Contains(s.Reason, "to replace") {
					t.Errorf("start reason %q does not say what it replaces", s.Reason)
				}
			}
			checkPlan(t, tt.in, p)
			if p.Running[ClassLow] != 3 || p.Running[ClassHigh] != 2 {
				t.Errorf("running after the plan %v", p.Running)
			}
		})
	}
}

func reasons(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Reason)
	}
	return out
}
