//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	_ "modernc.org/sqlite"
)

// env is one test run: its instance, temp files, Docker client and proxy.
type env struct {
	t        *testing.T
	instance string
	dir      string
	bin      string
	root     string
	db       string
	cron     string
	docker   *client.Client
	proxy    *dockerProxy
}

func newEnv(t *testing.T) *env {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	e := &env{t: t, instance: "itest-" + hex.EncodeToString(b[:]), dir: t.TempDir()}
	var err error
	if e.root, err = filepath.Abs("../.."); err != nil {
		t.Fatal(err)
	}
	e.docker, err = client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.docker.Ping(ctx); err != nil {
		t.Fatalf("the Docker engine does not answer: %v", err)
	}
	for _, kind := range []string{"low", "ram", "cpu"} {
		if _, err := e.docker.ImageInspect(ctx, "vigia/"+kind+":latest"); err != nil {
			t.Fatalf("image vigia/%s:latest missing (run make images): %v", kind, err)
		}
	}
	e.bin = filepath.Join(e.dir, "vigia")
	build := exec.Command("go", "build", "-o", e.bin, "../cmd/vigia")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build vigia: %v\n%s", err, out)
	}
	e.db = filepath.Join(e.dir, "db", "vigia.db")
	if err := os.MkdirAll(filepath.Join(e.dir, "cron.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.cron = filepath.Join(e.dir, "cron.d", "vigia")
	upstream := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	if upstream == "" {
		upstream = "/var/run/docker.sock"
	}
	e.proxy = newDockerProxy(t, filepath.Join(e.dir, "docker.sock"), upstream)
	t.Cleanup(e.removeContainers)
	return e
}

// environ is the daemon's environment: everything in the temp dir, a short
// interval, the userspace sensor allowed, Docker through the proxy.
func (e *env) environ() []string {
	conf := filepath.Join(e.dir, "vigia.conf")
	if err := os.WriteFile(conf, []byte("# integration test\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIA_") && !strings.HasPrefix(kv, "DOCKER_HOST=") {
			out = append(out, kv)
		}
	}
	return append(out,
		"VIGIA_CONFIG="+conf,
		"VIGIA_ROOT="+e.root,
		"VIGIA_ID=it_"+strings.TrimPrefix(e.instance, "itest-"),
		"VIGIA_DB="+e.db,
		"VIGIA_LOG_DIR="+filepath.Join(e.dir, "log"),
		"VIGIA_CRON_FILE="+e.cron,
		"VIGIA_INTERVAL=2s",
		"VIGIA_SENSOR_FALLBACK=true",
		"VIGIA_GRAFANA_ADDR=127.0.0.1:39300",
		"VIGIA_INSTANCE="+e.instance,
		"DOCKER_HOST=unix://"+e.proxy.path,
	)
}

// run runs a vigia command to its end and returns its output.
func (e *env) run(args ...string) (stdout, stderr string, err error) {
	return e.runEnv(nil, args...)
}

// runEnv is run with extra environment variables, which win.
func (e *env) runEnv(extra []string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(e.environ(), extra...)
	var o, s bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &s
	err = cmd.Run()
	return o.String(), s.String(), err
}

// syncBuffer is a log the daemon writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is one `vigia run` process.
type daemon struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	err  error
}

func (e *env) start() *daemon { return e.startEnv() }

// startEnv starts `vigia run` with extra environment variables, which win.
func (e *env) startEnv(extra ...string) *daemon {
	e.t.Helper()
	d := &daemon{cmd: exec.Command(e.bin, "run"), log: &syncBuffer{}, done: make(chan struct{})}
	d.cmd.Env = append(e.environ(), extra...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		e.t.Fatalf("start vigia run: %v", err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	e.t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			d.cmd.Process.Kill()
			<-d.done
		}
		if e.t.Failed() || testing.Verbose() {
			e.t.Logf("daemon log (pid %d):\n%s", d.cmd.Process.Pid, d.log.String())
		}
	})
	return d
}

func (d *daemon) alive() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// usage reads the process's CPU time (user+sys) and peak resident memory
// from /proc.
func (d *daemon) usage(t *testing.T) (cpu time.Duration, hwmKB int) {
	t.Helper()
	pid := d.cmd.Process.Pid
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read stat: %v", err)
	}
	// Fields after the command name: state is field 3, utime 14, stime 15.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	var utime, stime int64
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &hwmKB)
		}
	}
	const clkTck = 100 // USER_HZ on Linux x86-64
	return time.Duration(utime+stime) * time.Second / clkTck, hwmKB
}

// stop sends sig and waits for the exit.
func (d *daemon) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-d.done:
		return d.err
	case <-time.After(40 * time.Second):
		t.Fatalf("vigia run did not exit within 40 s of %v", sig)
	}
	return nil
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// query runs one SELECT that returns one integer on the daemon's database.
func (e *env) query(q string) int {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		return -1 // not created yet
	}
	return n
}

// create runs a container with labels (plus io.vigia.test=<instance>).
func (e *env) create(name, image string, labels map[string]string) string {
	e.t.Helper()
	ctx := context.Background()
	l := map[string]string{"io.vigia.test": e.instance}
	for k, v := range labels {
		l[k] = v
	}
	r, err := e.docker.ContainerCreate(ctx, &container.Config{Image: image, Labels: l},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	if err := e.docker.ContainerStart(ctx, r.ID, container.StartOptions{}); err != nil {
		e.t.Fatalf("start %s: %v", name, err)
	}
	return r.ID
}

// vigiaContainer runs a container as the generator would, in the test instance.
func (e *env) vigiaContainer(class, kind string, n int) string {
	name := fmt.Sprintf("vigia-%s-%s-%s%02d", kind, time.Now().UTC().Format("20060102150405"),
		strings.TrimPrefix(e.instance, "itest-")[:4], n)
	return e.create(name, "vigia/"+kind+":latest", map[string]string{
		"io.vigia.managed": "true", "io.vigia.class": class, "io.vigia.kind": kind,
		"io.vigia.instance": e.instance})
}

// ours lists the test's containers by label.
func (e *env) ours(label string) []container.Summary {
	e.t.Helper()
	list, err := e.docker.ContainerList(context.Background(), container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", label+"="+e.instance))})
	if err != nil {
		e.t.Fatalf("list containers: %v", err)
	}
	return list
}

// census counts the running containers of the daemon's instance per class.
func (e *env) census() (low, high int) {
	for _, c := range e.ours("io.vigia.instance") {
		if c.State != "running" || c.Labels["io.vigia.role"] == "grafana" {
			continue
		}
		switch c.Labels["io.vigia.class"] {
		case "low":
			low++
		case "high":
			high++
		}
	}
	return low, high
}

// removeContainers removes every container of this test, and only those.
func (e *env) removeContainers() {
	seen := map[string]bool{}
	for _, label := range []string{"io.vigia.instance", "io.vigia.test"} {
		for _, c := range e.ours(label) {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			_ = e.docker.ContainerRemove(context.Background(), c.ID,
				container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
}
