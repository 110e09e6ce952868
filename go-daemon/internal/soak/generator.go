package soak

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// generatorTimeout bounds one run of bash/generate.sh.
const generatorTimeout = 2 * time.Minute

// exitLocked is generate.sh's status when another run holds its lock.
const exitLocked = 75

// generator runs bash/generate.sh for the harness, one run at a time, and
// remembers when each ran so the checks can tell busy ticks from quiet ones.
//
// TODO: let the host's cron run the generator from the daemon's own entry
// when the pause is a minute or more (a soak of hours at the real pace); not
// yet because that entry must then live in /etc/cron.d, shared with the other
// tests of this host, and cron's start times could not be told apart from
// the harness's to mark busy ticks.
type generator struct {
	script string
	args   []string
	env    []string

	// since is when the schedule began: the first run is due one pause
	// after it.
	since time.Time

	mu      sync.Mutex
	runs    []GeneratorRun
	active  time.Time // start of the run in progress; zero when none
	names   []string  // every container name a run printed
	running sync.WaitGroup
}

// due reports whether the next run should start at now: none is in
// progress and pause has passed since the last one ended (or since the
// schedule began).
func (g *generator) due(now time.Time, pause time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active.IsZero() {
		return false
	}
	last := g.since
	if n := len(g.runs); n > 0 {
		last = g.runs[n-1].End
	}
	return !now.Before(last.Add(pause))
}

// start begins a run in the background unless one is in progress; it
// reports whether it started one.
func (g *generator) start(ctx context.Context) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active.IsZero() {
		return false
	}
	g.active = time.Now()
	g.running.Add(1)
	go func(start time.Time) {
		defer g.running.Done()
		run, names := g.runOnce(ctx, start)
		g.mu.Lock()
		g.runs = append(g.runs, run)
		g.names = append(g.names, names...)
		g.active = time.Time{}
		g.mu.Unlock()
	}(g.active)
	return true
}

func (g *generator) runOnce(ctx context.Context, start time.Time) (GeneratorRun, []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), generatorTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{g.script}, g.args...)...)
	cmd.Env = g.env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := GeneratorRun{Start: start, End: time.Now()}
	var names []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if name := strings.TrimSpace(sc.Text()); name != "" {
			names = append(names, name)
		}
	}
	run.Started = len(names)
	if err != nil {
		run.ExitCode = -1
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			run.ExitCode = exit.ExitCode()
		}
		run.Error = lastLine(stderr.String())
		if run.Error == "" {
			run.Error = err.Error()
		}
	}
	return run, names
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// wait blocks until the run in progress, if any, has finished.
func (g *generator) wait() { g.running.Wait() }

// overlaps reports whether a generator run, finished or in progress,
// overlapped [from, to].
func (g *generator) overlaps(from, to time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active.IsZero() && !g.active.After(to) {
		return true
	}
	return overlapsAny(g.runs, from, to)
}

func overlapsAny(runs []GeneratorRun, from, to time.Time) bool {
	for _, r := range runs {
		if !r.Start.After(to) && !r.End.Before(from) {
			return true
		}
	}
	return false
}

// snapshot returns copies of the runs and names so far.
func (g *generator) snapshot() ([]GeneratorRun, []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GeneratorRun(nil), g.runs...), append([]string(nil), g.names...)
}
