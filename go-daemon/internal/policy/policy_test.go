package policy

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// box is a sampled, judged vigia container with a known CPU rate.
func box(id, class, kind string, cpu, mem float64) Container {
	return Container{ID: id, Name: "vigia-" + kind + "-" + id, Class: class, Kind: kind,
		Managed: true, Created: epoch, CPUPct: f(cpu), MemPct: mem, Sampled: true}
}

func low(id string, cpu, mem float64) Container  { return box(id, ClassLow, KindLow, cpu, mem) }
func ram(id string, cpu, mem float64) Container  { return box(id, ClassHigh, KindRAM, cpu, mem) }
func hcpu(id string, cpu, mem float64) Container { return box(id, ClassHigh, KindCPU, cpu, mem) }

func f(v float64) *float64 { return &v }

func with(c Container, change func(*Container)) Container {
	change(&c)
	return c
}

func ids(ds []Decision) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Container.ID)
	}
	return strings.Join(out, ",")
}

func startKinds(ss []Start) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Class+"/"+s.Kind)
	}
	return strings.Join(out, ",")
}

func TestDecide(t *testing.T) {
	three := []Container{low("l1", 1, 1), low("l2", 2, 1), low("l3", 3, 1)}
	two := []Container{ram("h1", 1, 10), hcpu("h2", 90, 1)}
	steady := append(append([]Container{}, three...), two...)
	tests := []struct {
		name   string
		in     []Container
		remove string // ids, in order
		keep   string // ids, sorted
		skip   string // ids, sorted
		start  string // class/kind, in order
	}{
		{name: "zero containers", in: nil,
			start: "low/low,low/low,low/low,high/ram,high/cpu"},
		{name: "exactly on target", in: steady, keep: "h1,h2,l1,l2,l3"},
		{name: "one extra low: the heaviest goes",
			in:     append(append([]Container{}, steady...), low("l4", 50, 1)),
			remove: "l4", keep: "h1,h2,l1,l2,l3"},
		{name: "extras go heaviest first",
			in: append(append([]Container{}, steady...), low("l4", 50, 1), low("l5", 80, 1),
				hcpu("h3", 150, 1)),
			remove: "l5,l4,h3", keep: "h1,h2,l1,l2,l3"},
		{name: "memory weighs too",
			in:     append(append([]Container{}, two...), ram("h3", 0, 90)),
			remove: "h3", keep: "h1,h2", start: "low/low,low/low,low/low"},
		{name: "short class: start the missing kinds",
			in: []Container{low("l1", 1, 1), ram("h1", 1, 1)}, keep: "h1,l1",
			start: "low/low,low/low,high/cpu"},
		{name: "short high with none: ram first, then cpu",
			in: three, keep: "l1,l2,l3", start: "high/ram,high/cpu"},
		{name: "Grafana present is neither counted nor removed",
			in: append(append([]Container{}, steady...),
				with(ram("g", 400, 90), func(c *Container) { c.Grafana = true; c.Managed = false })),
			keep: "h1,h2,l1,l2,l3", skip: "g"},
		{name: "Grafana with vigia labels is still skipped",
			in: append(append([]Container{}, steady...),
				with(ram("g", 400, 90), func(c *Container) { c.Grafana = true })),
			keep: "h1,h2,l1,l2,l3", skip: "g"},
		{name: "a foreign container is never touched",
			in: append(append([]Container{}, three...),
				with(hcpu("x", 400, 90), func(c *Container) { c.Managed = false })),
			keep: "l1,l2,l3", skip: "x", start: "high/ram,high/cpu"},
		{name: "a managed container with an odd class is skipped",
			in: append(append([]Container{}, steady...),
				with(low("odd", 99, 9), func(c *Container) { c.Class = "medium" })),
			keep: "h1,h2,l1,l2,l3", skip: "odd"},
		{name: "unknown CPU: the lifetime average stands in",
			in: append(append([]Container{}, three...),
				with(low("new", 0, 1), func(c *Container) { c.CPUPct = nil; c.CPULifetimePct = 90 })),
			remove: "new", keep: "l1,l2,l3", start: "high/ram,high/cpu"},
		{name: "unknown CPU and no lifetime: lightest",
			in: append(append([]Container{}, three...),
				with(low("new", 0, 1), func(c *Container) { c.CPUPct = nil })),
			remove: "l3", keep: "l1,l2,new", start: "high/ram,high/cpu"},
		{name: "ties: more memory first",
			in:     []Container{low("a", 10, 1), low("b", 10, 1), low("c", 10, 1), low("d", 9.4, 2)},
			remove: "d", keep: "a,b,c", start: "high/ram,high/cpu"},
		{name: "ties: the newest first, then id",
			in: []Container{
				low("a", 10, 1), low("c", 10, 1), low("b", 10, 1),
				with(low("old", 10, 1), func(c *Container) { c.Created = epoch.Add(-time.Hour) }),
				with(low("new", 10, 1), func(c *Container) { c.Created = epoch.Add(time.Hour) }),
			},
			remove: "new,a", keep: "b,c,old", start: "high/ram,high/cpu"},
		{name: "recently started: counted, not judged",
			in: append(append([]Container{}, three...),
				with(low("fresh", 400, 50), func(c *Container) { c.Pending = ActionStart })),
			remove: "l3", keep: "fresh,l1,l2", start: "high/ram,high/cpu"},
		{name: "recently removed: not counted, not judged again",
			in: append(append([]Container{}, steady...),
				with(low("gone", 1, 1), func(c *Container) { c.Pending = ActionRemove })),
			keep: "h1,h2,l1,l2,l3", skip: "gone"},
		{name: "only unjudged extras: nothing removed this tick",
			in: append(append([]Container{}, steady...),
				with(low("s1", 1, 1), func(c *Container) { c.Pending = ActionStart }),
				with(low("s2", 1, 1), func(c *Container) { c.Sampled = false })),
			remove: "l3,l2", keep: "h1,h2,l1,s1,s2"},
		{name: "not sampled this tick: counted, not judged",
			in: []Container{low("l1", 1, 1), with(low("l2", 0, 0), func(c *Container) {
				c.Sampled = false
			})},
			keep: "l1,l2", start: "low/low,high/ram,high/cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decide(Input{Containers: tt.in, Targets: Targets{KeepLow: 3, KeepHigh: 2}, CPUs: 2})
			if got := ids(p.Remove); got != tt.remove {
				t.Errorf("remove %q, want %q", got, tt.remove)
			}
			if got := sortedIDs(p.Keep); got != tt.keep {
				t.Errorf("keep %q, want %q", got, tt.keep)
			}
			if got := sortedIDs(p.Skip); got != tt.skip {
				t.Errorf("skip %q, want %q", got, tt.skip)
			}
			if got := startKinds(p.Start); got != tt.start {
				t.Errorf("start %q, want %q", got, tt.start)
			}
			checkPlan(t, tt.in, p)
		})
	}
}

func sortedIDs(ds []Decision) string {
	out := strings.Split(ids(ds), ",")
	sort.Strings(out)
	return strings.Join(out, ",")
}

// checkPlan holds for every plan: each container is in exactly one list
// with a reason, nothing foreign or Grafana is removed, and the counts
// after the plan hold unless some extras could not be judged.
func checkPlan(t *testing.T, in []Container, p Plan) {
	t.Helper()
	seen := map[string]int{}
	for _, list := range [][]Decision{p.Remove, p.Keep, p.Skip, p.Cap} {
		for _, d := range list {
			seen[d.Container.ID]++
			if d.Reason == "" {
				t.Errorf("%s: no reason", d.Container.ID)
			}
		}
	}
	for _, c := range in {
		if seen[c.ID] != 1 {
			t.Errorf("%s is in %d lists", c.ID, seen[c.ID])
		}
	}
	for _, d := range p.Remove {
		c := d.Container
		if c.Grafana || !c.Managed || c.Pending != "" || !c.Sampled || d.Action != ActionRemove {
			t.Errorf("removes %+v", c)
		}
	}
	for _, s := range p.Start {
		if s.Reason == "" || (s.Class == ClassLow) != (s.Kind == KindLow) {
			t.Errorf("bad start %+v", s)
		}
	}
	if p.Running[ClassLow] < 3 || p.Running[ClassHigh] < 2 {
		t.Errorf("running after the plan: %v", p.Running)
	}
}

func TestDecideManyExtras(t *testing.T) {
	var in []Container
	for i := range 60 {
		c := low(fmt.Sprintf("l%02d", i), float64(i), 1)
		if i%2 == 1 {
			c = hcpu(fmt.Sprintf("h%02d", i), float64(i), 1)
		}
		in = append(in, c)
	}
	p := Decide(Input{Containers: in, Targets: Targets{KeepLow: 3, KeepHigh: 2}, CPUs: 2})
	if len(p.Remove) != 55 || len(p.Start) != 0 || len(p.Keep) != 5 {
		t.Fatalf("remove %d, start %d, keep %d", len(p.Remove), len(p.Start), len(p.Keep))
	}
	if got := sortedIDs(p.Keep); got != "h01,h03,l00,l02,l04" {
		t.Errorf("kept %s, want the lightest", got)
	}
	if p.Running[ClassLow] != 3 || p.Running[ClassHigh] != 2 {
		t.Errorf("running %v", p.Running)
	}
	checkPlan(t, in, p)
}

func TestDecideTargets(t *testing.T) {
	in := []Container{low("l1", 1, 1), ram("h1", 1, 1)}
	p := Decide(Input{Containers: in, Targets: Targets{KeepLow: 0, KeepHigh: -4}, CPUs: 0})
	if ids(p.Remove) != "l1,h1" || len(p.Start) != 0 {
		t.Errorf("keep 0: remove %q start %v", ids(p.Remove), p.Start)
	}
	p = Decide(Input{Targets: Targets{KeepLow: 1, KeepHigh: 3}, CPUs: 1})
	if got := startKinds(p.Start); got != "low/low,high/ram,high/cpu,high/ram" {
		t.Errorf("starts %s", got)
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name   string
		c      Container
		cpus   int
		score  float64
		cpu    float64
		known  bool
		reason string
	}{
		{"one CPU of two", Container{CPUPct: f(100)}, 2, 25, 50, true, "cpu 50.0% of host"},
		{"memory", Container{CPUPct: f(0), MemPct: 10}, 2, 3, 0, true, "mem 10.00%"},
		{"io 5 MiB/s", Container{CPUPct: f(0), IOBytesPerSec: f(5 * mib)}, 2, 1, 0, true,
			"io 5.00 MiB/s"},
		{"io capped", Container{CPUPct: f(0), IOBytesPerSec: f(1e12)}, 2, 20, 0, true, "io"},
		{"all maxed", Container{CPUPct: f(800), MemPct: 100, IOBytesPerSec: f(1e12)}, 2, 100, 100,
			true, "score 100.00"},
		{"lifetime", Container{CPULifetimePct: 40}, 4, 5, 10, false, "lifetime average"},
		{"no cpus given", Container{CPUPct: f(50)}, 0, 25, 50, true, "cpu 50.0%"},
		{"NaN", Container{CPUPct: f(math.NaN()), MemPct: math.NaN()}, 1, 0, 0, true, "score 0.00"},
		{"io unknown", Container{CPUPct: f(0)}, 1, 0, 0, true, "io unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, cpu, known := Score(tt.c, tt.cpus)
			if math.Abs(score-tt.score) > 1e-9 || math.Abs(cpu-tt.cpu) > 1e-9 || known != tt.known {
				t.Errorf("Score = %v, %v, %v; want %v, %v, %v", score, cpu, known, tt.score,
					tt.cpu, tt.known)
			}
			d := Decision{Container: tt.c, Score: score, CPUTerm: cpu, CPUKnown: known}
			if got := figures(d); !strings.Contains(got, tt.reason) {
				t.Errorf("figures %q do not say %q", got, tt.reason)
			}
		})
	}
}

func TestDecideIsPure(t *testing.T) {
	in := []Container{low("b", 5, 1), low("a", 5, 1), low("c", 5, 1), low("d", 5, 1), ram("h", 1, 1)}
	first := Decide(Input{Containers: in, Targets: Targets{KeepLow: 3, KeepHigh: 2}, CPUs: 2})
	for range 20 {
		again := Decide(Input{Containers: in, Targets: Targets{KeepLow: 3, KeepHigh: 2}, CPUs: 2})
		if fmt.Sprint(again) != fmt.Sprint(first) {
			t.Fatalf("plans differ:\n%v\n%v", first, again)
		}
	}
	if in[0].ID != "b" || in[1].ID != "a" {
		t.Error("Decide reordered its input")
	}
}
