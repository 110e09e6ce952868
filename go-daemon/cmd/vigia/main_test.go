package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitError(t *testing.T) {
	var stderr bytes.Buffer
	code := finish("soak", &exitError{code: 77, err: errors.New("no docker here")}, &stderr)
	if code != 77 || !strings.Contains(stderr.String(), "no docker here") {
		t.Fatalf("exit %d, stderr %q; want 77 and the reason", code, &stderr)
	}
}

func TestSnapshotCheck(t *testing.T) {
	good := "../../internal/sensor/testdata/continfo-valid.json"
	sys := "../../internal/sensor/testdata/sysinfo-valid.json"
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.json")
	unknown := filepath.Join(dir, "unknown.json")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	extra := strings.Replace(string(data), `"schema_version"`, `"colour": "red", "schema_version"`, 1)
	if err := os.WriteFile(unknown, []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		wantOut []string
		wantErr []string
	}{
		{"valid", []string{"snapshot", "check", good, sys}, 0,
			[]string{good + ": ok: continfo", sys + ": ok: sysinfo"}, nil},
		{"truncated", []string{"snapshot", "check", good, truncated}, 1,
			[]string{good + ": ok"}, []string{truncated + ": ", "truncated", "1 of 2"}},
		{"unknown field", []string{"snapshot", "check", unknown}, 1, nil,
			[]string{unknown + ": ", "colour"}},
		{"missing", []string{"snapshot", "check", filepath.Join(dir, "absent.json")}, 1, nil,
			[]string{"absent.json", "no such file"}},
		{"no files", []string{"snapshot", "check"}, 2, nil, []string{"FILE..."}},
		{"unknown command", []string{"frobnicate"}, 2, nil, []string{"unknown command"}},
		{"version", []string{"version"}, 0, []string{"vigia "}, nil},
		{"run help", []string{"run", "--help"}, 0, nil,
			[]string{"Usage: vigia run", "--policy.keep-low", "VIGIA_KEEP_LOW", "SIGTERM"}},
		{"bad flag", []string{"status", "--no-such-flag"}, 2, nil, []string{"no-such-flag"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, &stdout)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
		})
	}
}
