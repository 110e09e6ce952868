package sensor

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// synthetic builds a continfo and a sysinfo document of n processes spread
// over c containers (sysinfo lists the same processes), tick seconds after
// the first sample so that CPU times grow between calls.
func synthetic(c, n, tick int) (cont, sys []byte) {
	uptime := uint64(1000+20*tick) * 1e9
	base := Snapshot{SchemaVersion: 1, Kernel: "6.1.0-bench", TimestampNS: 1764777600e9 + uptime,
		UptimeNS: uptime, CPUs: 2, Memory: Memory{TotalKB: 16e6, FreeKB: 4e6, AvailableKB: 8e6,
			UsedKB: 8e6, UsedPct: 50}}
	cs, ss := base, base
	cs.Kind, ss.Kind = KindContinfo, KindSysinfo
	for i := range c {
		cs.Containers = append(cs.Containers, Container{ID: fmt.Sprintf("%064x", i+1),
			Runtime: RuntimeDocker, Processes: n / c})
	}
	for i := range n {
		p := Process{PID: 1000 + i, PPID: 1, Name: fmt.Sprintf("worker-%d", i),
			Cmdline: fmt.Sprintf("/usr/local/bin/worker --id %d --mode \"stress\"", i),
			Threads: 1 + i%4, VszKB: 20000, RssKB: uint64(1000 + i), MemPct: 0.01, CPUPct: 1.5,
			CPUTimeNS: uint64(i+tick*20) * 1e8, StartTimeNS: 5e9, IOReadBytes: uint64(i) * 4096,
			IOWriteBytes: uint64(tick) * 8192}
		sp := p
		sp.State = "S"
		ss.Processes = append(ss.Processes, sp)
		p.ContainerID = cs.Containers[i%c].ID
		p.Cgroup = "/docker/" + p.ContainerID
		cs.Processes = append(cs.Processes, p)
	}
	cont, _ = json.Marshal(cs)
	sys, _ = json.Marshal(ss)
	return cont, sys
}

// BenchmarkParseAggregate is one tick's sensor work: parse both documents of
// 50 containers and 500 processes, then aggregate and take the rates.
func BenchmarkParseAggregate(b *testing.B) {
	docs := [2][2][]byte{}
	for i := range docs {
		docs[i][0], docs[i][1] = synthetic(50, 500, i)
	}
	b.SetBytes(int64(len(docs[0][0]) + len(docs[0][1])))
	tr := NewTracker()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := docs[i%2]
		i++
		cont, err := ParseKind(d[0], KindContinfo)
		if err != nil {
			b.Fatal(err)
		}
		sys, err := ParseKind(d[1], KindSysinfo)
		if err != nil {
			b.Fatal(err)
		}
		u := tr.Update(Reading{Continfo: cont, Sysinfo: sys})
		if len(u.Containers) != 50 || len(u.Processes) != 500 {
			b.Fatalf("%d containers, %d processes", len(u.Containers), len(u.Processes))
		}
	}
}

func BenchmarkParse(b *testing.B) {
	_, sys := synthetic(50, 500, 0)
	b.SetBytes(int64(len(sys)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(sys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrackerUpdate(b *testing.B) {
	var r [2]Reading
	for i := range r {
		cont, sys := synthetic(50, 500, i)
		c, _ := Parse(cont)
		s, _ := Parse(sys)
		r[i] = Reading{Continfo: c, Sysinfo: s}
	}
	tr := NewTracker()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.Update(r[i%2])
		i++
	}
}

// BenchmarkUserspaceRead scans this host's real /proc.
func BenchmarkUserspaceRead(b *testing.B) {
	u := NewUserspace("/proc")
	b.ReportAllocs()
	for b.Loop() {
		r, err := u.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(r.Sysinfo.Processes)), "procs")
	}
}
