package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigia/internal/soak"
)

func TestSoakCommandLine(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.db")
	if err := soak.WriteResults(context.Background(), results, &soak.Results{
		Meta: map[string]string{"run_id": "soak-cli", "verdict": "pass"}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.html")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown flag", []string{"soak", "--bogus"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"soak", "now"}, 2, `unexpected argument "now"`},
		{"too short to judge", []string{"soak", "--duration", "5s", "--dir", dir}, 1,
			"want at least 10 ticks"},
		{"bad setting", []string{"soak", "--set", "retention=1", "--dir", dir}, 1,
			"want VIGIA_KEY=value"},
		{"report without results", []string{"soak", "report"}, 2, "--results FILE"},
		{"report of a missing file", []string{"soak", "report", "--results",
			filepath.Join(dir, "none.db"), "--out", out}, 1, "none.db"},
		{"report", []string{"soak", "report", "--results", results, "--out", out}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, &stderr, tt.code, tt.stderr)
			}
		})
	}
	page, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(page, []byte("soak-cli")) {
		t.Fatalf("report not written: %v", err)
	}
}

func TestFindRoot(t *testing.T) {
	root := findRoot() // from this package's directory, two levels below the root
	if root == "" || !isRoot(root) {
		t.Fatalf("findRoot() = %q", root)
	}
	if want, _ := filepath.Abs("../../.."); root != want {
		t.Errorf("findRoot() = %q, want %q", root, want)
	}
}
