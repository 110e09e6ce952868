package sensor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Userspace builds the documents the kernel modules print from /proc/<pid>,
// for hosts where the modules cannot be loaded.
//
// Limitations: CPU times come from /proc/<pid>/stat in clock ticks (10 ms),
// coarser than the kernel module's nanoseconds; io_read_bytes and
// io_write_bytes are 0 for a process whose /proc/<pid>/io cannot be read
// (it needs the privileges to trace the process).
type Userspace struct {
	// ProcRoot is the proc file system to read, "/proc" on a real host.
	ProcRoot string
	// Now and Uptime give the sample's wall clock and time since boot. Nil:
	// the real clocks (CLOCK_REALTIME and CLOCK_BOOTTIME).
	Now    func() time.Time
	Uptime func() (time.Duration, error)
}

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, which Linux
// fixes at 100 on every architecture it exports it to userspace.
const userHZ = 100

// CmdlineMax is where a command line is cut: VIGIA_CMDLINE_MAX of the kernel
// modules (modulo-kernel/vigia.h).
const CmdlineMax = 4096

// pfKthread is PF_KTHREAD in the flags field of /proc/<pid>/stat.
const pfKthread = 0x00200000

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

// onlineCPUs counts the cpuN lines of /proc/stat: one per online CPU.
func onlineCPUs(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read cpus: %w", err)
	}
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("read cpus: no cpuN line in %s", path)
	}
	return n, nil
}

// readMeminfo fills Memory from MemTotal, MemFree and MemAvailable.
func readMeminfo(path string) (Memory, error) {
	var m Memory
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read meminfo: %w", err)
	}
	fields := map[string]*uint64{
		"MemTotal:": &m.TotalKB, "MemFree:": &m.FreeKB, "MemAvailable:": &m.AvailableKB,
	}
	found := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 2 || fields[string(f[0])] == nil {
			continue
		}
		v, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			return m, fmt.Errorf("read meminfo: %s: %w", f[0], err)
		}
		*fields[string(f[0])] = v
		found++
	}
	if found != len(fields) || m.TotalKB == 0 {
		return m, fmt.Errorf("read meminfo: want MemTotal, MemFree and MemAvailable in %s", path)
	}
	m.UsedKB = m.TotalKB - min(m.AvailableKB, m.TotalKB)
	m.UsedPct = percent(m.UsedKB, m.TotalKB)
	return m, nil
}

// percent is 100*part/whole with two decimals, truncated as the kernel's
// integer arithmetic truncates.
// The product is 128 bits wide: a cpu_time_ns of months times 10000 does
// not fit in 64.
func percent(part, whole uint64) float64 {
	hi, lo := bits.Mul64(part, 10000)
	if whole == 0 {
		return 0
	}
	if hi >= whole { // a quotient past 2^64: never a real percentage
		return float64(part) / float64(whole) * 100
	}
	q, _ := bits.Div64(hi, lo, whole)
	return float64(q) / 100
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
	p.UID = readUID(filepath.Join(dir, "status"))
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

// parseStat reads /proc/<pid>/stat (proc(5)). comm is between the first '('
// and the last ')', as it may hold both.
func parseStat(data []byte) (Process, bool, error) {
	var p Process
	open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
	if open < 0 || end < open {
		return p, false, errors.New("stat: no comm")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return p, false, fmt.Errorf("stat: pid: %w", err)
	}
	p.PID, p.Name = pid, latin1Fallback(data[open+1:end])
	// f[0] is field 3 (state) of proc(5).
	f := bytes.Fields(data[end+1:])
	if len(f) < 22 {
		return p, false, fmt.Errorf("stat: %d fields after comm, want >= 22", len(f))
	}
	num := func(i int) uint64 { v, _ := strconv.ParseUint(string(f[i]), 10, 64); return v }
	p.State = string(f[0])
	p.PPID = int(num(1))
	flags := num(6)
	p.CPUTimeNS = (num(11) + num(12)) * (1e9 / userHZ)
	p.Threads = int(num(17))
	p.StartTimeNS = num(19) * (1e9 / userHZ)
	p.VszKB = num(20) / 1024
	p.RssKB = num(21) * uint64(os.Getpagesize()) / 1024
	return p, flags&pfKthread != 0, nil
}

// readUID returns the real uid of a status file, 0 when unreadable.
func readUID(path string) uint32 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if f := bytes.Fields(line); len(f) >= 2 && string(f[0]) == "Uid:" {
			v, _ := strconv.ParseUint(string(f[1]), 10, 32)
			return uint32(v)
		}
	}
	return 0
}

// readCmdline joins the NUL-separated arguments with single spaces. As the
// kernel modules do, it keeps at most CmdlineMax bytes of the argument area
// (whose final NUL counts) and drops the final NUL only when nothing was cut.
func readCmdline(path string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	truncated := len(data) > CmdlineMax
	if truncated {
		data = data[:CmdlineMax]
	} else if n := len(data); n > 0 && data[n-1] == 0 {
		data = data[:n-1]
	}
	return latin1Fallback(bytes.ReplaceAll(data, []byte{0}, []byte{' '})), truncated
}

// readIO returns read_bytes and write_bytes of an io file, 0 when unreadable.
func readIO(path string) (read, write uint64) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseUint(string(f[1]), 10, 64)
		switch string(f[0]) {
		case "read_bytes:":
			read = v
		case "write_bytes:":
			write = v
		}
	}
	return read, write
}

// latin1Fallback keeps valid UTF-8 and turns every invalid byte b into the
// character U+00b, as the kernel modules' \u00XX escapes decode.
func latin1Fallback(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]rune, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			r = rune(b[0])
		}
		out = append(out, r)
		b = b[size:]
	}
	return string(out)
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
