// Package policy decides which of vigia's containers to keep, which to remove
// and how many to start, so that exactly KeepLow containers of class low and
// KeepHigh of class high run. It is pure: the same Input gives the same Plan.
//
// Only containers vigia created (Managed) with class low or high are judged.
// Grafana, foreign containers and managed ones with another class are listed
// as skipped and never removed. A container acted upon (started or removed) is
// not judged again until a fresh sample of it was read: a started one counts
// as running and is kept, a removed one no longer counts.
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
// heaviest first. Ties are broken by memory (more first), then by creation
// (the newest first), then by id, so the plan is deterministic. When a class
// is short, Plan.Start names one container per missing slot; for class high
// the kinds alternate between ram and cpu, starting with the kind that has
// fewer running.
package policy

import "time"

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

// Decide makes the plan for one tick.
func Decide(in Input) Plan {
	return Plan{}
}

// Score returns the score of c on a host with cpus CPUs, its cpu term and
// whether the CPU rate was known.
func Score(c Container, cpus int) (score, cpuTerm float64, cpuKnown bool) {
	return 0, 0, false
}
