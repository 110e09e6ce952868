package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"vigia/internal/store"
)

// BenchmarkTick measures one tick of the daemon on a host with 50 containers
// of 10 processes each (500 processes): 5 of vigia's at their targets and 45
// foreign ones, so every tick reads, joins, decides and records them all
// without acting. Docker and the sensor are fakes; the store is a real SQLite
// file. Besides ns/op it reports the process's CPU time per tick (user+sys,
// from getrusage) and its peak resident memory.
func BenchmarkTick(b *testing.B) {
	for _, real := range []bool{false, true} {
		name := "fake-store"
		if real {
			name = "sqlite-store"
		}
		b.Run(name, func(b *testing.B) {
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
			var rec Recorder = &fakeStore{}
			if real {
				db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "vigia.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				rec = db
			}
			l := newLoop(h, &fakeStore{})
			l.Store = rec
			l.Retention = 0
			l.Tick(context.Background()) // the first sample has no rates
			before := rusage(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if t := l.Tick(context.Background()); t.Error != "" || len(t.Processes) < 500 {
					b.Fatalf("tick: %q, %d processes", t.Error, len(t.Processes))
				}
			}
			b.StopTimer()
			after := rusage(b)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() -
				before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/tick")
			b.ReportMetric(float64(after.Maxrss)/1024, "maxrss-MiB")
		})
	}
}

func rusage(b *testing.B) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru
}
