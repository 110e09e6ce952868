package soak

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadProcStatsOfThisProcess(t *testing.T) {
	s, err := readProcStats(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSKB < 1024 || s.Threads < 1 || s.FDs < 3 {
		t.Errorf("implausible figures for this test process: %+v", s)
	}
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	after, err := readProcStats(os.Getpid())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if after.FDs != s.FDs+1 {
		t.Errorf("opening a file: fds %d -> %d, want one more", s.FDs, after.FDs)
	}
	if _, err := readProcStats(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}

func TestCronState(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		ok         bool
		detail     string
	}{
		{"rendered entry", write("good", "# header\nSHELL=/bin/sh\nVIGIA_BATCH=\"10\"\n"+
			"* * * * * root mkdir -p \"/l\" && \"/r/bash/generate.sh\" --log - 2>>\"/l/g\" >/dev/null\n"),
			true, "entry present"},
		{"only comments and variables", write("vars", "# generate.sh\nX=/r/bash/generate.sh\n"),
			false, "no line that runs bash/generate.sh"},
		{"missing", filepath.Join(dir, "none"), false, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, detail := cronState(tt.path)
			if ok != tt.ok || !strings.Contains(detail, tt.detail) {
				t.Errorf("cronState = %v %q, want %v containing %q", ok, detail, tt.ok, tt.detail)
			}
		})
	}
}

func TestDBBytesCountsWALAndSHM(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "vigia.db")
	for name, n := range map[string]int{"vigia.db": 4096, "vigia.db-wal": 1000, "vigia.db-shm": 32768} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := dbBytes(db); got != 4096+1000+32768 {
		t.Errorf("dbBytes = %d", got)
	}
	if got := dbBytes(filepath.Join(dir, "none.db")); got != 0 {
		t.Errorf("dbBytes of nothing = %d", got)
	}
}
