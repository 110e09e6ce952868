package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
)

// stubHost serves the same snapshot, one container with growing CPU time.
type stubHost struct {
	mu    sync.Mutex
	reads int
	fail  bool
}

func (s *stubHost) Read(context.Context) (sensor.Reading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.fail {
		return sensor.Reading{}, errors.New("read /proc/continfo_so1_x: truncated snapshot")
	}
	up := uint64(s.reads) * 1e9
	mem := sensor.Memory{TotalKB: 1 << 20, AvailableKB: 1 << 19, UsedKB: 1 << 19, UsedPct: 50}
	p := sensor.Process{PID: 42, PPID: 1, Name: "ram", RssKB: 1024, CPUTimeNS: up / 2,
		ContainerID: id('a'), Cgroup: "/docker/" + id('a')}
	cont := &sensor.Snapshot{SchemaVersion: 1, Kind: sensor.KindContinfo, CPUs: 1,
		TimestampNS: up, UptimeNS: up, Memory: mem, Processes: []sensor.Process{p},
		Containers: []sensor.Container{{ID: id('a'), Runtime: sensor.RuntimeDocker,
			Processes: 1, RssKB: 1024, CPUTimeNS: up / 2}}}
	sp := p
	sp.ContainerID, sp.Cgroup, sp.State = "", "", "R"
	sys := &sensor.Snapshot{SchemaVersion: 1, Kind: sensor.KindSysinfo, CPUs: 1,
		TimestampNS: up, UptimeNS: up, Memory: mem, Processes: []sensor.Process{sp}}
	return sensor.Reading{Sensor: "kernel", Continfo: cont, Sysinfo: sys}, nil
}

func (s *stubHost) List(context.Context) ([]docker.Container, error) {
	return []docker.Container{{ID: id('a'), Name: "vigia-ram-x", State: "running",
		Labels: map[string]string{docker.LabelManaged: "true", docker.LabelClass: "high",
			docker.LabelKind: "ram"}}}, nil
}

func TestTopRedraws(t *testing.T) {
	h := &stubHost{}
	o := &Observer{Source: h, Engine: h, Gap: time.Millisecond,
		Targets: policy.Targets{KeepLow: 3, KeepHigh: 2}}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	if err := Top(ctx, &out, o, 20*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	frames := strings.Count(out.String(), clearScreen)
	if frames < 3 {
		t.Fatalf("%d frames in 120 ms at a 20 ms refresh, want several", frames)
	}
	last := out.String()[strings.LastIndex(out.String(), clearScreen):]
	if !strings.Contains(last, "vigia-ram-x") || !strings.Contains(last, "50.0") {
		t.Errorf("last frame lacks the container or its 50%% CPU:\n%s", last)
	}
	h.mu.Lock()
	h.fail = true
	h.mu.Unlock()
	out.Reset()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := Top(ctx2, &out, o, 10*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "truncated snapshot (retrying)") {
		t.Errorf("a failed read is not shown:\n%s", out.String())
	}
}
