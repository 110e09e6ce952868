package logfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("o", 60)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 29) + "\n") // 30 bytes
	for range 5 {
		if n, err := l.Write(line); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cur, _ := os.ReadFile(path)
	old, _ := os.ReadFile(path + ".1")
	// 61 + 30 = 91 fits; the second line rotates; then 3 lines (90) fit, the
	// fifth rotates again: .1 holds 3 lines, the current file 1.
	if !bytes.Equal(cur, line) || len(old) != 90 {
		t.Errorf("current %d bytes, .1 %d bytes; want 30 and 90", len(cur), len(old))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("%d files in the log dir, want the log and one rotated file", len(entries))
	}
}

func TestAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.log")
	for _, s := range []string{"one\n", "two\n"} {
		l, err := Open(path, DefaultMaxBytes)
		if err != nil {
			t.Fatal(err)
		}
		l.Write([]byte(s))
		l.Close()
	}
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("log = %q, want both runs appended", b)
	}
	if _, err := Open(filepath.Join(path, "sub"), 10); err == nil {
		t.Error("Open under a file succeeded")
	}
}
