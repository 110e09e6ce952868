package store

import (
	"context"
	"errors"
	"time"
)

// Tick is everything one tick of the daemon records, written in one
// transaction.
type Tick struct {
	Time        time.Time
	Sensor      string // "kernel" or "userspace"
	Duration    time.Duration
	LowRunning  int
	HighRunning int
	Removed     int
	Started     int
	Error       string // "" when the tick read and decided

	Memory     *MemorySample // nil when no snapshot was read
	Containers []ContainerSample
	Processes  []ProcessSample
	Actions    []Action
}

// MemorySample is a row of memory_samples (its ts is the tick's).
type MemorySample struct {
	TotalKB     uint64
	FreeKB      uint64
	AvailableKB uint64
	UsedKB      uint64
	UsedPct     float64
}

// ContainerSample is a row of container_samples.
type ContainerSample struct {
	Time         time.Time // the tick's; set by WriteTick, read by the queries
	ContainerID  string
	Name         string
	Class        string // low, high, grafana or foreign
	Kind         string
	PID          int
	Processes    int
	VszKB        uint64
	RssKB        uint64
	MemPct       float64
	CPUPct       *float64 // nil on a container's first sample
	IOReadBytes  uint64
	IOWriteBytes uint64
}

// ProcessSample is a row of process_samples.
type ProcessSample struct {
	PID         int
	PPID        int
	Name        string
	Cmdline     string
	State       string
	ContainerID string // "" for a host process (stored as NULL)
	Threads     int
	VszKB       uint64
	RssKB       uint64
	MemPct      float64
	CPUPct      *float64
}

// Action is a row of actions: what was done to a container and why.
type Action struct {
	ID          int64     // set by the store
	Time        time.Time // zero: the tick's time
	Action      string    // remove, start or cap
	ContainerID string
	Name        string
	Class       string
	Kind        string
	Reason      string
	Score       *float64 // nil for a start
	CPUPct      *float64
	RssKB       *uint64
	MemPct      *float64
	DryRun      bool
	OK          bool
	Error       string
}

// TickRow is a row of ticks.
type TickRow struct {
	ID          int64
	Time        time.Time
	Sensor      string
	Duration    time.Duration
	LowRunning  int
	HighRunning int
	Removed     int
	Started     int
	Error       string
}

// WriteTick writes t in one transaction and returns the tick's id.
func (d *DB) WriteTick(ctx context.Context, t *Tick) (int64, error) {
	return 0, errors.New("write tick: not implemented yet")
}

// Prune deletes every row older than now minus retention and returns how
// many rows it deleted.
func (d *DB) Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error) {
	return 0, errors.New("prune: not implemented yet")
}

// RecentActions returns the newest actions first, at most limit.
func (d *DB) RecentActions(ctx context.Context, limit int) ([]Action, error) {
	return nil, errors.New("recent actions: not implemented yet")
}

// LatestContainers returns the container samples of the newest tick that
// wrote any.
func (d *DB) LatestContainers(ctx context.Context) ([]ContainerSample, error) {
	return nil, errors.New("latest containers: not implemented yet")
}

// LatestTick returns the newest tick, or ErrNotFound.
func (d *DB) LatestTick(ctx context.Context) (TickRow, error) {
	return TickRow{}, errors.New("latest tick: not implemented yet")
}
