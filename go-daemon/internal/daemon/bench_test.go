package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"vigia/internal/sensor"
	"vigia/internal/store"
)

// benchHost is a host with 50 containers of 10 processes each (500
// processes): 5 of vigia's at their targets and 45 foreign ones, so every
// tick reads, joins, decides and records them all without acting.
func benchHost() *fakeHost {
	h := newFakeHost()
	for i := range 3 {
		h.add(fmt.Sprintf("vigia-low-%d", i), 1e6, 1000, vigia("low", "low")...)
	}
	for i := range 2 {
		h.add(fmt.Sprintf("vigia-ram-%d", i), 1e8, 256<<10, vigia("high", "ram")...)
	}
	for i := range 45 {
		h.add(fmt.Sprintf("app-%d", i), uint64(i)*1e7, 20000)
	}
	for _, c := range h.containers {
		c.procs = 10
	}
	return h
}

// BenchmarkTick measures one tick of the daemon on benchHost. Variants:
// fake-store (the loop alone), sqlite-store (plus the real store writing a
// SQLite file), kernel-files (plus the kernel source reading and strictly
// parsing the two JSON documents from files, as on a host with the modules).
// Docker is a fake. Besides ns/op it reports the process's CPU time per tick
// (user+sys from getrusage, timed sections only) and its peak RSS.
func BenchmarkTick(b *testing.B) {
	for _, variant := range []string{"fake-store", "sqlite-store", "kernel-files"} {
		b.Run(variant, func(b *testing.B) {
			h := benchHost()
			l := newLoop(h, &fakeStore{})
			l.Retention = 0
			var files *fileSource
			if variant != "fake-store" {
				db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "vigia.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				l.Store = db
			}
			if variant == "kernel-files" {
				files = newFileSource(b, h)
				l.Source = files
			}
			files.write(b)
			l.Tick(context.Background()) // the first sample has no rates
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				files.write(b)
				before := rusage(b)
				b.StartTimer()
				t := l.Tick(context.Background())
				b.StopTimer()
				cpu += rusage(b) - before
				if t.Error != "" || len(t.Processes) < 500 || len(t.Containers) != 50 {
					b.Fatalf("tick: %q, %d processes, %d containers", t.Error,
						len(t.Processes), len(t.Containers))
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/tick")
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
		})
	}
}

// fileSource writes the fake host's snapshots as the modules' two files and
// reads them back with the kernel source.
type fileSource struct {
	*sensor.Kernel
	h *fakeHost
}

func newFileSource(b *testing.B, h *fakeHost) *fileSource {
	dir := b.TempDir()
	return &fileSource{Kernel: sensor.NewKernel(filepath.Join(dir, "continfo"),
		filepath.Join(dir, "sysinfo")), h: h}
}

// write renders the next sample into the files; a nil fileSource does nothing.
func (f *fileSource) write(b *testing.B) {
	if f == nil {
		return
	}
	r, err := f.h.Read(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for path, snap := range map[string]*sensor.Snapshot{f.ContinfoPath: r.Continfo,
		f.SysinfoPath: r.Sysinfo} {
		data, err := json.Marshal(snap)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
