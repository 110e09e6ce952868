package sensor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Userspace builds the documents the kernel modules print from /proc/<pid>,
// for hosts where the modules cannot be loaded.
//
// RSS is VmRSS of /proc/<pid>/status: since Linux 6.2 the RSS counters are
// per CPU, and /proc/<pid>/stat's RSS leaves out what each CPU still holds
// (up to 32 pages per CPU), while VmRSS adds it up as the kernel modules do.
//
// Limitations: CPU times come from /proc/<pid>/stat in clock ticks (10 ms),
// coarser than the kernel module's nanoseconds; io_read_bytes and
// io_write_bytes are 0 for a process whose /proc/<pid>/io cannot be read (it
// needs the privileges to trace the process).
type Userspace struct {
	// ProcRoot is the proc file system to read, "/proc" on a real host.
	ProcRoot string
	// Now and Uptime give the sample's wall clock and time since boot. Nil:
	// the real clocks (CLOCK_REALTIME and CLOCK_BOOTTIME).
	Now    func() time.Time
	Uptime func() (time.Duration, error)
}

// CmdlineMax is where a command line is cut: VIGIA_CMDLINE_MAX of the kernel
// modules (modulo-kernel/vigia.h).
const CmdlineMax = 4096

// NewUserspace returns a Source reading procRoot with the real clocks.
func NewUserspace(procRoot string) *Userspace {
	return &Userspace{ProcRoot: procRoot}
}

// Read scans procRoot once and returns both documents built from that scan.
func (u *Userspace) Read(ctx context.Context) (Reading, error) {
	head, err := u.header()
	if err != nil {
		return Reading{}, fmt.Errorf("userspace sensor: %w", err)
	}
	entries, err := os.ReadDir(u.ProcRoot)
	if err != nil {
		return Reading{}, fmt.Errorf("userspace sensor: %w", err)
	}
	sys, cont := head, head
	sys.Kind, cont.Kind = KindSysinfo, KindContinfo
	sys.Processes, cont.Processes = []Process{}, []Process{}
	runtimes := make(map[string]Runtime)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return Reading{}, fmt.Errorf("userspace sensor: %w", err)
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid < 1 {
			continue
		}
		p, cgroup, ok := u.process(pid, &head)
		if !ok {
			continue // the process ended during the scan
		}
		sys.Processes = append(sys.Processes, p.Process)
		if p.kthread || cgroup.id == "" {
			continue
		}
		p.ContainerID, p.Cgroup = cgroup.id, cgroup.path
		p.State = ""
		runtimes[cgroup.id] = cgroup.rt
		cont.Processes = append(cont.Processes, p.Process)
	}
	sortByPID(sys.Processes)
	sortByPID(cont.Processes)
	cont.Containers = containerSums(cont.Processes, runtimes, head.Memory)
	return Reading{Sensor: "userspace", Continfo: &cont, Sysinfo: &sys}, nil
}

// header reads what both documents share: clocks, kernel, CPUs and memory.
func (u *Userspace) header() (Snapshot, error) {
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	uptime := bootTime
	if u.Uptime != nil {
		uptime = u.Uptime
	}
	s := Snapshot{SchemaVersion: SchemaVersion, TimestampNS: uint64(now().UnixNano())}
	up, err := uptime()
	if err != nil {
		return s, fmt.Errorf("read uptime: %w", err)
	}
	s.UptimeNS = uint64(up)
	release, err := os.ReadFile(filepath.Join(u.ProcRoot, "sys/kernel/osrelease"))
	if err != nil {
		return s, fmt.Errorf("read kernel release: %w", err)
	}
	s.Kernel = string(bytes.TrimSpace(release))
	if s.CPUs, err = onlineCPUs(filepath.Join(u.ProcRoot, "stat")); err != nil {
		return s, err
	}
	if s.Memory, err = readMeminfo(filepath.Join(u.ProcRoot, "meminfo")); err != nil {
		return s, err
	}
	return s, nil
}

func bootTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}

type procInfo struct {
	Process
	kthread bool
}

type cgroupMatch struct {
	id, path string
	rt       Runtime
}

// process reads one /proc/<pid>. ok is false when it vanished meanwhile.
func (u *Userspace) process(pid int, head *Snapshot) (procInfo, cgroupMatch, bool) {
	dir := filepath.Join(u.ProcRoot, strconv.Itoa(pid))
	var p procInfo
	var cg cgroupMatch
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return p, cg, false
	}
	p.Process, p.kthread, err = parseStat(stat)
	if err != nil || p.PID != pid {
		return p, cg, false
	}
	uid, rss, rssOK := readStatus(filepath.Join(dir, "status"))
	p.UID = uid
	if rssOK {
		p.RssKB = rss
	}
	p.Cmdline, p.CmdlineTruncated = readCmdline(filepath.Join(dir, "cmdline"))
	p.IOReadBytes, p.IOWriteBytes = readIO(filepath.Join(dir, "io"))
	p.MemPct = percent(p.RssKB, head.Memory.TotalKB)
	if head.UptimeNS > p.StartTimeNS {
		p.CPUPct = percent(p.CPUTimeNS, head.UptimeNS-p.StartTimeNS)
	}
	if !p.kthread {
		if data, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
			cg.id, cg.rt, cg.path, _ = DetectCgroupFile(data)
		}
	}
	return p, cg, true
}

func sortByPID(ps []Process) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}

// containerSums adds up the processes of each container, sorted by id.
func containerSums(ps []Process, rts map[string]Runtime, mem Memory) []Container {
	byID := make(map[string]*Container)
	for _, p := range ps {
		c := byID[p.ContainerID]
		if c == nil {
			c = &Container{ID: p.ContainerID, Runtime: rts[p.ContainerID]}
			byID[p.ContainerID] = c
		}
		c.add(p)
	}
	out := make([]Container, 0, len(byID))
	for _, c := range byID {
		c.MemPct = percent(c.RssKB, mem.TotalKB)
		c.CPUPct = round2(c.CPUPct)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
