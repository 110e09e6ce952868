package sensor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The VM lane of the kernel modules leaves, per kernel, the modules' two
// documents and the /proc files of every process captured in the same guest
// just before the read (testdata/vm-<series>/{continfo,sysinfo}.json and
// proc/). The guest runs container processes of every runtime and decoys:
// docker.service, ids in the wrong case or length, a host process named like
// an id, libpod-conmon, nested containers, hostile names and command lines.
// The userspace sensor, run on the captured files, must build the documents
// the modules printed.

func vmCaptures(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/vm-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no VM captures: %v", err)
	}
	return dirs
}

// vmReadings returns the modules' documents and the userspace sensor's on
// the same capture, on the modules' clocks.
func vmReadings(t *testing.T, dir string) (kernel, user Reading) {
	t.Helper()
	for kind, dst := range map[Kind]**Snapshot{KindContinfo: &kernel.Continfo,
		KindSysinfo: &kernel.Sysinfo} {
		data, err := os.ReadFile(filepath.Join(dir, string(kind)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if *dst, err = ParseKind(data, kind); err != nil {
			t.Fatal(err)
		}
	}
	s := kernel.Sysinfo
	u := &Userspace{
		ProcRoot: filepath.Join(dir, "proc"),
		Now:      func() time.Time { return time.Unix(0, int64(s.TimestampNS)) },
		Uptime:   func() (time.Duration, error) { return time.Duration(s.UptimeNS), nil },
	}
	user, err := u.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return kernel, user
}

func TestContinfoAgreesWithKernel(t *testing.T) {
	for _, dir := range vmCaptures(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			kernel, user := vmReadings(t, dir)
			k, u := kernel.Continfo, user.Continfo
			if len(k.Processes) == 0 || len(u.Processes) != len(k.Processes) {
				t.Fatalf("userspace found %d container processes, the module %d",
					len(u.Processes), len(k.Processes))
			}
			for i, kp := range k.Processes {
				up := u.Processes[i]
				if up.PID != kp.PID || up.ContainerID != kp.ContainerID || up.Cgroup != kp.Cgroup {
					t.Errorf("process %d: userspace pid %d %s %s, module pid %d %s %s", i,
						up.PID, up.ContainerID, up.Cgroup, kp.PID, kp.ContainerID, kp.Cgroup)
				}
			}
			if len(u.Containers) != len(k.Containers) {
				t.Fatalf("%d containers, module %d", len(u.Containers), len(k.Containers))
			}
			for i, kc := range k.Containers {
				uc := u.Containers[i]
				if uc.ID != kc.ID || uc.Runtime != kc.Runtime || uc.Processes != kc.Processes {
					t.Errorf("container %d: userspace %s %s %d, module %s %s %d", i, uc.ID,
						uc.Runtime, uc.Processes, kc.ID, kc.Runtime, kc.Processes)
				}
			}
		})
	}
}

func TestSysinfoAgreesWithKernel(t *testing.T) {
	for _, dir := range vmCaptures(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			kernel, user := vmReadings(t, dir)
			k, u := kernel.Sysinfo, user.Sysinfo
			if k.Memory.TotalKB != u.Memory.TotalKB || k.CPUs != u.CPUs || k.Kernel != u.Kernel {
				t.Errorf("header: module %d kB %d cpus %q, userspace %d kB %d cpus %q",
					k.Memory.TotalKB, k.CPUs, k.Kernel, u.Memory.TotalKB, u.CPUs, u.Kernel)
			}
			byPID := make(map[int]Process, len(u.Processes))
			for _, p := range u.Processes {
				byPID[p.PID] = p
			}
			both, moved := 0, 0
			for _, kp := range k.Processes {
				up, ok := byPID[kp.PID]
				if !ok {
					continue // started after the capture (the reader itself)
				}
				both++
				if !compareProcess(t, kp, up) {
					moved++
				}
			}
			if both < len(k.Processes)-2 {
				t.Errorf("only %d of the module's %d processes were captured", both,
					len(k.Processes))
			}
			if moved > both/10 {
				t.Errorf("%d of %d processes ran or changed state since the capture", moved,
					both)
			}
		})
	}
}

// compareProcess wants the same figures, except where /proc is coarser or
// older: start and CPU times come in 10 ms ticks there, and the capture was
// taken just before the module's read, so a process may have run or changed
// state meanwhile. It returns false when it did.
func compareProcess(t *testing.T, k, u Process) bool {
	t.Helper()
	same := k.PPID == u.PPID && k.Name == u.Name && k.Cmdline == u.Cmdline &&
		k.CmdlineTruncated == u.CmdlineTruncated && k.UID == u.UID &&
		k.Threads == u.Threads && k.VszKB == u.VszKB && k.RssKB == u.RssKB &&
		k.IOReadBytes == u.IOReadBytes && k.IOWriteBytes == u.IOWriteBytes
	if !same {
		t.Errorf("pid %d differs:\nmodule    %+v\nuserspace %+v", k.PID, k, u)
	}
	const tick = uint64(10 * time.Millisecond)
	if d := absDiff(k.StartTimeNS, u.StartTimeNS); d > tick {
		t.Errorf("pid %d: start %d ns, userspace %d ns", k.PID, k.StartTimeNS, u.StartTimeNS)
	}
	if u.CPUTimeNS > k.CPUTimeNS+2*tick {
		t.Errorf("pid %d: cpu %d ns, userspace %d ns before it", k.PID, k.CPUTimeNS, u.CPUTimeNS)
	}
	return k.State == u.State && k.CPUTimeNS-min(u.CPUTimeNS, k.CPUTimeNS) <= 3*tick
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
