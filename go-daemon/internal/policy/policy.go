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
// offending first (see below), then heaviest first; when some of the extras
// cannot be judged this tick, fewer are removed and the next tick finishes
// the work. Ties are broken by memory (more first), then by creation (the
// newest first), then by id, so the plan is deterministic. When a class is
// short, Plan.Start names one container per missing slot; for class high the
// kinds alternate between ram and cpu, starting with the kind that has fewer
// running.
//
// Patterns. Each judged container carries its window of samples (History,
// kept by the daemon). Over it Detect finds: a leak (the least-squares slope of
// resident memory above Thresholds.LeakPctPerMin, percent of the host's memory
// per minute, with r² at least LeakFit: steady growth, not one jump); sustained
// CPU (mean above Thresholds.CPUPct of the host and at least three samples in
// four above it); a mismatch (a container labelled low that stays above the
// low bounds of CPU or memory: it behaves like a high one); and flapping (its
// low/high behaviour changes FlapChanges times or more in the window). A class
// flaps when vigia started and removed again FlapChurn of its containers
// within the daemon's churn span (Input.Churn).
//
// Thresholds. The bounds are relative to the host (percent of its CPUs, of its
// memory) and tighten under pressure: each is its base times a factor from 1
// down to MinFactor, set by the highest of memory in use (70% to 95%), PSI
// memory "some avg10" (5% to 30%) and PSI cpu (50% to 100%); see Ramps. Every
// reason that cites a finding also gives the thresholds in force.
//
// Acting on patterns. Extras that offend (leak, CPU, mismatch) are removed
// before the heaviest. A kept container that offends is capped when
// Input.Caps is set (Plan.Cap: CPU to 90% of the bound it crossed, memory
// frozen at its resident size plus 25%; the daemon then judges it on fresh
// samples only), else removed and replaced by a fresh one of its class,
// unless the class flaps: then it is kept and the reason says why.
// Flapping alone is only reported. A leak capped at its size plus 25% is
// killed by the kernel when it reaches the limit; the daemon then removes the
// stopped container and the policy starts a fresh one.
//
// Limitations: the weights and the 100 MiB/s ceiling of the I/O term are a
// judgement, not a measurement of harm; a container that is heavy on one
// resource only can rank below one that is moderate on all three. The count
// of extras is settled one tick at a time: an extra that bursts for one
// interval may be removed although it is light on average (the window only
// decides the patterns). The pressure ramps and the default bounds are
// judgements too, tuned on one 2-CPU, 24 GiB host.
package policy

import (
	"fmt"
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

	// History is the container's window of samples, oldest first, this
	// tick's included; the patterns are judged over it.
	History []Sample
	// Limits are the resource limits in force on the container.
	Limits Limits
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

	// Host gives the thresholds their scale and pressure.
	Host Host
	// Bounds are the base thresholds; the zero value means DefaultBounds.
	Bounds Bounds
	// Caps asks for a kept container that crosses a bound to be capped
	// (Plan.Cap) instead of removed and replaced.
	Caps bool
	// Churn counts, per class, the containers vigia started and removed
	// again within the churn span: FlapChurn or more make the class flap.
	Churn map[string]int
}

// Action is what the plan does with a container.
type Action string

// Actions of a plan.
const (
	ActionKeep   Action = "keep"
	ActionRemove Action = "remove"
	ActionStart  Action = "start"
	ActionSkip   Action = "skip"
	ActionCap    Action = "cap"
)

// Decision is the verdict on one container, with the figures behind it.
type Decision struct {
	Container Container
	Action    Action
	Reason    string  // one sentence a person can read
	Score     float64 // 0 for a skipped container
	CPUTerm   float64 // cpu share of the host used in the score
	CPUKnown  bool    // false when the lifetime average stood in
	// Findings are the patterns seen in the container's window.
	Findings []Finding
	// Cap holds the limits to apply when Action is ActionCap.
	Cap Limits
	// Thresholds are the thresholds in force when the decision was made.
	Thresholds Thresholds
}

// Start asks for one new container.
type Start struct {
	Class  string
	Kind   string
	Reason string
}

// Plan is the outcome of Decide.
type Plan struct {
	Remove []Decision // offending first, then heaviest first, within each class
	Keep   []Decision
	Skip   []Decision
	Cap    []Decision // kept, with limits to apply
	Start  []Start
	// Running counts the containers of each class that will run when the
	// plan is carried out.
	Running map[string]int
	// Thresholds are the thresholds in force for this plan.
	Thresholds Thresholds
	// Flapping names, per class, why the class flaps (vigia keeps starting
	// and removing its containers); offenders of a flapping class are not
	// replaced.
	Flapping map[string]string
}

// classes are judged in this order; the plan lists them in it.
var classes = []string{ClassLow, ClassHigh}

// kinds are the kinds a start may pick for each class, in order of preference
// among equals.
var kinds = map[string][]string{ClassLow: {KindLow}, ClassHigh: {KindRAM, KindCPU}}

// Decide makes the plan for one tick.
func Decide(in Input) Plan {
	plan := Plan{Running: make(map[string]int, len(classes)),
		Thresholds: ThresholdsFor(in.Host, in.Bounds)}
	judged := make(map[string][]Decision)
	held := make(map[string][]Decision)
	for _, c := range in.Containers {
		d := Decision{Container: c, Thresholds: plan.Thresholds}
		d.Score, d.CPUTerm, d.CPUKnown = Score(c, in.CPUs)
		switch {
		case c.Grafana:
			plan.Skip = append(plan.Skip, skip(d, "Grafana is never touched"))
		case !c.Managed:
			plan.Skip = append(plan.Skip, skip(d, "not this vigia's (no io.vigia.managed=true, or another io.vigia.instance)"))
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
			d.Findings = Detect(c, plan.Thresholds, in.CPUs, in.Host.MemTotalKB)
			judged[c.Class] = append(judged[c.Class], d)
		}
	}
	for _, class := range classes {
		j := judge{class: class, target: targetOf(in.Targets, class), caps: in.Caps,
			cpus: in.CPUs, flapping: plan.classFlapping(class, in)}
		plan.decideClass(j, judged[class], held[class])
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
