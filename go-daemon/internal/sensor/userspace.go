package sensor

import (
	"context"
	"errors"
	"time"
)

// Userspace builds the documents the kernel modules print from /proc/<pid>,
// for hosts where the modules cannot be loaded.
type Userspace struct {
	// ProcRoot is the proc file system to read, "/proc" on a real host.
	ProcRoot string
	// Now and Uptime give the sample's wall clock and time since boot. Nil:
	// the real clocks (CLOCK_REALTIME and CLOCK_BOOTTIME).
	Now    func() time.Time
	Uptime func() (time.Duration, error)
}

// NewUserspace returns a Source reading procRoot with the real clocks.
func NewUserspace(procRoot string) *Userspace {
	return &Userspace{ProcRoot: procRoot}
}

// Read scans procRoot once and returns both documents built from that scan.
func (u *Userspace) Read(ctx context.Context) (Reading, error) {
	return Reading{}, errors.New("not implemented yet")
}
