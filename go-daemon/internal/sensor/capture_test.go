package sensor

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateVM refreshes testdata/vm-<series> from the kernel modules' VM lane
// (build/kernel-vm/<kernel>/run/results, written by modulo-kernel/tests/vm-lane.sh):
//
//	go test ./internal/sensor -run AgreesWithKernel -update-vm
var updateVM = flag.Bool("update-vm", false, "copy the VM lane's captures into testdata")

// captureFiles are the /proc/<pid> files the userspace sensor reads.
var captureFiles = []string{"stat", "status", "cmdline", "io", "cgroup"}

func TestMain(m *testing.M) {
	flag.Parse()
	if *updateVM {
		if err := refreshCaptures(); err != nil {
			fmt.Fprintln(os.Stderr, "update-vm:", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

func refreshCaptures() error {
	runs, err := filepath.Glob("../../../build/kernel-vm/*/run/results")
	if err != nil || len(runs) == 0 {
		return fmt.Errorf("no VM lane results under build/kernel-vm: %v", err)
	}
	for _, src := range runs {
		kernel := filepath.Base(filepath.Dir(filepath.Dir(src)))
		series := strings.Join(strings.SplitN(kernel, ".", 3)[:2], ".")
		if err := copyCapture(src, filepath.Join("testdata", "vm-"+series)); err != nil {
			return fmt.Errorf("%s: %w", kernel, err)
		}
	}
	return nil
}

// copyCapture lays one run out as a proc root the Userspace sensor can read.
func copyCapture(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	files := map[string]string{"continfo.json": "continfo.json", "sysinfo.json": "sysinfo.json",
		"kernel.txt": "proc/sys/kernel/osrelease", "meminfo": "proc/meminfo"}
	for from, to := range files {
		if err := copyFile(filepath.Join(src, from), filepath.Join(dst, to), nil); err != nil {
			return err
		}
	}
	var s Snapshot
	data, err := os.ReadFile(filepath.Join(src, "sysinfo.json"))
	if err != nil || json.Unmarshal(data, &s) != nil {
		return fmt.Errorf("read sysinfo.json: %v", err)
	}
	stat := "cpu  0 0 0 0 0 0 0 0 0 0\n"
	for i := range s.CPUs {
		stat += fmt.Sprintf("cpu%d 0 0 0 0 0 0 0 0 0 0\n", i)
	}
	if err := os.WriteFile(filepath.Join(dst, "proc", "stat"), []byte(stat), 0o644); err != nil {
		return err
	}
	stats, _ := filepath.Glob(filepath.Join(src, "proc-pre", "*.stat"))
	for _, f := range stats {
		pid := strings.TrimSuffix(filepath.Base(f), ".stat")
		for _, name := range captureFiles {
			from := filepath.Join(src, "proc-pre", pid+"."+name)
			if _, err := os.Stat(from); err != nil {
				continue
			}
			var keep func([]byte) []byte
			if name == "status" {
				keep = statusHead
			}
			if err := copyFile(from, filepath.Join(dst, "proc", pid, name), keep); err != nil {
				return err
			}
		}
	}
	return nil
}

// statusHead keeps a status file up to its VmRSS line: the sensor reads no
// further, and the rest would only make the fixtures larger.
func statusHead(data []byte) []byte {
	if i := bytes.Index(data, []byte("\nVmRSS:")); i >= 0 {
		if j := bytes.IndexByte(data[i+1:], '\n'); j >= 0 {
			return data[:i+1+j+1]
		}
	}
	return data
}

func copyFile(from, to string, keep func([]byte) []byte) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if keep != nil {
		data = keep(data)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
