package sensor

import (
	"context"
	"errors"
)

// Reading is one sample of both documents.
type Reading struct {
	Sensor   string // "kernel" or "userspace", as the store records it
	Continfo *Snapshot
	Sysinfo  *Snapshot
}

// Source returns both snapshots per read.
type Source interface {
	Read(ctx context.Context) (Reading, error)
}

// MaxSnapshotBytes bounds a read of one /proc file.
const MaxSnapshotBytes = 256 << 20

// Kernel reads the two /proc files of the kernel modules.
type Kernel struct {
	ContinfoPath string
	SysinfoPath  string
}

// NewKernel returns a Source over the two given files.
func NewKernel(continfo, sysinfo string) *Kernel {
	return &Kernel{ContinfoPath: continfo, SysinfoPath: sysinfo}
}

// Read reads and parses both files. A missing, truncated or malformed file is
// an error naming the file; no partial Reading is returned.
func (k *Kernel) Read(ctx context.Context) (Reading, error) {
	return Reading{}, errors.New("not implemented yet")
}
