package sensor

import (
	"math"
	"sort"
)

// ContainerUsage is one container of a continfo snapshot with its rates.
type ContainerUsage struct {
	ID        string
	Runtime   Runtime
	PID       int // the container's main process: its oldest with a parent outside it
	Processes int
	VszKB     uint64
	RssKB     uint64
	MemPct    float64
	// CPUPct is the rate since the previous sample, 100 = one CPU; nil on the
	// first sample of the container.
	CPUPct *float64
	// CPULifetimePct is the sum of the processes' cpu_pct: their average
	// since they started.
	CPULifetimePct float64
	CPUTimeNS      uint64
	IOReadBytes    uint64 // cumulative, of the live processes
	IOWriteBytes   uint64
	// IOBytesPerSec is read plus write bytes per second since the previous
	// sample; nil on the first sample.
	IOBytesPerSec *float64
}

// ProcessUsage is one process of a sysinfo snapshot with its CPU rate.
type ProcessUsage struct {
	// Process is the process as sysinfo listed it; its ContainerID is filled
	// from continfo when sysinfo did not carry it ("" for a host process).
	Process
	CPUPct *float64 // since the previous sample; nil on the first
}

// Usage is a Reading turned into rates.
type Usage struct {
	Sensor      string
	TimestampNS uint64
	CPUs        int
	Memory      Memory
	Containers  []ContainerUsage
	Processes   []ProcessUsage
}

// procKey tells a process from a later one that reuses its pid.
type procKey struct {
	pid   int
	start uint64
}

// mark is what one sample said about one process.
type mark struct {
	cpuNS   uint64
	ioBytes uint64
}

// sample is the previous snapshot of one kind, reduced to what rates need.
type sample struct {
	uptimeNS   uint64
	procs      map[procKey]mark
	containers map[string]bool
}

// Tracker remembers the previous sample of every process to compute rates.
// It is not safe for concurrent use.
type Tracker struct {
	cont, sys *sample
}

// NewTracker returns a Tracker with no previous sample.
func NewTracker() *Tracker { return &Tracker{} }

// Update turns a Reading into Usage and remembers it as the previous sample.
// Continfo or Sysinfo may be nil; their part of Usage is then empty and the
// previous sample of that kind is kept.
func (t *Tracker) Update(r Reading) Usage {
	u := Usage{Sensor: r.Sensor}
	for _, s := range []*Snapshot{r.Continfo, r.Sysinfo} {
		if s != nil {
			u.TimestampNS, u.CPUs, u.Memory = s.TimestampNS, s.CPUs, s.Memory
		}
	}
	if r.Continfo != nil {
		u.Containers = t.containers(r.Continfo)
	}
	if r.Sysinfo != nil {
		u.Processes = t.processes(r.Sysinfo, r.Continfo)
	}
	return u
}

// interval returns the previous sample when a rate can be taken against it:
// it exists and is older (a smaller uptime also means the host rebooted).
func interval(prev *sample, s *Snapshot) (*sample, float64) {
	if prev == nil || s.UptimeNS <= prev.uptimeNS {
		return nil, 0
	}
	return prev, float64(s.UptimeNS - prev.uptimeNS)
}

func (t *Tracker) containers(s *Snapshot) []ContainerUsage {
	prev, elapsed := interval(t.cont, s)
	next := &sample{
		uptimeNS:   s.UptimeNS,
		procs:      make(map[procKey]mark, len(s.Processes)),
		containers: make(map[string]bool, len(s.Containers)),
	}
	sums := make([]Container, 0, len(s.Containers))
	index := make(map[string]int, len(s.Containers))
	for _, c := range s.Containers {
		index[c.ID] = len(sums)
		sums = append(sums, Container{ID: c.ID, Runtime: c.Runtime})
		next.containers[c.ID] = true
	}
	cpu := make([]uint64, len(sums))
	io := make([]uint64, len(sums))
	for _, p := range s.Processes {
		i, ok := index[p.ContainerID]
		if !ok {
			continue // Parse refuses this; a hand-made snapshot may not
		}
		sums[i].add(p)
		key := procKey{p.PID, p.StartTimeNS}
		m := mark{cpuNS: p.CPUTimeNS, ioBytes: p.IOReadBytes + p.IOWriteBytes}
		next.procs[key] = m
		if prev != nil {
			dc, dio := delta(prev, key, m)
			cpu[i] += dc
			io[i] += dio
		}
	}
	mains := mainPIDs(s.Processes)
	out := make([]ContainerUsage, len(sums))
	for i, sum := range sums {
		c := &out[i]
		*c = ContainerUsage{
			ID: sum.ID, Runtime: sum.Runtime, PID: mains[sum.ID], Processes: sum.Processes,
			VszKB: sum.VszKB, RssKB: sum.RssKB, MemPct: percent(sum.RssKB, s.Memory.TotalKB),
			CPULifetimePct: round2(sum.CPUPct), CPUTimeNS: sum.CPUTimeNS,
			IOReadBytes: sum.IOReadBytes, IOWriteBytes: sum.IOWriteBytes,
		}
		if prev != nil && prev.containers[c.ID] {
			c.CPUPct = ptr(round2(float64(cpu[i]) / elapsed * 100))
			c.IOBytesPerSec = ptr(round2(float64(io[i]) / (elapsed / 1e9)))
		}
	}
	t.cont = next
	return out
}

// delta is how much CPU time and I/O one process used since the previous
// sample. A process the previous sample did not have counts in full when it
// started after that sample, and not at all otherwise (it was missed, and its
// earlier use cannot be told apart).
func delta(prev *sample, key procKey, m mark) (cpuNS, ioBytes uint64) {
	if old, ok := prev.procs[key]; ok {
		return sub(m.cpuNS, old.cpuNS), sub(m.ioBytes, old.ioBytes)
	}
	if key.start >= prev.uptimeNS {
		return m.cpuNS, m.ioBytes
	}
	return 0, 0
}

func (t *Tracker) processes(s, cont *Snapshot) []ProcessUsage {
	prev, elapsed := interval(t.sys, s)
	next := &sample{uptimeNS: s.UptimeNS, procs: make(map[procKey]mark, len(s.Processes))}
	owner := make(map[procKey]string)
	if cont != nil {
		for _, p := range cont.Processes {
			owner[procKey{p.PID, p.StartTimeNS}] = p.ContainerID
		}
	}
	out := make([]ProcessUsage, len(s.Processes))
	for i, p := range s.Processes {
		key := procKey{p.PID, p.StartTimeNS}
		if p.ContainerID == "" {
			p.ContainerID = owner[key]
		}
		out[i].Process = p
		next.procs[key] = mark{cpuNS: p.CPUTimeNS}
		if prev == nil {
			continue
		}
		if old, ok := prev.procs[key]; ok {
			out[i].CPUPct = ptr(round2(float64(sub(p.CPUTimeNS, old.cpuNS)) / elapsed * 100))
		}
	}
	t.sys = next
	return out
}

// mainPIDs picks, per container, its oldest process whose parent is outside
// the container (the lowest pid among equals); failing that, its oldest.
func mainPIDs(ps []Process) map[string]int {
	in := make(map[int]string, len(ps))
	for _, p := range ps {
		in[p.PID] = p.ContainerID
	}
	isRoot := func(p Process) bool { return in[p.PPID] != p.ContainerID }
	sorted := append([]Process(nil), ps...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if ra, rb := isRoot(a), isRoot(b); ra != rb {
			return ra
		}
		if a.StartTimeNS != b.StartTimeNS {
			return a.StartTimeNS < b.StartTimeNS
		}
		return a.PID < b.PID
	})
	mains := make(map[string]int)
	for _, p := range sorted {
		if _, ok := mains[p.ContainerID]; !ok {
			mains[p.ContainerID] = p.PID
		}
	}
	return mains
}

// sub is a-b, or 0 when a counter went backwards.
func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func ptr(v float64) *float64 { return &v }
