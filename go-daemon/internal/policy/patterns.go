package policy

import (
	"fmt"
	"math"
	"time"
)

// Sample is one tick's figures of a container, oldest first in
// Container.History.
type Sample struct {
	Time   time.Time
	RssKB  uint64
	CPUPct *float64 // rate since the previous sample, 100 = one CPU; nil when unknown
}

// Patterns found over a container's window.
const (
	PatternLeak     = "leak"     // steady memory growth
	PatternCPU      = "cpu"      // sustained CPU above the bound
	PatternMismatch = "mismatch" // labelled low, behaves like a high
	PatternFlapping = "flapping" // its low/high verdict keeps changing
)

// Resources a finding is about; a cap limits that one.
const (
	ResourceCPU    = "cpu"
	ResourceMemory = "memory"
)

// Finding is one pattern seen in a container's window, with the figure that
// crossed the threshold and the threshold's value at that moment.
type Finding struct {
	Pattern   string
	Resource  string  // what a cap would limit; "" for flapping
	Threshold string  // the threshold that applied, e.g. "cpu", "low mem"
	Value     float64 // the container's figure, in the threshold's unit
	Bound     float64 // the threshold's value
	Text      string  // one clause a person can read
}

// Offending reports whether the finding is a bound crossed (something to act
// on); flapping is only reported.
func (f Finding) Offending() bool { return f.Pattern != PatternFlapping }

// Detect judges the patterns of one container over its History, with the
// thresholds in force on a host of cpus CPUs and memTotalKB of memory.
func Detect(c Container, th Thresholds, cpus int, memTotalKB uint64) []Finding {
	b := th.Base.orDefault()
	var out []Finding
	if f, ok := leak(c.History, th, b, memTotalKB); ok {
		out = append(out, f)
	}
	shares := cpuShares(c.History, cpus)
	if len(shares) >= b.MinSamples {
		if mean, ok := sustained(shares, th.CPUPct); ok {
			out = append(out, Finding{Pattern: PatternCPU, Resource: ResourceCPU,
				Threshold: "cpu", Value: mean, Bound: th.CPUPct,
				Text: fmt.Sprintf("cpu %.1f%% of host sustained over %d samples > cpu bound %.1f%%",
					mean, len(shares), th.CPUPct)})
		}
	}
	if c.Class == ClassLow {
		if f, ok := mismatch(c.History, shares, th, b, memTotalKB); ok {
			out = append(out, f)
		}
	}
	if f, ok := flapping(c.History, th, b, cpus, memTotalKB); ok {
		out = append(out, f)
	}
	return out
}

// leak fits a least-squares line through the resident memory over time; a
// slope above the bound with a good fit is a leak.
func leak(h []Sample, th Thresholds, b Bounds, memTotalKB uint64) (Finding, bool) {
	if len(h) < b.MinSamples || memTotalKB == 0 {
		return Finding{}, false
	}
	xs := make([]float64, len(h))
	ys := make([]float64, len(h))
	for i, s := range h {
		xs[i] = s.Time.Sub(h[0].Time).Seconds()
		ys[i] = float64(s.RssKB)
	}
	slope, r2, ok := fitLine(xs, ys)
	if !ok {
		return Finding{}, false
	}
	pctPerMin := slope * 60 / float64(memTotalKB) * 100
	if pctPerMin <= th.LeakPctPerMin || r2 < b.LeakFit {
		return Finding{}, false
	}
	return Finding{Pattern: PatternLeak, Resource: ResourceMemory, Threshold: "leak",
		Value: pctPerMin, Bound: th.LeakPctPerMin,
		Text: fmt.Sprintf("memory grows %.2f%% of host memory/min (%.1f MiB/min, r² %.2f, "+
			"%d samples) > leak bound %.2f%%/min", pctPerMin, slope*60/1024, r2, len(h),
			th.LeakPctPerMin)}, true
}

// fitLine returns the least-squares slope of ys over xs and r², the share of
// the variance the line explains (1 for a flat series that does not move).
func fitLine(xs, ys []float64) (slope, r2 float64, ok bool) {
	n := float64(len(xs))
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var sxx, sxy, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return 0, 0, false
	}
	slope = sxy / sxx
	r2 = 1.0
	if syy > 0 {
		r2 = sxy * sxy / (sxx * syy)
	}
	return slope, r2, true
}

// cpuShares are the known CPU rates of the window as percent of the host.
func cpuShares(h []Sample, cpus int) []float64 {
	var out []float64
	for _, s := range h {
		if s.CPUPct != nil && !math.IsNaN(*s.CPUPct) {
			out = append(out, *s.CPUPct/float64(max(cpus, 1)))
		}
	}
	return out
}

// sustained reports whether the figures stay above bound: their mean is above
// it and so are at least three in four of them (one quiet sample does not
// hide a hog; one burst does not make one).
func sustained(vs []float64, bound float64) (mean float64, ok bool) {
	above := 0
	for _, v := range vs {
		mean += v
		if v > bound {
			above++
		}
	}
	mean /= float64(len(vs))
	return mean, mean > bound && above*4 >= len(vs)*3
}

// memShares are the window's resident memory as percent of the host.
func memShares(h []Sample, memTotalKB uint64) []float64 {
	if memTotalKB == 0 {
		return nil
	}
	out := make([]float64, len(h))
	for i, s := range h {
		out[i] = float64(s.RssKB) / float64(memTotalKB) * 100
	}
	return out
}

// mismatch finds a low container that behaves like a high one: sustained CPU
// or memory above the low bounds.
func mismatch(h []Sample, shares []float64, th Thresholds, b Bounds,
	memTotalKB uint64) (Finding, bool) {
	if len(shares) >= b.MinSamples {
		if mean, ok := sustained(shares, th.LowCPUPct); ok {
			return Finding{Pattern: PatternMismatch, Resource: ResourceCPU,
				Threshold: "low cpu", Value: mean, Bound: th.LowCPUPct,
				Text: fmt.Sprintf("labelled low but behaves like a high: cpu %.1f%% of host "+
					"sustained > low cpu bound %.1f%%", mean, th.LowCPUPct)}, true
		}
	}
	mems := memShares(h, memTotalKB)
	if len(mems) >= b.MinSamples {
		if mean, ok := sustained(mems, th.LowMemPct); ok {
			return Finding{Pattern: PatternMismatch, Resource: ResourceMemory,
				Threshold: "low mem", Value: mean, Bound: th.LowMemPct,
				Text: fmt.Sprintf("labelled low but behaves like a high: memory %.2f%% of host "+
					"sustained > low mem bound %.2f%%", mean, th.LowMemPct)}, true
		}
	}
	return Finding{}, false
}

// flapping counts how often the container's per-sample verdict (behaves low
// or high, by the low bounds) changes within the window.
func flapping(h []Sample, th Thresholds, b Bounds, cpus int, memTotalKB uint64) (Finding, bool) {
	changes, prev := 0, ""
	for _, s := range h {
		if s.CPUPct == nil {
			continue
		}
		v := ClassLow
		share := *s.CPUPct / float64(max(cpus, 1))
		if share > th.LowCPUPct ||
			(memTotalKB > 0 && float64(s.RssKB)/float64(memTotalKB)*100 > th.LowMemPct) {
			v = ClassHigh
		}
		if prev != "" && v != prev {
			changes++
		}
		prev = v
	}
	if b.FlapChanges < 1 || changes < b.FlapChanges {
		return Finding{}, false
	}
	return Finding{Pattern: PatternFlapping, Threshold: "flap changes",
		Value: float64(changes), Bound: float64(b.FlapChanges),
		Text: fmt.Sprintf("flapping: behaved low/high in turn, %d changes in %d samples "+
			"(bound %d)", changes, len(h), b.FlapChanges)}, true
}
