package sensor

import (
	"context"
	"fmt"
	"io"
	"os"
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
	cont, err := readSnapshot(ctx, k.ContinfoPath, KindContinfo)
	if err != nil {
		return Reading{}, err
	}
	sys, err := readSnapshot(ctx, k.SysinfoPath, KindSysinfo)
	if err != nil {
		return Reading{}, err
	}
	return Reading{Sensor: "kernel", Continfo: cont, Sysinfo: sys}, nil
}

// readSnapshot reads one file in full (a /proc file reports size 0, so it is
// read to its end) and parses it.
func readSnapshot(ctx context.Context, path string, kind Kind) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", kind, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSnapshotBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %s: %w", kind, path, err)
	}
	if len(data) > MaxSnapshotBytes {
		return nil, fmt.Errorf("read %s: %s: larger than %d bytes", kind, path, MaxSnapshotBytes)
	}
	s, err := ParseKind(data, kind)
	if err != nil {
		return nil, fmt.Errorf("read %s: %s: %w", kind, path, err)
	}
	return s, nil
}
