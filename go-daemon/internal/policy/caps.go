package policy

import (
	"fmt"
	"math"
)

// Limits are a container's resource limits; zero means none.
type Limits struct {
	MemoryBytes int64
	CPUs        float64 // 0.5 = half of one CPU
}

func (l Limits) String() string {
	s := ""
	if l.MemoryBytes > 0 {
		s = fmt.Sprintf("memory %d MiB", l.MemoryBytes>>20)
	}
	if l.CPUs > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("cpu %.2f CPUs", l.CPUs)
	}
	return s
}

const (
	// capHeadroom is what a memory cap leaves above the resident memory: a
	// limit below the usage would make the kernel reclaim hard or refuse.
	capHeadroom = 1.25
	// minMemoryCap is above the engine's smallest limit (6 MB).
	minMemoryCap = 8 << 20
	// minCPUCap is the engine's smallest CPU limit.
	minCPUCap = 0.01
	// capMargin puts a CPU cap below the bound it enforces, so a container
	// using all of its cap reads as within the bound, not on it.
	capMargin = 0.9
	// tighterBy is how much lower a new CPU cap must be than the one in
	// force before the container is capped again.
	tighterBy = 0.8
)

// TODO: lift a cap when the pressure has fallen and the container stays well
// below its limit for a window; not yet, because a cap lifted and applied
// again on the next surge would flap, and the churn count does not see caps.
//
// capFor gives the limits that contain a container's offences: a CPU offence
// limits it to 90% of the bound that was crossed (its share of the host's
// CPUs); a
// memory offence freezes its memory at the resident size plus headroom. It
// returns false when the limits in force already do that (a memory limit is
// never raised or lowered again; a CPU limit only lowered).
func capFor(c Container, fs []Finding, cpus int) (Limits, bool) {
	var l Limits
	for _, f := range fs {
		switch {
		case !f.Offending():
		case f.Resource == ResourceCPU:
			want := math.Max(f.Bound/100*float64(max(cpus, 1))*capMargin, minCPUCap)
			if l.CPUs == 0 || want < l.CPUs {
				l.CPUs = want
			}
		case f.Resource == ResourceMemory:
			want := int64(float64(c.RssKB)*1024*capHeadroom+(1<<20)-1) >> 20 << 20
			l.MemoryBytes = max(want, minMemoryCap)
		}
	}
	if c.Limits.MemoryBytes > 0 {
		l.MemoryBytes = 0
	}
	if c.Limits.CPUs > 0 && l.CPUs >= c.Limits.CPUs*tighterBy {
		l.CPUs = 0
	}
	l.CPUs = math.Round(l.CPUs*100) / 100
	return l, l.MemoryBytes > 0 || l.CPUs > 0
}
