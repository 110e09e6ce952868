package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// benchTick is one tick of 50 containers and 500 processes, with 5 actions.
func benchTick(at time.Time) *Tick {
	t := &Tick{Time: at, Sensor: "kernel", Duration: 30 * time.Millisecond, LowRunning: 3,
		HighRunning: 2, Memory: &MemorySample{TotalKB: 16e6, FreeKB: 4e6, AvailableKB: 8e6,
			UsedKB: 8e6, UsedPct: 50}}
	for i := range 50 {
		t.Containers = append(t.Containers, ContainerSample{ContainerID: fmt.Sprintf("%064x", i),
			Name: fmt.Sprintf("vigia-cpu-20261203120000-%06x", i), Class: "high", Kind: "cpu",
			PID: 1000 + i, Processes: 10, VszKB: 20000, RssKB: 10000, MemPct: 0.06,
			CPUPct: f(float64(i)), IOReadBytes: 4096, IOWriteBytes: 8192})
	}
	for i := range 500 {
		t.Processes = append(t.Processes, ProcessSample{PID: 1000 + i, PPID: 1,
			Name: fmt.Sprintf("worker-%d", i), Cmdline: "/usr/local/bin/worker --mode stress",
			State: "S", ContainerID: t.Containers[i%50].ContainerID, Threads: 1, VszKB: 2000,
			RssKB: 1000, MemPct: 0.006, CPUPct: f(1.5)})
	}
	for i := range 5 {
		t.Actions = append(t.Actions, Action{Action: "remove",
			ContainerID: fmt.Sprintf("%064x", i),
			Name:        "vigia-cpu-x", Class: "high", Kind: "cpu", Reason: "high has 7, target 2",
			Score: f(40), CPUPct: f(80), RssKB: u(10000), MemPct: f(0.06), OK: true})
	}
	return t
}

// BenchmarkWriteTick writes one tick of 50 containers and 500 processes to a
// real SQLite file.
func BenchmarkWriteTick(b *testing.B) {
	d, err := Open(context.Background(), filepath.Join(b.TempDir(), "vigia.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	tick := benchTick(t0)
	b.ReportAllocs()
	for b.Loop() {
		tick.Time = tick.Time.Add(20 * time.Second)
		if _, err := d.WriteTick(context.Background(), tick); err != nil {
			b.Fatal(err)
		}
	}
}
