package policy

import (
	"fmt"
	"math"
)

// mib is the I/O rate unit of the score.
const mib = 1 << 20

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
	out := fmt.Sprintf("score %.2f (%s, mem %.2f%%, %s)", d.Score, cpu, c.MemPct, io)
	for _, f := range d.Findings {
		out += "; " + f.Text
	}
	if len(d.Findings) > 0 {
		out += "; " + d.Thresholds.String()
	}
	return out
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
