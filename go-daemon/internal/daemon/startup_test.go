package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vigia/internal/config"
	"vigia/internal/sensor"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "vigia.db.lock")
	a, err := AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(path); !errors.Is(err, ErrRunning) {
		t.Fatalf("second lock: %v, want ErrRunning", err)
	} else if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second lock error %q does not name the holder", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := AcquireLock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	b.Release()
}

// writeScript puts an executable bash/load-modules.sh under a new root.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bash"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/usr/bin/env bash\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(root, "bash", "load-modules.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestLoadModules(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seen")
	tests := []struct {
		name    string
		root    string
		wantErr string
	}{
		{"no root", "", "install root unknown"},
		{"no script", t.TempDir(), "no such file"},
		{"fails", writeScript(t, "echo 'building for 6.1.0' >&2\necho 'modprobe: ERROR: could not insert' >&2\nexit 3"),
			"could not insert"},
		{"works", writeScript(t, `echo "$VIGIA_ID $VIGIA_PROC_MODE" >`+out), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Root: tc.root, ID: "t42", ProcMode: 0o440}
			err := LoadModules(context.Background(), cfg, quiet)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(out)
				if strings.TrimSpace(string(got)) != "t42 0440" {
					t.Errorf("script saw %q, want the configured id and mode", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestChooseSensor(t *testing.T) {
	failing := func(context.Context, *config.Config, *slog.Logger) error {
		return errors.New("load kernel modules: no headers for 6.1.0-99")
	}
	loadsButNoFiles := func(context.Context, *config.Config, *slog.Logger) error { return nil }
	tests := []struct {
		name     string
		load     func(context.Context, *config.Config, *slog.Logger) error
		fallback bool
		want     string // sensor name, or "" for an error
	}{
		{"fails, no fallback", failing, false, ""},
		{"fails, fallback", failing, true, "userspace"},
		{"no /proc files, no fallback", loadsButNoFiles, false, ""},
		{"no /proc files, fallback", loadsButNoFiles, true, "userspace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{ID: "vigia_test_absent", SensorFallback: tc.fallback}
			src, name, err := ChooseSensor(context.Background(), cfg, quiet, tc.load)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "VIGIA_SENSOR_FALLBACK=true") {
					t.Fatalf("err = %v, want a plain error that names VIGIA_SENSOR_FALLBACK", err)
				}
				return
			}
			if err != nil || name != tc.want {
				t.Fatalf("ChooseSensor = %q, %v; want %q", name, err, tc.want)
			}
			if _, ok := src.(*sensor.Userspace); !ok {
				t.Fatalf("source is %T, want *sensor.Userspace", src)
			}
		})
	}
}

func TestComposeImages(t *testing.T) {
	resolved := []byte("services:\n  grafana:\n    image: grafana/grafana-oss:11.3.0\n" +
		"    labels:\n      io.vigia.role: grafana\n  other:\n    image: 'busybox:1.36'\n")
	got := composeImages(resolved)
	if len(got) != 2 || got[0] != "grafana/grafana-oss:11.3.0" || got[1] != "busybox:1.36" {
		t.Fatalf("composeImages = %q", got)
	}
}

type noImages struct{}

func (noImages) ImageExists(context.Context, string) (bool, error) { return false, nil }

// TestStartGrafanaWithoutImage runs the real compose file through the real
// docker-compose config, and wants the "image missing" answer, not a pull.
func TestStartGrafanaWithoutImage(t *testing.T) {
	if _, err := composeCommand(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err) // bash/install-deps.sh installs docker-compose
		}
		t.Skip(err)
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	err = StartGrafana(context.Background(), root, "/tmp/vigia-test/vigia.db", "127.0.0.1:39999",
		noImages{}, quiet)
	if err == nil || !strings.Contains(err.Error(), "is not on this host") {
		t.Fatalf("StartGrafana = %v, want the missing image named", err)
	}
	err = StartGrafana(context.Background(), t.TempDir(), "/tmp/x.db", "127.0.0.1:1", noImages{}, quiet)
	if err == nil || !strings.Contains(err.Error(), "docker-compose.yml") {
		t.Fatalf("StartGrafana without a compose file = %v", err)
	}
}

func TestServeDebug(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "example.org:80", "nonsense"} {
		if err := ServeDebug(context.Background(), addr, quiet); err == nil {
			t.Errorf("ServeDebug(%q) accepted a non-loopback address", addr)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := ServeDebug(ctx, addr, quiet); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var vars map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		t.Fatal(err)
	}
	if n, ok := vars["goroutines"].(float64); !ok || n < 1 {
		t.Errorf("goroutines = %v, want a positive number", vars["goroutines"])
	}
}

type allImages struct{ asked []string }

func (a *allImages) ImageExists(_ context.Context, ref string) (bool, error) {
	a.asked = append(a.asked, ref)
	return true, nil
}

// TestStartGrafanaUp runs StartGrafana against a stand-in docker-compose that
// records its arguments and environment: `config`, then `up -d --no-build`,
// with the database directory and address the compose file reads.
func TestStartGrafanaUp(t *testing.T) {
	bin, root := t.TempDir(), t.TempDir()
	record := filepath.Join(t.TempDir(), "calls")
	stub := "#!/bin/sh\n" +
		`echo "$* db_dir=$VIGIA_DB_DIR db_name=$VIGIA_DB_NAME addr=$VIGIA_GRAFANA_ADDR" >>` + record + "\n" +
		`case "$*" in *" config") printf 'services:\n  grafana:\n    image: grafana/grafana-oss:11.3.0\n';; esac` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-compose"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "dashboard"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dashboard", "docker-compose.yml"), []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	images := &allImages{}
	if err := StartGrafana(context.Background(), root, "/data/vigia/x.db", "127.0.0.1:3999",
		images, quiet); err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(record)
	file := filepath.Join(root, "dashboard", "docker-compose.yml")
	want := "-f " + file + " config db_dir=/data/vigia db_name=x.db addr=127.0.0.1:3999\n" +
		"-f " + file + " up -d --no-build db_dir=/data/vigia db_name=x.db addr=127.0.0.1:3999\n"
	if string(calls) != want {
		t.Errorf("compose calls:\n%s\nwant:\n%s", calls, want)
	}
	if len(images.asked) != 1 || images.asked[0] != "grafana/grafana-oss:11.3.0" {
		t.Errorf("images checked: %q", images.asked)
	}
}
