package policy

import (
	"fmt"
	"strings"
)

// Host is what the thresholds are relative to: the host's size and its
// pressure at the moment of the decision.
type Host struct {
	MemTotalKB uint64
	MemUsedPct float64 // memory in use (total - available), percent of total
	// PSICPU and PSIMemory are the "some avg10" figures of
	// /proc/pressure/cpu and /proc/pressure/memory (percent of the last 10 s
	// in which some task waited); nil when the kernel offers no PSI.
	PSICPU    *float64
	PSIMemory *float64
}

// Bounds are the base values of the thresholds, on a host under no pressure.
// Every figure is relative to the host, so one configuration suits a 2 GiB
// laptop and a 64 GiB server alike.
type Bounds struct {
	// CPUPct is the sustained CPU of one container, percent of the whole
	// host (all CPUs), above which it crosses the CPU bound.
	CPUPct float64
	// LeakPctPerMin is the steady memory growth, percent of the host's
	// memory per minute, above which a container leaks.
	LeakPctPerMin float64
	// LeakFit is the least r² of the growth line: only a steady growth is a
	// leak, not one jump.
	LeakFit float64
	// LowCPUPct and LowMemPct: a container labelled low that stays above
	// either (CPU percent of the host, resident memory percent of the host)
	// behaves like a high one.
	LowCPUPct float64
	LowMemPct float64
	// MinSamples is how many samples a pattern needs before it is judged.
	MinSamples int
	// FlapChanges is how many low/high verdict changes within the window
	// make a container flap.
	FlapChanges int
	// FlapChurn is how many containers of one class vigia started and
	// removed again within the churn span (Input.Churn) make the class flap.
	FlapChurn int
}

// DefaultBounds are the shipped bounds. On a 2-CPU, 24 GiB host: a container
// using 1.5 CPUs for the whole window crosses the CPU bound; one growing by
// 245 MiB a minute leaks; a low one above 0.2 CPU or 123 MiB behaves high.
//
// TODO: make the bounds vigia.conf keys once they are measured on more than
// this one host; a key per bound now would freeze guesses into the contract.
var DefaultBounds = Bounds{CPUPct: 75, LeakPctPerMin: 1, LeakFit: 0.8, LowCPUPct: 10,
	LowMemPct: 0.5, MinSamples: 4, FlapChanges: 3, FlapChurn: 3}

// orDefault gives DefaultBounds for the zero Bounds.
func (b Bounds) orDefault() Bounds {
	if b == (Bounds{}) {
		return DefaultBounds
	}
	return b
}

// Thresholds are the bounds in force for one decision: the base bounds times
// Factor, which falls from 1 (no pressure) to MinFactor (full pressure).
type Thresholds struct {
	Pressure float64 // 0 none .. 1 full
	Cause    string  // the reading that set Pressure, e.g. "psi cpu 81.8%"
	Factor   float64

	CPUPct        float64
	LeakPctPerMin float64
	LowCPUPct     float64
	LowMemPct     float64

	Base Bounds
}

// MinFactor is how far pressure tightens every bound: at full pressure the
// thresholds are half their base.
const MinFactor = 0.5

// ramp turns one reading into pressure: 0 at or below From, 1 at or above To.
type ramp struct {
	Name     string
	From, To float64
	read     func(Host) (float64, bool)
}

// Ramps are the readings that make pressure, and where each starts and ends.
// Memory in use counts from 70%: below, the page cache and the kernel still
// have room. A memory stall of 5% of the time is already felt, 30% is severe.
// A busy host always has some task waiting for a CPU, so CPU pressure counts
// from 50% of the time only.
var Ramps = []ramp{
	{"memory used", 70, 95, func(h Host) (float64, bool) { return h.MemUsedPct, h.MemTotalKB > 0 }},
	{"psi memory", 5, 30, func(h Host) (float64, bool) { return deref(h.PSIMemory) }},
	{"psi cpu", 50, 100, func(h Host) (float64, bool) { return deref(h.PSICPU) }},
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

// ThresholdsFor gives the thresholds in force on a host: the highest
// pressure of the Ramps sets the factor.
func ThresholdsFor(h Host, b Bounds) Thresholds {
	b = b.orDefault()
	th := Thresholds{Cause: "none", Base: b}
	for _, r := range Ramps {
		v, ok := r.read(h)
		if !ok {
			continue
		}
		p := clamp((v-r.From)/(r.To-r.From)*100) / 100
		if p > th.Pressure {
			th.Pressure, th.Cause = p, fmt.Sprintf("%s %.1f%%", r.Name, v)
		}
	}
	th.Factor = 1 - (1-MinFactor)*th.Pressure
	th.CPUPct = b.CPUPct * th.Factor
	th.LeakPctPerMin = b.LeakPctPerMin * th.Factor
	th.LowCPUPct = b.LowCPUPct * th.Factor
	th.LowMemPct = b.LowMemPct * th.Factor
	return th
}

// String tells the thresholds in force and why, for reasons and logs.
func (th Thresholds) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "thresholds x%.2f (pressure %.2f: %s): cpu %.1f%% of host, "+
		"leak %.2f%% of memory/min, low cpu %.1f%%, low mem %.2f%%", th.Factor, th.Pressure,
		th.Cause, th.CPUPct, th.LeakPctPerMin, th.LowCPUPct, th.LowMemPct)
	return b.String()
}
