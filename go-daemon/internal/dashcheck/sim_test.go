package dashcheck

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"vigia/internal/policy"
	"vigia/internal/store"
)

// The simulated host: 24 GiB of RAM, a daemon ticking every 20 s, the cron
// generator starting 10 random containers every minute, the policy keeping 3
// low and 2 high, Grafana and one foreign container running all along.
const (
	simTick     = 20 * time.Second
	simTotalKB  = 24 << 20
	simKeepLow  = 3
	simKeepHigh = 2
	simBatch    = 10
)

type simContainer struct {
	id, name, class, kind string
	pid                   int
	rssKB                 uint64
	cpu                   float64
	born                  int // tick of the first sample
	procs                 int
	window                []policy.Sample // the daemon's window of its samples
	limitKB               uint64          // memory cap, 0 for none
	cpuCap                float64         // CPU cap in CPUs, 0 for none
	exited                bool            // killed at its memory cap
}

type simProcess struct {
	pid, ppid       int
	name, cmdline   string
	state           string
	threads         int
	rssKB           uint64
	cpu             float64
	first           int
	containerID     string
	kernelThread    bool
	transientZombie bool
}

// sim produces the ticks a real daemon would write for ticks*20 s from start.
type sim struct {
	rng        *rand.Rand
	start      time.Time
	nextPID    int
	containers []*simContainer
	host       []*simProcess
	// forced containers: tick -> RSS of a short-lived ram container that the
	// daemon removes at the tick it first sees it.
	spikes map[int]uint64
	// spikeIDs records the container id of each spike, by tick.
	spikeIDs map[int]string
}

func newSim(start time.Time, seed uint64) *sim {
	s := &sim{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		start:    start,
		nextPID:  1000,
		spikes:   map[int]uint64{},
		spikeIDs: map[int]string{},
	}
	s.hostProcesses()
	s.containers = append(s.containers,
		s.newContainer(0, "vigia-grafana", "grafana", "", 180<<10, 2),
		s.newContainer(0, "redis-cache", "foreign", "", 12<<10, 0.4))
	return s
}

func (s *sim) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.rng.IntN(16)]
	}
	return string(b)
}

func (s *sim) pid() int {
	s.nextPID += 1 + s.rng.IntN(7)
	return s.nextPID
}

func (s *sim) hostProcesses() {
	add := func(name, cmd, state string, threads int, rss uint64, cpu float64, kthread bool) {
		s.host = append(s.host, &simProcess{pid: s.pid(), ppid: 1, name: name, cmdline: cmd,
			state: state, threads: threads, rssKB: rss, cpu: cpu, kernelThread: kthread})
	}
	add("systemd", "/sbin/init", "S", 1, 12<<10, 0.1, false)
	add("dockerd", "/usr/bin/dockerd -H fd://", "S", 24, 96<<10, 1.5, false)
	add("containerd", "/usr/bin/containerd", "S", 16, 48<<10, 0.8, false)
	add("sshd", "sshd: /usr/sbin/sshd -D", "S", 1, 8<<10, 0, false)
	add("cron", "/usr/sbin/cron -f", "S", 1, 3<<10, 0, false)
	add("vigia", "/usr/local/bin/vigia run", "S", 9, 42<<10, 1.2, false)
	add("journald", "/lib/systemd/systemd-journald", "S", 1, 30<<10, 0.2, false)
	for i := 0; i < 24; i++ {
		add(fmt.Sprintf("kworker/%d:%d", i%2, i), "", "I", 1, 0, 0, true)
	}
	for i := 0; i < 12; i++ {
		add("bash", "-bash", "S", 1, 5<<10, 0, false)
	}
}

func (s *sim) newContainer(tick int, name, class, kind string, rss uint64, cpu float64) *simContainer {
	return &simContainer{id: s.hex(64), name: name, class: class, kind: kind, pid: s.pid(),
		rssKB: rss, cpu: cpu, born: tick, procs: 1}
}

func (s *sim) generate(tick int, at time.Time) {
	kinds := []string{"ram", "cpu", "low"}
	for i := 0; i < simBatch; i++ {
		kind := kinds[s.rng.IntN(len(kinds))]
		name := fmt.Sprintf("vigia-%s-%s-%s", kind, at.UTC().Format("20060102150405"), s.hex(6))
		c := s.newContainer(tick, name, classOf(kind), kind, 0, 0)
		c.procs = 1 + s.rng.IntN(2)
		s.containers = append(s.containers, c)
	}
}

func classOf(kind string) string {
	if kind == "low" {
		return "low"
	}
	return "high"
}

// grow moves each container's figures one tick on, the way the workloads do.
func (s *sim) grow(c *simContainer) {
	switch c.kind {
	case "ram":
		if c.rssKB < 1<<20 { // the RAM workload grows towards 1 GiB
			c.rssKB += uint64(64+s.rng.IntN(192)) << 10
		}
		c.cpu = 20 + s.rng.Float64()*30
	case "cpu":
		c.rssKB = uint64(900 + s.rng.IntN(400))
		c.cpu = 85 + s.rng.Float64()*15
	case "low":
		c.rssKB = uint64(400 + s.rng.IntN(200))
		c.cpu = s.rng.Float64() * 0.8
	default:
		c.rssKB += uint64(s.rng.IntN(1024))
		c.cpu = c.cpu*0.8 + s.rng.Float64()
	}
}

func ptr[T any](v T) *T { return &v }

// tick builds the tick record at index i and applies the daemon's decisions.
func (s *sim) tick(i int) *store.Tick {
	at := s.start.Add(time.Duration(i) * simTick)
	if i%3 == 0 {
		s.generate(i, at)
	}
	if rss, ok := s.spikes[i]; ok {
		name := fmt.Sprintf("vigia-ram-%s-%s", at.UTC().Format("20060102150405"), s.hex(6))
		c := s.newContainer(i, name, "high", "ram", rss, 35)
		s.spikeIDs[i] = c.id
		s.containers = append(s.containers, c)
	}
	t := &store.Tick{Time: at, Sensor: "kernel"}
	var rssSum uint64
	for _, c := range s.containers {
		s.grow(c)
		if _, spike := s.spikes[i]; spike && c.id == s.spikeIDs[i] {
			c.rssKB = s.spikes[i]
		}
		if c.exited = c.capped(); c.exited {
			continue // gone before the sensor read: no sample
		}
		rssSum += c.rssKB
		cs := store.ContainerSample{Time: at, ContainerID: c.id, Name: c.name, Class: c.class,
			Kind: c.kind, PID: c.pid, Processes: c.procs, VszKB: c.rssKB*3 + 2048, RssKB: c.rssKB,
			MemPct: pct(c.rssKB, simTotalKB), IOReadBytes: uint64(i) * 4096,
			IOWriteBytes: uint64(s.rng.IntN(1 << 20))}
		if c.born != i {
			cs.CPUPct = ptr(round2(c.cpu))
		}
		c.observe(at, cs.CPUPct)
		t.Containers = append(t.Containers, cs)
	}
	t.Processes = s.processes(i, at)
	used := uint64(3<<20) + rssSum + uint64(s.rng.IntN(256<<10))
	avail := uint64(simTotalKB) - used
	t.Memory = &store.MemorySample{TotalKB: simTotalKB, UsedKB: used, AvailableKB: avail,
		FreeKB: avail - uint64(5<<20) - uint64(s.rng.IntN(512<<10)), UsedPct: pct(used, simTotalKB)}
	s.decide(t, at)
	t.Duration = time.Duration(120+s.rng.IntN(400)) * time.Millisecond
	if i == 250 { // one failed read inside the checked range
		t.Error = "read /proc/sysinfo_so1_vigia: unexpected end of JSON input"
	}
	return t
}

func (s *sim) processes(i int, at time.Time) []store.ProcessSample {
	var out []store.ProcessSample
	emit := func(p *simProcess) {
		ps := store.ProcessSample{PID: p.pid, PPID: p.ppid, Name: p.name, Cmdline: p.cmdline,
			State: p.state, ContainerID: p.containerID, Threads: p.threads, VszKB: p.rssKB * 4,
			RssKB: p.rssKB, MemPct: pct(p.rssKB, simTotalKB)}
		if p.first != i {
			ps.CPUPct = ptr(round2(p.cpu))
		}
		out = append(out, ps)
	}
	for _, p := range s.host {
		if !p.kernelThread {
			p.state = []string{"S", "S", "S", "S", "R", "D"}[s.rng.IntN(6)]
		}
		emit(p)
	}
	if i%7 == 0 { // a short-lived zombie now and then
		emit(&simProcess{pid: s.pid(), ppid: s.host[11].pid, name: "sh", state: "Z", first: i})
	}
	for _, c := range s.containers {
		main := &simProcess{pid: c.pid, ppid: s.host[2].pid, name: c.kind + "-stress",
			cmdline: "/" + c.kind + "-stress", state: "R", threads: 1, rssKB: c.rssKB,
			cpu: c.cpu, first: c.born, containerID: c.id}
		if c.kind == "low" || c.kind == "" {
			main.state, main.name = "S", "server"
		}
		emit(main)
		if c.procs > 1 {
			emit(&simProcess{pid: c.pid + 1, ppid: c.pid, name: "sleep", cmdline: "sleep 3600",
				state: "S", threads: 1, rssKB: 300, first: c.born, containerID: c.id})
		}
	}
	return out
}

// decide removes the stopped containers and the heaviest extras of each
// class, and caps the kept ones that offend, like the daemon.
func (s *sim) decide(t *store.Tick, at time.Time) {
	th := thresholds(t.Memory)
	byClass := map[string][]*simContainer{}
	removed := map[*simContainer]bool{}
	var exited []*simContainer
	for _, c := range s.containers {
		if c.exited {
			exited, removed[c] = append(exited, c), true
			continue
		}
		byClass[c.class] = append(byClass[c.class], c)
	}
	removeExited(t, exited)
	for class, keep := range map[string]int{"low": simKeepLow, "high": simKeepHigh} {
		cs := byClass[class]
		sort.Slice(cs, func(a, b int) bool { return score(cs[a]) > score(cs[b]) })
		for len(cs) > keep {
			c := cs[0]
			cs = cs[1:]
			removed[c] = true
			a := store.Action{Action: "remove", ContainerID: c.id,
				Name: c.name, Class: c.class, Kind: c.kind, OK: true,
				Reason: fmt.Sprintf("%d %s containers run, %d wanted: the heaviest goes first",
					len(cs)+1, class, keep),
				Score: ptr(round2(score(c))), CPUPct: ptr(round2(c.cpu)), RssKB: ptr(c.rssKB),
				MemPct: ptr(pct(c.rssKB, simTotalKB))}
			withFinding(&a, c, th)
			t.Actions = append(t.Actions, a)
		}
		s.capOffenders(t, cs, th)
		if class == "low" {
			t.LowRunning = len(cs)
		} else {
			t.HighRunning = len(cs)
		}
	}
	kept := s.containers[:0]
	for _, c := range s.containers {
		if !removed[c] {
			kept = append(kept, c)
		}
	}
	s.containers = kept
	t.Removed = len(removed)
}

func score(c *simContainer) float64 { return c.cpu + pct(c.rssKB, simTotalKB)*2 }

func pct(part, whole uint64) float64 { return round2(float64(part) * 100 / float64(whole)) }

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
