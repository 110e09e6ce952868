package sensor

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

// Tracker remembers the previous sample of every process to compute rates.
// It is not safe for concurrent use.
type Tracker struct{}

// NewTracker returns a Tracker with no previous sample.
func NewTracker() *Tracker { return &Tracker{} }

// Update turns a Reading into Usage and remembers it as the previous sample.
// Continfo or Sysinfo may be nil; their part of Usage is then empty.
func (t *Tracker) Update(r Reading) Usage {
	return Usage{}
}
