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

// syncBuffer is written by Top while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runTop runs Top until its output holds want, or fails after 10 s.
func runTop(t *testing.T, o *Observer, want func(string) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- Top(ctx, out, o, 10*time.Millisecond, false) }()
	for deadline := time.Now().Add(10 * time.Second); !want(out.String()); {
		if time.Now().After(deadline) {
			t.Fatalf("top output after 10 s:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Top = %v", err)
	}
	return out.String()
}

func TestTopRedraws(t *testing.T) {
	h := &stubHost{}
	o := &Observer{Source: h, Engine: h, Gap: time.Millisecond,
		Targets: policy.Targets{KeepLow: 3, KeepHigh: 2}}
	out := runTop(t, o, func(s string) bool { return strings.Count(s, clearScreen) >= 3 })
	last := out[strings.LastIndex(out, clearScreen):]
	if !strings.Contains(last, "vigia-ram-x") || !strings.Contains(last, "50.0") {
		t.Errorf("last frame lacks the container or its 50%% CPU:\n%s", last)
	}
	h.mu.Lock()
	h.fail = true
	h.mu.Unlock()
	runTop(t, o, func(s string) bool { return strings.Contains(s, "truncated snapshot (retrying)") })
}
