package sensor

import (
	"strconv"
	"strings"
	"testing"
)

var (
	idA = strings.Repeat("a", 64)
	idB = strings.Repeat("b", 64)
)

// cproc is a continfo process: pid, parent, container, start and CPU time in
// seconds, I/O bytes.
func cproc(pid, ppid int, id string, startS, cpuS float64, io uint64) Process {
	return Process{
		PID: pid, PPID: ppid, ContainerID: id, Cgroup: "/docker/" + id,
		StartTimeNS: uint64(startS * 1e9), CPUTimeNS: uint64(cpuS * 1e9),
		IOReadBytes: io / 2, IOWriteBytes: io - io/2, RssKB: 1000, CPUPct: 1,
	}
}

// continfo builds a snapshot at uptimeS seconds with one entry per container
// its processes name.
func continfo(uptimeS float64, ps ...Process) *Snapshot {
	s := &Snapshot{Kind: KindContinfo, UptimeNS: uint64(uptimeS * 1e9), CPUs: 2,
		Memory: Memory{TotalKB: 100000}, Processes: ps, Containers: []Container{}}
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.ContainerID] {
			seen[p.ContainerID] = true
			s.Containers = append(s.Containers, Container{ID: p.ContainerID, Runtime: RuntimeDocker})
		}
	}
	return s
}

func TestTrackerContainerRates(t *testing.T) {
	type want struct {
		cpu *float64 // nil: unknown
		io  *float64
	}
	tests := []struct {
		name        string
		first, next *Snapshot
		want        map[string]want
	}{
		{"first sample is unknown", nil,
			continfo(100, cproc(10, 1, idA, 5, 50, 100)),
			map[string]want{idA: {nil, nil}}},
		{"steady half a CPU", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 5, 55, 10e6)),
			map[string]want{idA: {ptr(50), ptr(1e6)}}},
		{"two CPUs busy", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 5, 70, 0)),
			map[string]want{idA: {ptr(200), ptr(0)}}},
		{"a process ended: no negative rate", continfo(100,
			cproc(10, 1, idA, 5, 50, 0), cproc(11, 10, idA, 6, 500, 0)),
			continfo(110, cproc(10, 1, idA, 5, 51, 0)),
			map[string]want{idA: {ptr(10), ptr(0)}}},
		{"a process started since counts in full", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 5, 50, 0), cproc(12, 10, idA, 104, 3, 2000)),
			map[string]want{idA: {ptr(30), ptr(200)}}},
		{"a process missed by the previous sample counts nothing",
			continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 5, 51, 0), cproc(13, 10, idA, 50, 400, 5000)),
			map[string]want{idA: {ptr(10), ptr(0)}}},
		{"a reused pid is a new process", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 105, 2, 0)),
			map[string]want{idA: {ptr(20), ptr(0)}}},
		{"a new container is unknown", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(110, cproc(10, 1, idA, 5, 50, 0), cproc(20, 1, idB, 105, 1, 0)),
			map[string]want{idA: {ptr(0), ptr(0)}, idB: {nil, nil}}},
		{"reboot: uptime went back", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(20, cproc(10, 1, idA, 5, 60, 0)),
			map[string]want{idA: {nil, nil}}},
		{"same uptime", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			map[string]want{idA: {nil, nil}}},
		{"counter went back", continfo(100, cproc(10, 1, idA, 5, 50, 9000)),
			continfo(110, cproc(10, 1, idA, 5, 40, 0)),
			map[string]want{idA: {ptr(0), ptr(0)}}},
		{"a quarter CPU over 20 s, rounded", continfo(100, cproc(10, 1, idA, 5, 50, 0)),
			continfo(120, cproc(10, 1, idA, 5, 55.0001, 3)),
			map[string]want{idA: {ptr(25), ptr(0.15)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker()
			if tt.first != nil {
				tr.Update(Reading{Continfo: tt.first})
			}
			u := tr.Update(Reading{Continfo: tt.next})
			if len(u.Containers) != len(tt.want) {
				t.Fatalf("%d containers, want %d", len(u.Containers), len(tt.want))
			}
			for _, c := range u.Containers {
				w := tt.want[c.ID]
				if !samePtr(c.CPUPct, w.cpu) || !samePtr(c.IOBytesPerSec, w.io) {
					t.Errorf("%s: cpu %s io %s, want cpu %s io %s", c.ID[:4], show(c.CPUPct),
						show(c.IOBytesPerSec), show(w.cpu), show(w.io))
				}
			}
		})
	}
}

func samePtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func show(p *float64) string {
	if p == nil {
		return "unknown"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func TestTrackerAggregates(t *testing.T) {
	s := continfo(100,
		cproc(11, 10, idA, 6, 1, 100),
		cproc(10, 1, idA, 5, 2, 200),
		cproc(12, 11, idA, 4, 3, 300), // older, but its parent is inside
		cproc(20, 1, idB, 9, 4, 400),
	)
	u := NewTracker().Update(Reading{Sensor: "kernel", Continfo: s})
	if u.Sensor != "kernel" || u.CPUs != 2 || u.Memory.TotalKB != 100000 {
		t.Errorf("header %+v", u)
	}
	a := u.Containers[0]
	if a.ID != idA || a.PID != 10 || a.Processes != 3 || a.RssKB != 3000 || a.MemPct != 3 ||
		a.CPUTimeNS != 6e9 || a.IOReadBytes+a.IOWriteBytes != 600 || a.CPULifetimePct != 3 {
		t.Errorf("container A: %+v", a)
	}
	if b := u.Containers[1]; b.PID != 20 || b.Processes != 1 {
		t.Errorf("container B: %+v", b)
	}
}

func TestTrackerProcesses(t *testing.T) {
	sys := func(uptimeS float64, ps ...Process) *Snapshot {
		for i := range ps {
			ps[i].ContainerID, ps[i].Cgroup, ps[i].State = "", "", "S"
		}
		return &Snapshot{Kind: KindSysinfo, UptimeNS: uint64(uptimeS * 1e9), CPUs: 2, Processes: ps}
	}
	tr := NewTracker()
	first := tr.Update(Reading{
		Sysinfo:  sys(100, cproc(1, 0, "", 0, 10, 0), cproc(10, 1, "", 5, 50, 0)),
		Continfo: continfo(100, cproc(10, 1, idA, 5, 50, 0)),
	})
	for _, p := range first.Processes {
		if p.CPUPct != nil {
			t.Errorf("first sample of pid %d has cpu %v", p.PID, *p.CPUPct)
		}
	}
	if first.Processes[1].ContainerID != idA || first.Processes[0].ContainerID != "" {
		t.Errorf("container ids not joined: %q %q", first.Processes[0].ContainerID,
			first.Processes[1].ContainerID)
	}
	next := tr.Update(Reading{
		Sysinfo: sys(110, cproc(1, 0, "", 0, 10.5, 0), cproc(10, 1, "", 5, 58, 0),
			cproc(30, 1, "", 105, 1, 0)),
	})
	got := []string{show(next.Processes[0].CPUPct), show(next.Processes[1].CPUPct),
		show(next.Processes[2].CPUPct)}
	if strings.Join(got, " ") != "5 80 unknown" {
		t.Errorf("process rates %v, want 5 80 unknown", got)
	}
	if next.Containers != nil {
		t.Errorf("containers without continfo: %+v", next.Containers)
	}
}
