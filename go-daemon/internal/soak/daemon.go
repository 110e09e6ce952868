package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemonProc is the `vigia run` child process of the harness.
type daemonProc struct {
	cmd       *exec.Cmd
	out       *os.File
	debugAddr string
	http      *http.Client
	done      chan struct{} // closed when the process has exited
	waitErr   error         // set before done is closed
}

// startDaemon runs `bin run` with env, its output to logFile.
func startDaemon(bin string, env []string, logFile, debugAddr string) (*daemonProc, error) {
	out, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start daemon: %w", err)
	}
	cmd := exec.Command(bin, "run")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// If the harness dies, the daemon gets SIGTERM and removes its cron entry.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start daemon %s: %w", bin, err)
	}
	d := &daemonProc{cmd: cmd, out: out, debugAddr: debugAddr, done: make(chan struct{}),
		http: &http.Client{Timeout: 2 * time.Second}}
	go func() {
		d.waitErr = cmd.Wait()
		out.Close()
		close(d.done)
	}()
	return d, nil
}

func (d *daemonProc) pid() int { return d.cmd.Process.Pid }

// alive reports whether the process is still running, and why not.
func (d *daemonProc) alive() (bool, string) {
	select {
	case <-d.done:
		return false, fmt.Sprintf("the daemon exited: %v", exitText(d.waitErr))
	default:
		return true, fmt.Sprintf("pid %d", d.pid())
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// stop sends SIGTERM and waits up to timeout; after that it kills. It returns
// the exit error (nil for status 0) and whether the daemon stopped in time.
func (d *daemonProc) stop(timeout time.Duration) (error, bool) {
	select {
	case <-d.done:
		return d.waitErr, true
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil &&
		!errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal the daemon: %w", err), false
	}
	select {
	case <-d.done:
		return d.waitErr, true
	case <-time.After(timeout):
		_ = d.cmd.Process.Kill()
		<-d.done
		return d.waitErr, false
	}
}

// procStats are the daemon's figures read from /proc/<pid>.
type procStats struct {
	RSSKB   int64
	Threads int
	FDs     int
}

func readProcStats(pid int) (procStats, error) {
	var s procStats
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("daemon status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		switch key {
		case "VmRSS":
			s.RSSKB, err = strconv.ParseInt(fields[0], 10, 64)
		case "Threads":
			s.Threads, err = strconv.Atoi(fields[0])
		}
		if err != nil {
			return s, fmt.Errorf("daemon status %s: %w", key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("daemon status: %w", err)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, fmt.Errorf("daemon fds: %w", err)
	}
	s.FDs = len(fds)
	return s, nil
}

// goroutines asks the daemon's debug endpoint (expvar at /debug/vars, the
// "goroutines" var); -1 when it does not answer or has no such var.
func (d *daemonProc) goroutines(ctx context.Context) int64 {
	if d.debugAddr == "" {
		return -1
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+d.debugAddr+"/debug/vars", nil)
	if err != nil {
		return -1
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1
	}
	var vars struct {
		Goroutines *int64 `json:"goroutines"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil || vars.Goroutines == nil {
		return -1
	}
	return *vars.Goroutines
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// dbBytes is the size of the database with its -wal and -shm files.
func dbBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// cronState says whether the cron entry is there and runs the generator.
func cronState(path string) (bool, string) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, path + " does not exist"
		}
		return false, err.Error()
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(strings.Fields(line)[0], "=") {
			continue
		}
		if strings.Contains(line, filepath.Join("bash", "generate.sh")) {
			return true, "entry present: " + line
		}
	}
	return false, path + " has no line that runs bash/generate.sh"
}
