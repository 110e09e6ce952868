package daemon

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"vigia/internal/docker"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// fakeHost is a Docker engine and a sensor in one: the containers it runs
// show up in the snapshots it serves, with CPU time growing by cpuPerTick.
type fakeHost struct {
	mu                    sync.Mutex
	containers            map[string]*fakeContainer
	down                  bool             // List, RemoveAll and Start fail as if Docker were stopped
	readErr               error            // Read fails with it
	removeErr             map[string]error // RemoveAll fails for these ids
	removed               []string
	started               []docker.Spec
	calls                 int // RemoveAll and Start calls
	clock                 time.Time
	seq                   int
	maxInFlight, inFlight int
	removeDelay           time.Duration
	hideNew               bool // containers Start creates are not seen by the sensor
	updated               []string
	updateErr             error // Update fails with it
}

type fakeContainer struct {
	ct         docker.Container
	cpuPerTick uint64 // ns of CPU per second of uptime, per read
	rssKB      uint64
	cpuNS      uint64
	hidden     bool   // running but not seen by the sensor
	procs      int    // processes in the container; 0 means 1
	rssGrowKB  uint64 // added to rssKB at every read: a leak
}

func newFakeHost() *fakeHost {
	return &fakeHost{containers: map[string]*fakeContainer{},
		removeErr: map[string]error{}, clock: time.Unix(1_800_000_000, 0)}
}

func hexID(n int) string { return fmt.Sprintf("%064x", n) }

// add runs a container; labels are key=value strings.
func (h *fakeHost) add(name string, cpuPerSec, rssKB uint64, labels ...string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	id := hexID(h.seq)
	l := map[string]string{}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		l[k] = v
	}
	h.containers[id] = &fakeContainer{
		ct: docker.Container{ID: id, Name: name, State: "running", Pid: 1000 + h.seq,
			Created: h.clock.Add(time.Duration(h.seq) * time.Second), Labels: l},
		cpuPerTick: cpuPerSec, rssKB: rssKB,
	}
	return id
}

func vigia(class, kind string) []string {
	return []string{docker.LabelManaged + "=true", docker.LabelClass + "=" + class,
		docker.LabelKind + "=" + kind}
}

func (h *fakeHost) List(ctx context.Context) ([]docker.Container, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return nil, fmt.Errorf("list containers: %w", docker.ErrUnavailable)
	}
	var out []docker.Container
	for _, c := range h.containers {
		out = append(out, c.ct)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (h *fakeHost) RemoveAll(ctx context.Context, ids []string, limit int,
	timeout time.Duration) []error {
	errs := make([]error, len(ids))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = h.remove(id)
		}()
	}
	wg.Wait()
	return errs
}

func (h *fakeHost) remove(id string) error {
	h.mu.Lock()
	h.calls++
	h.inFlight++
	h.maxInFlight = max(h.maxInFlight, h.inFlight)
	delay := h.removeDelay
	h.mu.Unlock()
	time.Sleep(delay)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inFlight--
	if h.down {
		return docker.ErrUnavailable
	}
	if err := h.removeErr[id]; err != nil {
		return err
	}
	c, ok := h.containers[id]
	if ok && !c.ct.Managed() {
		return docker.ErrNotManaged
	}
	delete(h.containers, id)
	h.removed = append(h.removed, id)
	return nil
}

// Update applies the limits as the engine would, refusing what is not vigia's.
func (h *fakeHost) Update(ctx context.Context, id string, l docker.Limits) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.updateErr != nil {
		return h.updateErr
	}
	c, ok := h.containers[id]
	if !ok {
		return docker.ErrGone
	}
	if !c.ct.Managed() {
		return docker.ErrNotManaged
	}
	if l.MemoryBytes > 0 {
		c.ct.Limits.MemoryBytes = l.MemoryBytes
	}
	if l.NanoCPUs > 0 {
		c.ct.Limits.NanoCPUs = l.NanoCPUs
	}
	h.updated = append(h.updated, id)
	return nil
}

func (h *fakeHost) Start(ctx context.Context, s docker.Spec) (docker.Container, error) {
	h.mu.Lock()
	h.calls++
	down := h.down
	h.mu.Unlock()
	if down {
		return docker.Container{}, docker.ErrUnavailable
	}
	var rss, cpu uint64 = 100, 0
	if s.Kind == "ram" {
		rss = 256 << 10
	}
	if s.Kind == "cpu" {
		cpu = 1e9
	}
	id := h.add("vigia-"+s.Kind+"-new", cpu, rss, vigia(s.Class, s.Kind)...)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.containers[id].hidden = h.hideNew
	h.started = append(h.started, s)
	return h.containers[id].ct, nil
}

// Read serves a continfo and a sysinfo snapshot of the running containers,
// one process each, 20 s of uptime after the previous read.
func (h *fakeHost) Read(ctx context.Context) (sensor.Reading, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.readErr != nil {
		return sensor.Reading{Sensor: "userspace"}, h.readErr
	}
	h.clock = h.clock.Add(20 * time.Second)
	uptime := uint64(h.clock.Sub(time.Unix(1_799_990_000, 0)))
	mem := sensor.Memory{TotalKB: 8 << 20, FreeKB: 4 << 20, AvailableKB: 6 << 20,
		UsedKB: 2 << 20, UsedPct: 25}
	base := sensor.Snapshot{SchemaVersion: 1, Kernel: "6.1.0-test", CPUs: 2,
		TimestampNS: uint64(h.clock.UnixNano()), UptimeNS: uptime, Memory: mem}
	cont, sys := base, base
	cont.Kind, sys.Kind = sensor.KindContinfo, sensor.KindSysinfo
	cont.Containers = []sensor.Container{}
	sys.Processes = []sensor.Process{{PID: 1, Name: "init", State: "S", Threads: 1}}
	ids := make([]string, 0, len(h.containers))
	for id := range h.containers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := h.containers[id]
		if c.hidden || !c.ct.Running() {
			continue
		}
		c.cpuNS += c.cpuPerTick * 20
		c.rssKB += c.rssGrowKB
		n := max(c.procs, 1)
		sum := sensor.Container{ID: id, Runtime: sensor.RuntimeDocker, Processes: n}
		for j := range n {
			p := sensor.Process{PID: c.ct.Pid*100 + j, PPID: 1, Name: "work",
				Cmdline: "/work --threads 1", Threads: 1, RssKB: c.rssKB, VszKB: c.rssKB + 1000,
				MemPct: float64(c.rssKB) / float64(mem.TotalKB) * 100, CPUTimeNS: c.cpuNS,
				IOReadBytes: uint64(j) << 12}
			if j == 0 {
				p.PID = c.ct.Pid
			} else {
				p.PPID = c.ct.Pid
			}
			cp := p
			cp.ContainerID, cp.Cgroup = id, "/docker/"+id
			cont.Processes = append(cont.Processes, cp)
			sum.VszKB += p.VszKB
			sum.RssKB += p.RssKB
			sum.MemPct += p.MemPct
			sum.CPUTimeNS += p.CPUTimeNS
			sum.IOReadBytes += p.IOReadBytes
			sp := p
			sp.State = "R"
			sys.Processes = append(sys.Processes, sp)
		}
		cont.Containers = append(cont.Containers, sum)
	}
	return sensor.Reading{Sensor: "userspace", Continfo: &cont, Sysinfo: &sys}, nil
}

// fakeStore keeps the ticks written.
type fakeStore struct {
	mu     sync.Mutex
	ticks  []*store.Tick
	err    error
	pruned int
}

func (s *fakeStore) WriteTick(ctx context.Context, t *store.Tick) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if err := ctx.Err(); err != nil { // as database/sql does
		return 0, err
	}
	s.ticks = append(s.ticks, t)
	return int64(len(s.ticks)), nil
}

func (s *fakeStore) Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruned++
	return 0, nil
}

var errRefused = errors.New("refused by the engine")
