package sensor

import (
	"fmt"
	"regexp"
	"strings"
)

// The wire types mirror Snapshot with opt fields and pointers, so that a
// missing field can be told from a zero one. Only Parse uses them.
type wireSnapshot struct {
	SchemaVersion opt[int]         `json:"schema_version"`
	Kind          *Kind            `json:"kind"`
	Kernel        *string          `json:"kernel"`
	TimestampNS   opt[uint64]      `json:"timestamp_ns"`
	UptimeNS      opt[uint64]      `json:"uptime_ns"`
	CPUs          opt[int]         `json:"cpus"`
	Memory        *wireMemory      `json:"memory"`
	Processes     *[]wireProcess   `json:"processes"`
	Containers    *[]wireContainer `json:"containers"`
}

type wireMemory struct {
	TotalKB     opt[uint64]  `json:"total_kb"`
	FreeKB      opt[uint64]  `json:"free_kb"`
	AvailableKB opt[uint64]  `json:"available_kb"`
	UsedKB      opt[uint64]  `json:"used_kb"`
	UsedPct     opt[float64] `json:"used_pct"`
}

type wireProcess struct {
	PID              opt[int]     `json:"pid"`
	PPID             opt[int]     `json:"ppid"`
	Name             *string      `json:"name"`
	Cmdline          *string      `json:"cmdline"`
	CmdlineTruncated opt[bool]    `json:"cmdline_truncated"`
	State            *string      `json:"state"`
	ContainerID      *string      `json:"container_id"`
	Cgroup           *string      `json:"cgroup"`
	UID              opt[uint32]  `json:"uid"`
	Threads          opt[int]     `json:"threads"`
	VszKB            opt[uint64]  `json:"vsz_kb"`
	RssKB            opt[uint64]  `json:"rss_kb"`
	MemPct           opt[float64] `json:"mem_pct"`
	CPUPct           opt[float64] `json:"cpu_pct"`
	CPUTimeNS        opt[uint64]  `json:"cpu_time_ns"`
	StartTimeNS      opt[uint64]  `json:"start_time_ns"`
	IOReadBytes      opt[uint64]  `json:"io_read_bytes"`
	IOWriteBytes     opt[uint64]  `json:"io_write_bytes"`
}

type wireContainer struct {
	ID           *string      `json:"id"`
	Runtime      *Runtime     `json:"runtime"`
	Processes    opt[int]     `json:"processes"`
	VszKB        opt[uint64]  `json:"vsz_kb"`
	RssKB        opt[uint64]  `json:"rss_kb"`
	MemPct       opt[float64] `json:"mem_pct"`
	CPUPct       opt[float64] `json:"cpu_pct"`
	CPUTimeNS    opt[uint64]  `json:"cpu_time_ns"`
	IOReadBytes  opt[uint64]  `json:"io_read_bytes"`
	IOWriteBytes opt[uint64]  `json:"io_write_bytes"`
}

var containerIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validStates are the letters of /proc/<pid>/stat the schema allows.
const validStates = "RSDTtXZPI"

// checker keeps the first fault found, with the path of the field at fault.
type checker struct {
	err    error
	prefix string
}

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: %s%s %s", ErrInvalid, c.prefix, field, fmt.Sprintf(format, args...))
	}
}

// get returns o's value, or records that the field is missing.
func get[T uint64 | uint32 | int | float64 | bool](c *checker, o opt[T], field string) T {
	if !o.ok {
		c.fail(field, "is missing (or null)")
	}
	return o.v
}

// need returns *p, or records that the field is missing.
func need[T any](c *checker, p *T, field string) T {
	if p == nil {
		c.fail(field, "is missing (or null)")
		var zero T
		return zero
	}
	return *p
}

// pct returns a percentage, which the schema wants non-negative.
func pct(c *checker, o opt[float64], field string) float64 {
	v := get(c, o, field)
	if v < 0 {
		c.fail(field, "is %v, want >= 0", v)
	}
	return v
}

func (w *wireSnapshot) snapshot() (*Snapshot, error) {
	c := &checker{}
	s := &Snapshot{
		SchemaVersion: get(c, w.SchemaVersion, "schema_version"),
		Kind:          need(c, w.Kind, "kind"),
		Kernel:        need(c, w.Kernel, "kernel"),
		TimestampNS:   get(c, w.TimestampNS, "timestamp_ns"),
		UptimeNS:      get(c, w.UptimeNS, "uptime_ns"),
		CPUs:          get(c, w.CPUs, "cpus"),
	}
	if c.err != nil {
		return nil, c.err
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: %d, want %d", ErrSchemaVersion, s.SchemaVersion, SchemaVersion)
	}
	if s.Kind != KindContinfo && s.Kind != KindSysinfo {
		return nil, fmt.Errorf("%w: kind %q, want %q or %q", ErrInvalid, s.Kind,
			KindContinfo, KindSysinfo)
	}
	if s.CPUs < 1 {
		c.fail("cpus", "is %d, want >= 1", s.CPUs)
	}
	s.Memory = w.memory(c)
	s.Processes = w.processes(c, s.Kind)
	s.Containers = w.containers(c, s.Kind)
	if c.err == nil {
		checkLinks(c, s)
	}
	if c.err != nil {
		return nil, c.err
	}
	return s, nil
}

func (w *wireSnapshot) memory(c *checker) Memory {
	m := need(c, w.Memory, "memory")
	if c.err != nil {
		return Memory{}
	}
	c.prefix = "memory."
	defer func() { c.prefix = "" }()
	return Memory{
		TotalKB:     get(c, m.TotalKB, "total_kb"),
		FreeKB:      get(c, m.FreeKB, "free_kb"),
		AvailableKB: get(c, m.AvailableKB, "available_kb"),
		UsedKB:      get(c, m.UsedKB, "used_kb"),
		UsedPct:     pct(c, m.UsedPct, "used_pct"),
	}
}

func (w *wireSnapshot) processes(c *checker, kind Kind) []Process {
	wps := need(c, w.Processes, "processes")
	if c.err != nil {
		return nil
	}
	ps := make([]Process, len(wps))
	for i := range wps {
		c.prefix = fmt.Sprintf("processes[%d].", i)
		ps[i] = wps[i].process(c, kind)
		if c.err != nil {
			break
		}
	}
	c.prefix = ""
	return ps
}

func (w *wireProcess) process(c *checker, kind Kind) Process {
	p := Process{
		PID:              get(c, w.PID, "pid"),
		PPID:             get(c, w.PPID, "ppid"),
		Name:             need(c, w.Name, "name"),
		Cmdline:          need(c, w.Cmdline, "cmdline"),
		CmdlineTruncated: get(c, w.CmdlineTruncated, "cmdline_truncated"),
		UID:              get(c, w.UID, "uid"),
		Threads:          get(c, w.Threads, "threads"),
		VszKB:            get(c, w.VszKB, "vsz_kb"),
		RssKB:            get(c, w.RssKB, "rss_kb"),
		MemPct:           pct(c, w.MemPct, "mem_pct"),
		CPUPct:           pct(c, w.CPUPct, "cpu_pct"),
		CPUTimeNS:        get(c, w.CPUTimeNS, "cpu_time_ns"),
		StartTimeNS:      get(c, w.StartTimeNS, "start_time_ns"),
		IOReadBytes:      get(c, w.IOReadBytes, "io_read_bytes"),
		IOWriteBytes:     get(c, w.IOWriteBytes, "io_write_bytes"),
	}
	switch {
	case p.PID < 1:
		c.fail("pid", "is %d, want >= 1", p.PID)
	case p.PPID < 0:
		c.fail("ppid", "is %d, want >= 0", p.PPID)
	case p.Threads < 0:
		c.fail("threads", "is %d, want >= 0", p.Threads)
	}
	if kind == KindContinfo {
		p.ContainerID = need(c, w.ContainerID, "container_id")
		p.Cgroup = need(c, w.Cgroup, "cgroup")
	} else {
		p.State = need(c, w.State, "state")
	}
	if w.State != nil {
		p.State = *w.State
		if len(p.State) != 1 || !strings.Contains(validStates, p.State) {
			c.fail("state", "is %q, want one of %s", p.State, validStates)
		}
	}
	if w.ContainerID != nil {
		p.ContainerID = *w.ContainerID
		if !containerIDPattern.MatchString(p.ContainerID) {
			c.fail("container_id", "is %q, want 64 lowercase hex digits", p.ContainerID)
		}
	}
	if w.Cgroup != nil {
		p.Cgroup = *w.Cgroup
	}
	return p
}

func (w *wireSnapshot) containers(c *checker, kind Kind) []Container {
	if c.err != nil {
		return nil
	}
	if kind == KindSysinfo {
		if w.Containers != nil {
			c.fail("containers", "is present, but only continfo has containers")
		}
		return nil
	}
	wcs := need(c, w.Containers, "containers")
	cs := make([]Container, len(wcs))
	for i := range wcs {
		c.prefix = fmt.Sprintf("containers[%d].", i)
		cs[i] = wcs[i].container(c)
		if c.err != nil {
			break
		}
	}
	c.prefix = ""
	return cs
}

func (w *wireContainer) container(c *checker) Container {
	ct := Container{
		ID:           need(c, w.ID, "id"),
		Runtime:      need(c, w.Runtime, "runtime"),
		Processes:    get(c, w.Processes, "processes"),
		VszKB:        get(c, w.VszKB, "vsz_kb"),
		RssKB:        get(c, w.RssKB, "rss_kb"),
		MemPct:       pct(c, w.MemPct, "mem_pct"),
		CPUPct:       pct(c, w.CPUPct, "cpu_pct"),
		CPUTimeNS:    get(c, w.CPUTimeNS, "cpu_time_ns"),
		IOReadBytes:  get(c, w.IOReadBytes, "io_read_bytes"),
		IOWriteBytes: get(c, w.IOWriteBytes, "io_write_bytes"),
	}
	if c.err != nil {
		return ct
	}
	if !containerIDPattern.MatchString(ct.ID) {
		c.fail("id", "is %q, want 64 lowercase hex digits", ct.ID)
	}
	switch ct.Runtime {
	case RuntimeDocker, RuntimeContainerd, RuntimePodman, RuntimeKubernetes:
	default:
		c.fail("runtime", "is %q, want docker, containerd, podman or kubernetes", ct.Runtime)
	}
	if ct.Processes < 1 {
		c.fail("processes", "is %d, want >= 1", ct.Processes)
	}
	return ct
}

// checkLinks refuses duplicate pids or container ids, and a continfo process
// whose container has no entry.
func checkLinks(c *checker, s *Snapshot) {
	pids := make(map[int]struct{}, len(s.Processes))
	for i, p := range s.Processes {
		if _, dup := pids[p.PID]; dup {
			c.fail(fmt.Sprintf("processes[%d].pid", i), "%d appears twice", p.PID)
			return
		}
		pids[p.PID] = struct{}{}
	}
	if s.Kind != KindContinfo {
		return
	}
	ids := make(map[string]struct{}, len(s.Containers))
	for i, ct := range s.Containers {
		if _, dup := ids[ct.ID]; dup {
			c.fail(fmt.Sprintf("containers[%d].id", i), "%s appears twice", ct.ID)
			return
		}
		ids[ct.ID] = struct{}{}
	}
	for i, p := range s.Processes {
		if _, ok := ids[p.ContainerID]; !ok {
			c.fail(fmt.Sprintf("processes[%d].container_id", i),
				"%s has no entry in containers", p.ContainerID)
			return
		}
	}
}
