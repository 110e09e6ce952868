package sensor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeUserspace reads testdata/proc with fixed clocks: 100 s after boot.
func fakeUserspace() *Userspace {
	return &Userspace{
		ProcRoot: "testdata/proc",
		Now:      func() time.Time { return time.Unix(1764777600, 0) },
		Uptime:   func() (time.Duration, error) { return 100 * time.Second, nil },
	}
}

func TestUserspaceFakeRoot(t *testing.T) {
	r, err := fakeUserspace().Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Sensor != "userspace" {
		t.Errorf("sensor %q", r.Sensor)
	}
	for _, s := range []*Snapshot{r.Continfo, r.Sysinfo} {
		if again := roundTrip(t, s); again.Kind != s.Kind || len(again.Processes) != len(s.Processes) {
			t.Errorf("%s does not survive Parse", s.Kind)
		}
	}
	sys := r.Sysinfo
	if sys.Kernel != "6.1.0-test-amd64" || sys.CPUs != 2 || sys.UptimeNS != 100e9 ||
		sys.TimestampNS != 1764777600e9 {
		t.Errorf("header: %q %d %d %d", sys.Kernel, sys.CPUs, sys.UptimeNS, sys.TimestampNS)
	}
	wantMem := Memory{TotalKB: 1e6, FreeKB: 2e5, AvailableKB: 6e5, UsedKB: 4e5, UsedPct: 40}
	if sys.Memory != wantMem {
		t.Errorf("memory %+v, want %+v", sys.Memory, wantMem)
	}
	const all = "1 2 3 100 101 200 300 301 400 401 500 501 502 600 601 700 800 801 900 901 902"
	if got := pids(sys.Processes); got != all {
		t.Errorf("sysinfo pids: %s", got)
	}
	if got := pids(r.Continfo.Processes); got != "100 101 200 300 301 400 700 800 801" {
		t.Errorf("continfo pids: %s", got)
	}
}

func pids(ps []Process) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(p.PID))
	}
	return b.String()
}

func TestUserspaceProcessFields(t *testing.T) {
	r, err := fakeUserspace().Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byPID := map[int]Process{}
	for _, p := range r.Sysinfo.Processes {
		byPID[p.PID] = p
	}
	ram := byPID[100]
	want := Process{
		PID: 100, PPID: 90, Name: "ram", Cmdline: "/usr/local/bin/ram --mb 64", State: "R",
		Threads: 1, VszKB: 10240, RssKB: 1024 * uint64(os.Getpagesize()) / 1024,
		MemPct: 0.4, CPUPct: 4.44, CPUTimeNS: 4e9, StartTimeNS: 10e9,
		IOReadBytes: 4096, IOWriteBytes: 8192,
	}
	if os.Getpagesize() != 4096 {
		want.MemPct = percent(want.RssKB, 1e6)
	}
	if ram != want {
		t.Errorf("pid 100:\n got %+v\nwant %+v", ram, want)
	}
	odd := byPID[900]
	if odd.Name != "bad\u00e9name" || !odd.CmdlineTruncated || len(odd.Cmdline) > CmdlineMax+8 ||
		!strings.HasPrefix(odd.Cmdline, "a\u00ff b x") || odd.IOReadBytes != 0 {
		t.Errorf("pid 900: name %q truncated %v len %d io %d", odd.Name, odd.CmdlineTruncated,
			len(odd.Cmdline), odd.IOReadBytes)
	}
	if k := byPID[2]; k.Cmdline != "" || k.Name != "kthreadd" {
		t.Errorf("kthreadd: %+v", k)
	}
}

func TestUserspaceContainers(t *testing.T) {
	r, err := fakeUserspace().Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		rt    Runtime
		procs int
	}{
		strings.Repeat("1a2b3c4d", 8): {RuntimeDocker, 2},
		strings.Repeat("5e6f7a8b", 8): {RuntimeDocker, 1},
		strings.Repeat("9c0d1e2f", 8): {RuntimeKubernetes, 2},
		strings.Repeat("a1b2c3d4", 8): {RuntimePodman, 1},
		strings.Repeat("e5f60718", 8): {RuntimeDocker, 1},
		strings.Repeat("0f1e2d3c", 8): {RuntimeDocker, 1},
		strings.Repeat("4b5a6978", 8): {RuntimeDocker, 1},
	}
	if len(r.Continfo.Containers) != len(want) {
		t.Errorf("%d containers, want %d: %+v", len(r.Continfo.Containers), len(want),
			r.Continfo.Containers)
	}
	for _, c := range r.Continfo.Containers {
		w, ok := want[c.ID]
		if !ok || c.Runtime != w.rt || c.Processes != w.procs {
			t.Errorf("container %s: %s with %d processes; want %+v", c.ID[:8], c.Runtime,
				c.Processes, w)
		}
	}
	d := r.Continfo.Containers[0] // sorted by id: 0f1e... first
	if d.ID != strings.Repeat("0f1e2d3c", 8) {
		t.Errorf("containers not sorted by id: first %s", d.ID)
	}
	for _, p := range r.Continfo.Processes {
		if p.State != "" || p.Cgroup == "" {
			t.Errorf("continfo process %d: state %q cgroup %q", p.PID, p.State, p.Cgroup)
		}
	}
}

// TestUserspaceRealProc reads this host's /proc: the documents must parse,
// and this test's own process must be in sysinfo with its real figures.
func TestUserspaceRealProc(t *testing.T) {
	u := NewUserspace("/proc")
	r, err := u.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshot{r.Continfo, r.Sysinfo} {
		roundTrip(t, s)
	}
	var self *Process
	for i, p := range r.Sysinfo.Processes {
		if p.PID == os.Getpid() {
			self = &r.Sysinfo.Processes[i]
		}
	}
	if self == nil {
		t.Fatalf("pid %d not in sysinfo", os.Getpid())
	}
	if self.PPID != os.Getppid() || self.RssKB == 0 || self.Threads < 1 ||
		!strings.Contains(self.Cmdline, os.Args[0]) {
		t.Errorf("own process: %+v", *self)
	}
	if r.Sysinfo.Memory.TotalKB == 0 || r.Sysinfo.UptimeNS == 0 {
		t.Errorf("header: %+v", r.Sysinfo)
	}
	// Every container process the sensor saw must name its container in its
	// own cgroup file.
	for _, p := range r.Continfo.Processes {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cgroup")
		if err != nil {
			continue // ended since
		}
		if !strings.Contains(string(data), p.ContainerID) {
			t.Errorf("pid %d: container %s not in its cgroup file", p.PID, p.ContainerID)
		}
	}
}

func TestUserspaceErrors(t *testing.T) {
	tests := []struct {
		name string
		u    *Userspace
		msg  string
	}{
		{"missing root", &Userspace{ProcRoot: t.TempDir() + "/none"}, "kernel release"},
		{"uptime", &Userspace{ProcRoot: "testdata/proc",
			Uptime: func() (time.Duration, error) { return 0, os.ErrPermission }}, "read uptime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.u.Read(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to say %q", err, tt.msg)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fakeUserspace().Read(ctx); err == nil {
		t.Error("Read with a cancelled context succeeded")
	}
}

func TestReadCmdline(t *testing.T) {
	long := strings.Repeat("y", CmdlineMax)
	tests := []struct {
		name, raw, want string
		truncated       bool
	}{
		{"empty (kernel thread, zombie)", "", "", false},
		{"arguments", "sh\x00-c\x00echo hi\x00", "sh -c echo hi", false},
		{"empty last argument", "a\x00\x00", "a ", false},
		{"no final NUL (setproctitle)", "nginx: worker", "nginx: worker", false},
		{"exactly the cap with its NUL", long[1:] + "\x00", long[1:], false},
		{"one byte past the cap", long + "\x00", long, true},
		{"far past the cap", long + "zzz\x00", long, true},
		{"invalid UTF-8", "caf\xe9\x00", "caf\u00e9", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cmdline")
			if err := os.WriteFile(path, []byte(tt.raw), 0o600); err != nil {
				t.Fatal(err)
			}
			got, truncated := readCmdline(path)
			if got != tt.want || truncated != tt.truncated {
				t.Errorf("got %q (truncated %v), want %q (%v)", got, truncated, tt.want,
					tt.truncated)
			}
		})
	}
}

// FuzzParseStat feeds arbitrary /proc/<pid>/stat contents: no panic, and an
// accepted line has a pid and a name between the parentheses.
func FuzzParseStat(f *testing.F) {
	for _, pid := range []string{"1", "100", "900"} {
		data, err := os.ReadFile(filepath.Join("testdata", "proc", pid, "stat"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("7 (a) b) R 1 2 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := parseStat(data)
		if err != nil {
			return
		}
		if !strings.Contains(string(data), "("+p.Name+")") && utf8.Valid(data) {
			t.Fatalf("name %q is not between the parentheses of %q", p.Name, data)
		}
	})
}

func TestComm(t *testing.T) {
	tests := []struct {
		shown string
		flags uint64
		want  string
	}{
		{"bash", 0x400000, "bash"},
		{"my-prog+x", 0x400000, "my-prog+x"},
		{"kworker/0:1-events", pfKthread | pfWQWorker, "kworker/0:1"},
		{"kworker/u8:2+ext4-rsv-conversion", pfKthread | pfWQWorker, "kworker/u8:2"},
		{"kworker/1:0H", pfKthread | pfWQWorker, "kworker/1:0H"},
		{"kworker/R-kvfree_rcu_reclaim", pfKthread | pfWQWorker, "kworker/R-kvfre"},
		{"rcu_tasks_trace_kthread", pfKthread, "rcu_tasks_trace"},
		{"kworker/0:1-evil", 0x400000, "kworker/0:1-evi"}, // a user process named like one
	}
	for _, tt := range tests {
		if got := string(comm([]byte(tt.shown), tt.flags)); got != tt.want {
			t.Errorf("comm(%q, %#x) = %q, want %q", tt.shown, tt.flags, got, tt.want)
		}
	}
}
