package sensor

// The parsers of the /proc files the userspace sensor reads (proc(5)).

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"unicode/utf8"
)

// Flags of the flags field of /proc/<pid>/stat: PF_KTHREAD and PF_WQ_WORKER.
const (
	pfKthread  = 0x00200000
	pfWQWorker = 0x00000020
)

// commMax is the length of a task's comm, TASK_COMM_LEN less its NUL.
const commMax = 15

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, which Linux
// fixes at 100 on every architecture it exports it to userspace.
const userHZ = 100

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
	// f[0] is field 3 (state) of proc(5).
	f := bytes.Fields(data[end+1:])
	if len(f) < 22 {
		return p, false, fmt.Errorf("stat: %d fields after comm, want >= 22", len(f))
	}
	num := func(i int) uint64 { v, _ := strconv.ParseUint(string(f[i]), 10, 64); return v }
	flags := num(6)
	p.PID, p.Name = pid, latin1Fallback(comm(data[open+1:end], flags))
	p.State = string(f[0])
	p.PPID = int(num(1))
	p.CPUTimeNS = (num(11) + num(12)) * (1e9 / userHZ)
	p.Threads = int(num(17))
	p.StartTimeNS = num(19) * (1e9 / userHZ)
	p.VszKB = num(20) / 1024
	p.RssKB = num(21) * uint64(os.Getpagesize()) / 1024 // VmRSS replaces it when there is one
	return p, flags&pfKthread != 0, nil
}

// comm turns the name /proc/<pid>/stat shows back into the task's comm, the
// name the kernel modules print: /proc adds what a kworker works for
// ("kworker/0:1-events", "+" while busy) and shows a kernel thread's full
// name past comm's 15 bytes ("rcu_tasks_kthread"). A rescuer
// ("kworker/R-mm_percpu_wq" since Linux 6.9) has its "-" in its comm.
func comm(name []byte, flags uint64) []byte {
	const prefix, rescuer = "kworker/", "kworker/R-"
	if flags&pfWQWorker != 0 && bytes.HasPrefix(name, []byte(prefix)) &&
		!bytes.HasPrefix(name, []byte(rescuer)) {
		if i := bytes.IndexAny(name[len(prefix):], "+-"); i >= 0 {
			name = name[:len(prefix)+i]
		}
	}
	if len(name) > commMax {
		name = name[:commMax]
	}
	return name
}

// readStatus returns the real uid and VmRSS of a status file; rssOK is false
// without a VmRSS line (kernel threads, zombies) or when the file cannot be
// read. VmRSS is exact where /proc/<pid>/stat's RSS is not (see Userspace).
func readStatus(path string) (uid uint32, rssKB uint64, rssOK bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch string(f[0]) {
		case "Uid:":
			v, _ := strconv.ParseUint(string(f[1]), 10, 32)
			uid = uint32(v)
		case "VmRSS:":
			rssKB, err = strconv.ParseUint(string(f[1]), 10, 64)
			rssOK = err == nil
		}
	}
	return uid, rssKB, rssOK
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
