// Package systemd holds vigia's systemd unit; its test checks the unit with
// systemd-analyze verify against a freshly built binary.
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed (bash/install-deps.sh installs systemd)")
		}
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile("vigia.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/vigia run\n", "KillSignal=SIGTERM\n",
		"WantedBy=multi-user.target\n", "After=docker.service", "Environment=VIGIA_ROOT=@VIGIA_ROOT@\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("vigia.service lacks %q", strings.TrimSpace(want))
		}
	}
	// verify wants ExecStart to exist: point it at a binary built now.
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigia")
	build := exec.Command("go", "build", "-o", bin, "../cmd/vigia")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build vigia: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "vigia.service")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/vigia", bin)
	text = strings.ReplaceAll(text, "@VIGIA_ROOT@", root)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Warnings (an unknown key, a bad value) do not change the exit status.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "vigia.service") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
