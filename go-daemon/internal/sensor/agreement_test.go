package sensor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDetectionAgreesWithKernel replays what the kernel module saw in the VM
// lane: testdata/vm-<series>/continfo.json is the module's document, and
// cgroup/<pid>.cgroup the /proc/<pid>/cgroup files captured in the same
// guest (with decoys: docker.service, ids in the wrong case or length, a
// host process named like an id, libpod-conmon, nested containers). The
// userspace rules must find exactly the containers the module found.
func TestDetectionAgreesWithKernel(t *testing.T) {
	dirs, err := filepath.Glob("testdata/vm-*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no VM captures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			agree(t, dir)
		})
	}
}

func agree(t *testing.T, dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "continfo.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseKind(data, KindContinfo)
	if err != nil {
		t.Fatal(err)
	}
	kernel := make(map[int]Process, len(s.Processes))
	for _, p := range s.Processes {
		kernel[p.PID] = p
	}
	runtimes := make(map[string]Runtime, len(s.Containers))
	for _, c := range s.Containers {
		runtimes[c.ID] = c.Runtime
	}
	files, err := filepath.Glob(filepath.Join(dir, "cgroup", "*.cgroup"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cgroup files: %v", err)
	}
	found := 0
	for _, f := range files {
		pid, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), ".cgroup"))
		if err != nil {
			t.Fatal(err)
		}
		cgroup, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		id, rt, path, ok := DetectCgroupFile(cgroup)
		k, inKernel := kernel[pid]
		switch {
		case ok != inKernel:
			t.Errorf("pid %d: userspace says container %v (%s), module says %v\n%s", pid, ok,
				id, inKernel, cgroup)
		case ok && (id != k.ContainerID || rt != runtimes[k.ContainerID] || path != k.Cgroup):
			t.Errorf("pid %d: userspace %s %s %s, module %s %s %s", pid, id, rt, path,
				k.ContainerID, runtimes[k.ContainerID], k.Cgroup)
		case ok:
			found++
		}
	}
	if found != len(kernel) {
		t.Errorf("agreed on %d container processes, the module listed %d", found, len(kernel))
	}
}
