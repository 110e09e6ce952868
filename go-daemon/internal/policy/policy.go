// Package policy decides which of vigia's containers to keep, which to remove
// and how many to start, so that exactly KeepLow containers of class low and
// KeepHigh of class high run. It is pure: the same Input gives the same Plan.
//
// Only containers vigia created (Managed) with class low or high are judged.
// Grafana, foreign containers and managed ones with another class are listed
// as skipped and never removed. A container acted upon (started or removed) is
// not judged again until a fresh sample of it was read: a started one counts
// as running and is kept, a removed one no longer counts. A container the
// sensor did not see this tick (Sampled false) counts as running but is not
// judged either: there are no figures to judge it by.
//
// The score of a container, higher = heavier, is
//
//	score = 0.5*cpu + 0.3*mem + 0.2*io
//
// where cpu is its CPU rate as a percentage of the whole host (CPUPct / CPUs;
// when the rate is unknown, as on a container's first sample, its lifetime
// average CPULifetimePct stands in and the reason says so), mem is its resident
// memory as a percentage of the host's (MemPct), and io is its read+write rate
// in MiB/s, capped at 100 (unknown: 0). All three terms are on a 0-100 scale.
// CPU weighs most because it is what a container takes from its neighbours
// now; memory is held until the container ends; I/O is bursty.
//
// When a class has more containers than its target, the extras are removed
// heaviest first; when some of the extras cannot be judged this tick, fewer
// are removed and the next tick finishes the work. Ties are broken by memory
// (more first), then by creation (the newest first), then by id, so the plan
// is deterministic. When a class
// is short, Plan.Start names one container per missing slot; for class high
// the kinds alternate between ram and cpu, starting with the kind that has
// fewer running.
//
// Limitations: the weights and the 100 MiB/s ceiling of the I/O term are a
// judgement, not a measurement of harm; a container that is heavy on one
// resource only can rank below one that is moderate on all three. The policy
// sees one tick at a time: a container that bursts for one interval may be
// removed although it is light on average.
package policy

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Classes and kinds of vigia's containers (labels io.vigia.class, io.vigia.kind).
const (
	ClassLow  = "low"
	ClassHigh = "high"

	KindLow = "low"
	KindRAM = "ram"
	KindCPU = "cpu"
)

// Weights of the score; see the package documentation.
const (
	WeightCPU = 0.5
	WeightMem = 0.3
	WeightIO  = 0.2
)

// Container is what the policy knows about one running container.
type Container struct {
	ID      string
	Name    string
	Class   string // io.vigia.class
	Kind    string // io.vigia.kind
	Managed bool   // io.vigia.managed=true: vigia created it
	Grafana bool   // io.vigia.role=grafana
	Created time.Time

	// CPUPct is the rate since the previous sample (100 = one CPU), nil when
	// unknown; CPULifetimePct is the average since the container started.
	CPUPct         *float64
	CPULifetimePct float64
	MemPct         float64
	RssKB          uint64
	// IOBytesPerSec is read+write bytes per second, nil when unknown.
	IOBytesPerSec *float64

	// Sampled is true when the sensor read this container in this tick.
	Sampled bool
	// Pending is the action taken on the container ("start" or "remove")
	// while no fresh sample has been read since; "" when none.
	Pending Action
}

// Targets are how many containers of each class must run.
type Targets struct {
	KeepLow  int
	KeepHigh int
}

// Input is everything one decision looks at.
type Input struct {
	Containers []Container
	Targets    Targets
	CPUs       int // online CPUs of the host, at least 1
}

// Action is what the plan does with a container.
type Action string

// Actions of a plan.
const (
	ActionKeep   Action = "keep"
	ActionRemove Action = "remove"
	ActionStart  Action = "start"
	ActionSkip   Action = "skip"
)

// Decision is the verdict on one container, with the figures behind it.
type Decision struct {
	Container Container
	Action    Action
	Reason    string  // one sentence a person can read
	Score     float64 // 0 for a skipped container
	CPUTerm   float64 // cpu share of the host used in the score
	CPUKnown  bool    // false when the lifetime average stood in
}

// Start asks for one new container.
type Start struct {
	Class  string
	Kind   string
	Reason string
}

// Plan is the outcome of Decide.
type Plan struct {
	Remove []Decision // heaviest first within each class
	Keep   []Decision
	Skip   []Decision
	Start  []Start
	// Running counts the containers of each class that will run when the
	// plan is carried out.
	Running map[string]int
}

// classes are judged in this order; the plan lists them in it.
var classes = []string{ClassLow, ClassHigh}

// kinds are the kinds a start may pick for each class, in order of preference
// among equals.
var kinds = map[string][]string{ClassLow: {KindLow}, ClassHigh: {KindRAM, KindCPU}}

// mib is the I/O rate unit of the score.
const mib = 1 << 20

// Decide makes the plan for one tick.
func Decide(in Input) Plan {
	plan := Plan{Running: make(map[string]int, len(classes))}
	judged := make(map[string][]Decision)
	held := make(map[string][]Decision)
	for _, c := range in.Containers {
		d := Decision{Container: c}
		d.Score, d.CPUTerm, d.CPUKnown = Score(c, in.CPUs)
		switch {
		case c.Grafana:
			plan.Skip = append(plan.Skip, skip(d, "Grafana is never touched"))
		case !c.Managed:
			plan.Skip = append(plan.Skip, skip(d, "not created by vigia (no io.vigia.managed=true)"))
		case c.Class != ClassLow && c.Class != ClassHigh:
			plan.Skip = append(plan.Skip,
				skip(d, fmt.Sprintf("class label %q is neither low nor high", c.Class)))
		case c.Pending == ActionRemove:
			plan.Skip = append(plan.Skip,
				skip(d, "removal already requested; no fresh sample since"))
		case c.Pending != "":
			d.Action, d.Reason = ActionKeep, "started recently; not judged before a fresh sample"
			held[c.Class] = append(held[c.Class], d)
		case !c.Sampled:
			d.Action, d.Reason = ActionKeep, "no sample this tick; not judged without figures"
			held[c.Class] = append(held[c.Class], d)
		default:
			judged[c.Class] = append(judged[c.Class], d)
		}
	}
	for _, class := range classes {
		plan.decideClass(class, targetOf(in.Targets, class), judged[class], held[class])
	}
	return plan
}

func skip(d Decision, reason string) Decision {
	d.Action, d.Reason, d.Score = ActionSkip, reason, 0
	return d
}

func targetOf(t Targets, class string) int {
	n := t.KeepLow
	if class == ClassHigh {
		n = t.KeepHigh
	}
	return max(n, 0)
}

// decideClass removes the heaviest extras of one class, or asks for starts
// when it is short.
func (p *Plan) decideClass(class string, target int, judged, held []Decision) {
	sortHeaviest(judged)
	running := len(judged) + len(held)
	extra := max(running-target, 0)
	removable := min(extra, len(judged))
	for i, d := range judged {
		if i < removable {
			d.Action = ActionRemove
			d.Reason = fmt.Sprintf("%s has %d, target %d: removing %d, heaviest first; #%d, %s",
				class, running, target, removable, i+1, figures(d))
			p.Remove = append(p.Remove, d)
			continue
		}
		d.Action = ActionKeep
		d.Reason = fmt.Sprintf("%s has %d, target %d: kept, %s", class, running, target, figures(d))
		if extra > removable {
			d.Reason += fmt.Sprintf("; %d extra wait for a fresh sample", extra-removable)
		}
		p.Keep = append(p.Keep, d)
	}
	p.Keep = append(p.Keep, held...)
	remaining := append(append([]Decision(nil), judged[removable:]...), held...)
	p.Start = append(p.Start, starts(class, running, target, remaining)...)
	p.Running[class] = max(running-removable, target)
}

// starts asks for the missing containers of a class, balancing its kinds.
func starts(class string, running, target int, remaining []Decision) []Start {
	if running >= target {
		return nil
	}
	count := make(map[string]int)
	for _, d := range remaining {
		count[d.Container.Kind]++
	}
	var out []Start
	for i := running; i < target; i++ {
		kind := kinds[class][0]
		for _, k := range kinds[class][1:] {
			if count[k] < count[kind] {
				kind = k
			}
		}
		count[kind]++
		out = append(out, Start{Class: class, Kind: kind,
			Reason: fmt.Sprintf("%s has %d, target %d: start #%d (%s)", class, running, target,
				i-running+1, kind)})
	}
	return out
}

// sortHeaviest orders by score, memory, creation (newest first), then id.
func sortHeaviest(ds []Decision) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		switch {
		case a.Score != b.Score:
			return a.Score > b.Score
		case a.Container.MemPct != b.Container.MemPct:
			return a.Container.MemPct > b.Container.MemPct
		case !a.Container.Created.Equal(b.Container.Created):
			return a.Container.Created.After(b.Container.Created)
		}
		return a.Container.ID < b.Container.ID
	})
}

// figures tells the score and what it was made of.
func figures(d Decision) string {
	c := d.Container
	cpu := fmt.Sprintf("cpu %.1f%% of host", d.CPUTerm)
	if !d.CPUKnown {
		cpu = fmt.Sprintf("cpu %.1f%% of host (lifetime average: no rate yet)", d.CPUTerm)
	}
	io := "io unknown"
	if c.IOBytesPerSec != nil {
		io = fmt.Sprintf("io %.2f MiB/s", *c.IOBytesPerSec/mib)
	}
	return fmt.Sprintf("score %.2f (%s, mem %.2f%%, %s)", d.Score, cpu, c.MemPct, io)
}

// Score returns the score of c on a host with cpus CPUs, its cpu term and
// whether the CPU rate was known.
func Score(c Container, cpus int) (score, cpuTerm float64, cpuKnown bool) {
	cpuPct := c.CPULifetimePct
	if c.CPUPct != nil {
		cpuPct, cpuKnown = *c.CPUPct, true
	}
	cpuTerm = clamp(cpuPct / float64(max(cpus, 1)))
	io := 0.0
	if c.IOBytesPerSec != nil {
		io = clamp(*c.IOBytesPerSec / mib)
	}
	score = WeightCPU*cpuTerm + WeightMem*clamp(c.MemPct) + WeightIO*io
	return score, cpuTerm, cpuKnown
}

// clamp keeps a term on the 0-100 scale; NaN counts as 0.
func clamp(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return math.Min(v, 100)
}
