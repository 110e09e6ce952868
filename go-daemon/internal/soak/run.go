package soak

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pollEvery is how often the harness looks for a new tick row.
const pollEvery = 200 * time.Millisecond

// standInRoles are the containers the harness starts and expects untouched.
var standInRoles = []string{"grafana", "foreign", "other-instance"}

// soak is the state of one run.
type soak struct {
	o       Options
	id      string
	log     *slog.Logger
	eng     *engine
	dbPath  string
	cron    string
	daemon  *daemonProc
	gen     *generator
	watch   *watcher
	started time.Time
	targets Targets

	expected []StandIn
	res      Results
}

// Run runs one soak and returns its results, also written to
// <Dir>/results.db. An error means the run could not be carried out (see
// ErrCannotRun); failed invariants are in the results, not in the error.
func Run(ctx context.Context, o Options) (*Results, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	now := time.Now()
	id, err := newRunID(now)
	if err != nil {
		return nil, err
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(o.Root, "build", "soak", id)
	}
	s := &soak{o: o, id: id, log: o.Log.With("component", "soak", "run", id),
		dbPath: filepath.Join(o.Dir, "vigia.db"), cron: filepath.Join(o.Dir, "cron.d", "vigia"),
		targets: Targets{KeepLow: o.KeepLow, KeepHigh: o.KeepHigh, Retention: o.Retention,
			RetentionSlack: o.retentionSlack()},
		res: Results{Meta: map[string]string{}}}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	defer s.eng.Close()
	runErr := s.run(ctx)
	s.finish(runErr)
	if err := WriteResults(context.WithoutCancel(ctx), filepath.Join(o.Dir, "results.db"),
		&s.res); err != nil {
		return &s.res, errors.Join(runErr, err)
	}
	return &s.res, runErr
}

// prepare checks the host and writes the run's configuration.
func (s *soak) prepare(ctx context.Context) error {
	eng, err := newEngine(ctx)
	if err != nil {
		return err
	}
	if err := eng.checkImages(ctx); err != nil {
		eng.Close()
		return err
	}
	s.eng = eng
	for _, dir := range []string{s.o.Dir, filepath.Join(s.o.Dir, "log"),
		filepath.Dir(s.cron)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			eng.Close()
			return fmt.Errorf("soak: %w", err)
		}
	}
	conf := filepath.Join(s.o.Dir, "vigia.conf")
	if err := os.WriteFile(conf, []byte(s.o.configFile(s.o.Dir, s.id)), 0o644); err != nil {
		eng.Close()
		return fmt.Errorf("soak: %w", err)
	}
	s.gen = &generator{
		script: filepath.Join(s.o.Root, "bash", "generate.sh"),
		args: []string{"--count", strconv.Itoa(s.o.Batch),
			"--log", filepath.Join(s.o.Dir, "log", "generator.log"),
			"--lock", filepath.Join(s.o.Dir, "generator.lock")},
		env: environ(os.Environ(), "VIGIA_CONFIG="+conf, "VIGIA_INSTANCE="+s.id),
	}
	return nil
}

// run starts everything, watches until the duration is over and stops the
// daemon. The clean-up of containers is in finish.
func (s *soak) run(ctx context.Context) error {
	s.started = time.Now()
	s.meta()
	for _, role := range standInRoles {
		si, err := s.eng.startStandIn(ctx, role, s.id)
		if err != nil {
			return fmt.Errorf("soak: %w", err)
		}
		s.expected = append(s.expected, si)
	}
	debugAddr, err := freeAddr()
	if err != nil {
		return err
	}
	env := environ(os.Environ(), "VIGIA_CONFIG="+filepath.Join(s.o.Dir, "vigia.conf"),
		"VIGIA_ROOT="+s.o.Root, "VIGIA_INSTANCE="+s.id, "VIGIA_DEBUG_ADDR="+debugAddr)
	s.daemon, err = startDaemon(s.o.Bin, env, filepath.Join(s.o.Dir, "daemon.out"), debugAddr)
	if err != nil {
		return err
	}
	s.log.Info("daemon started", "pid", s.daemon.pid(), "dir", s.o.Dir)
	if err := s.waitFirstTick(ctx); err != nil {
		s.stopDaemon()
		return err
	}
	loopErr := s.loop(ctx)
	s.gen.wait()
	s.stopDaemon()
	return loopErr
}

// waitFirstTick waits for the database and its first tick row.
func (s *soak) waitFirstTick(ctx context.Context) error {
	deadline := time.Now().Add(s.o.StartTimeout)
	for {
		if ok, why := s.daemon.alive(); !ok {
			out := filepath.Join(s.o.Dir, "daemon.out")
			return fmt.Errorf("soak: the daemon stopped before its first tick (%s): %s",
				why, tail(out, 3))
		}
		if _, err := os.Stat(s.dbPath); err == nil {
			if s.watch == nil {
				w, err := openWatcher(s.dbPath)
				if err != nil {
					return err
				}
				s.watch = w
			}
			var n int
			err := s.watch.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ticks`).Scan(&n)
			if err == nil && n > 0 {
				return s.checkInstance()
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("soak: no tick within %s: %s", s.o.StartTimeout,
				tail(filepath.Join(s.o.Dir, "daemon.out"), 3))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("soak: interrupted: %w", context.Cause(ctx))
		case <-time.After(pollEvery):
		}
	}
}

// checkInstance makes sure the daemon runs limited to the run's instance
// (its start-up line says instance=<id>): a daemon that is not would treat
// every vigia container of the shared engine as its own.
func (s *soak) checkInstance() error {
	out := filepath.Join(s.o.Dir, "daemon.out")
	data, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if !strings.Contains(string(data), "instance="+s.id) {
		return fmt.Errorf("soak: the daemon's start-up log (%s) does not show instance=%s: "+
			"this vigia does not limit itself to the run's containers; stopped it", out, s.id)
	}
	return nil
}

// loop polls for ticks and starts the generator on schedule until the
// duration is over or ctx ends.
func (s *soak) loop(ctx context.Context) error {
	end := time.NewTimer(s.o.Duration)
	defer end.Stop()
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	s.gen.since = time.Now()
	checked := 0 // generator runs whose containers were checked for the label
	for {
		select {
		case <-ctx.Done():
			s.res.Meta["interrupted"] = context.Cause(ctx).Error()
			return fmt.Errorf("soak: interrupted: %w", context.Cause(ctx))
		case <-end.C:
			return nil
		case <-poll.C:
			if s.gen.due(time.Now(), s.o.GeneratorEvery) {
				s.gen.start(ctx)
			}
			if err := s.observe(ctx); err != nil {
				s.log.Warn("observe", "err", err)
			}
			if ok, why := s.daemon.alive(); !ok {
				return fmt.Errorf("soak: %s", why)
			}
			var err error
			if checked, err = s.checkNewRuns(ctx, checked); err != nil {
				return err
			}
		}
	}
}

// checkNewRuns stops the soak at once when a generator run started
// containers without the run's instance label: the run's daemon cannot see
// them, so they would pile up on the shared engine. They are removed.
func (s *soak) checkNewRuns(ctx context.Context, checked int) (int, error) {
	runs, names := s.gen.snapshot()
	if len(runs) == checked {
		return checked, nil
	}
	c := s.labelCheck(ctx, names)
	if c.Status == Pass {
		return len(runs), nil
	}
	s.res.Checks = append(s.res.Checks, c)
	if _, err := s.eng.cleanup(ctx, s.id, names); err != nil {
		s.log.Warn("remove the unlabelled containers", "err", err)
	}
	return len(runs), fmt.Errorf("soak: stopped early: %s", c.Detail)
}

// observe judges the ticks written since the last poll.
func (s *soak) observe(ctx context.Context) error {
	now := time.Now()
	ticks, oldest, err := s.watch.poll(ctx, now)
	if err != nil || len(ticks) == 0 {
		return err
	}
	v, err := s.look(ctx)
	if err != nil {
		return err
	}
	for _, t := range ticks {
		tv := v
		tv.Obs = s.observation(t, v.Obs, oldest)
		tv.Actions = t.Actions
		tv.CapLimits, err = s.eng.limits(ctx, capped(t.Actions))
		if err != nil {
			return err
		}
		s.res.Observations = append(s.res.Observations, tv.Obs)
		for _, c := range JudgeTick(tv, s.targets) {
			s.res.Checks = append(s.res.Checks, c)
			if c.Status == Fail {
				s.log.Warn("invariant failed", "tick", c.TickID, "check", c.Name,
					"detail", c.Detail)
			}
		}
	}
	return nil
}

func capped(actions []ActionRow) []string {
	var ids []string
	for _, a := range actions {
		if a.Action == "cap" && a.OK {
			ids = append(ids, a.ContainerID)
		}
	}
	return ids
}

// look gathers what does not depend on the tick: Docker, the daemon's
// process, the database file and the cron entry.
func (s *soak) look(ctx context.Context) (TickView, error) {
	v := TickView{Expected: s.expected, Now: map[string]StandIn{}}
	var err error
	if v.Containers, err = s.eng.runContainers(ctx, s.id); err != nil {
		return v, err
	}
	for _, e := range s.expected {
		n, ok, err := s.eng.inspectStandIn(ctx, e.ID)
		if err != nil {
			return v, err
		}
		if ok {
			n.Role = e.Role
			v.Now[e.Role] = n
		}
	}
	v.Obs.Seen = time.Now()
	for _, c := range v.Containers {
		switch {
		case c.State != "running":
			v.Obs.NotRunning++
		case c.Class == "low":
			v.Obs.Low++
		case c.Class == "high":
			v.Obs.High++
		}
	}
	v.DaemonAlive, v.DaemonState = s.daemon.alive()
	if v.DaemonAlive {
		st, err := readProcStats(s.daemon.pid())
		if err != nil {
			return v, err
		}
		v.Obs.RSSKB, v.Obs.Threads, v.Obs.FDs = st.RSSKB, st.Threads, st.FDs
		v.Obs.Goroutines = s.daemon.goroutines(ctx)
	}
	v.Obs.DBBytes = dbBytes(s.dbPath)
	v.CronPresent, v.CronDetail = cronState(s.cron)
	return v, nil
}

// observation completes the tick-independent figures with the tick's own.
func (s *soak) observation(t dbTick, base Observation, oldest time.Duration) Observation {
	o := base
	o.TickID, o.TickTime, o.TickDuration, o.TickError = t.ID, t.Time, t.Duration, t.Error
	o.DaemonLow, o.DaemonHigh, o.Removed, o.Started = t.Low, t.High, t.Removed, t.Started
	o.MemUsedKB, o.MemTotalKB = t.MemUsedKB, t.MemTotalKB
	o.OldestRow = oldest
	for _, a := range t.Actions {
		if a.Action == "cap" && a.OK {
			o.Caps++
		}
	}
	o.Quiet = !s.gen.overlaps(t.Time, o.Seen)
	return o
}

// stopDaemon stops the daemon and records the shutdown checks.
func (s *soak) stopDaemon() {
	if s.daemon == nil {
		return
	}
	err, inTime := s.daemon.stop(s.o.StopTimeout)
	exit := Check{Name: "daemon_exit", Status: Pass, Detail: "exit status 0 after SIGTERM"}
	switch {
	case !inTime:
		exit.Status, exit.Detail = Fail, fmt.Sprintf("still running %s after SIGTERM: killed",
			s.o.StopTimeout)
	case err != nil:
		exit.Status, exit.Detail = Fail, "after SIGTERM: "+err.Error()
	}
	s.res.Checks = append(s.res.Checks, exit)
	c := Check{Name: "cron_removed", Status: Pass, Detail: s.cron + " is gone"}
	if _, err := os.Stat(s.cron); err == nil {
		c.Status, c.Detail = Fail, s.cron+" is still there after the daemon stopped"
	} else if !errors.Is(err, os.ErrNotExist) {
		c.Status, c.Detail = Fail, err.Error()
	}
	s.res.Checks = append(s.res.Checks, c)
	s.log.Info("daemon stopped", "exit", exit.Detail)
}

// finish judges the whole run, removes the run's containers and closes. A
// run that stopped early (runErr) is not judged for leaks and pace: its
// error is the finding.
func (s *soak) finish(runErr error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if s.watch != nil {
		s.watch.Close()
	}
	runs, names := s.gen.snapshot()
	s.res.Generator = runs
	if len(s.expected) > 0 {
		v, err := s.look(ctx)
		final := Check{Name: "standins_final"}
		if err != nil {
			final.Status, final.Detail = Fail, err.Error()
		} else {
			vd := standIns(s.expected, v.Now)
			final.Status, final.Detail = statusOf(vd.OK), vd.Detail
		}
		s.res.Checks = append(s.res.Checks, final)
	}
	if runErr != nil {
		s.res.Checks = append(s.res.Checks, Check{Name: "completed", Status: Fail,
			Detail: runErr.Error()})
	} else {
		s.res.Checks = append(s.res.Checks, JudgeRun(s.res.Observations, runs, s.o)...)
	}
	if !s.hasCheck("generator_labels") {
		s.res.Checks = append(s.res.Checks, s.labelCheck(ctx, names))
	}
	n, err := s.eng.cleanup(ctx, s.id, names)
	c := Check{Name: "cleanup", Status: Pass,
		Detail: fmt.Sprintf("removed the run's %d containers", n)}
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
	}
	s.res.Checks = append(s.res.Checks, c)
	s.res.Meta["ended"] = time.Now().UTC().Format(time.RFC3339)
	s.res.Meta["verdict"] = "pass"
	if len(s.res.Failed()) > 0 || s.res.Meta["interrupted"] != "" {
		s.res.Meta["verdict"] = "fail"
	}
}

// someOf lists the first n items and how many more there are.
func someOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func (s *soak) hasCheck(name string) bool {
	for _, c := range s.res.Checks {
		if c.Name == name {
			return true
		}
	}
	return false
}

// labelCheck fails when a container the generator started does not carry
// the run's instance label.
func (s *soak) labelCheck(ctx context.Context, names []string) Check {
	c := Check{Name: "generator_labels", Status: Pass,
		Detail: fmt.Sprintf("every container the generator started (%d) carried %s=%s",
			len(names), labelInstance, s.id)}
	bad, err := s.eng.unlabelled(ctx, s.id, names)
	switch {
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
	case len(bad) > 0:
		c.Status = Fail
		c.Detail = fmt.Sprintf("%d containers without %s=%s (does bash/generate.sh honour "+
			"VIGIA_INSTANCE?): %s", len(bad), labelInstance, s.id, someOf(bad, 5))
	}
	return c
}

// tail returns the last n lines of a file, joined with " | ", and its name.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ") + " (" + path + ")"
}

func statusOf(ok bool) Status {
	if ok {
		return Pass
	}
	return Fail
}

func (s *soak) meta() {
	host, _ := os.Hostname()
	m := s.res.Meta
	m["run_id"] = s.id
	m["host"] = host
	m["started"] = s.started.UTC().Format(time.RFC3339)
	m["duration"] = s.o.Duration.String()
	m["tick"] = s.o.Tick.String()
	m["generator_every"] = s.o.GeneratorEvery.String()
	m["batch"] = strconv.Itoa(s.o.Batch)
	m["retention"] = s.o.Retention.String()
	m["retention_slack"] = s.targets.RetentionSlack.String()
	m["keep_low"] = strconv.Itoa(s.o.KeepLow)
	m["keep_high"] = strconv.Itoa(s.o.KeepHigh)
	m["dir"] = s.o.Dir
	m["generator_mode"] = "the harness runs bash/generate.sh " + s.o.GeneratorEvery.String() +
		" after the previous run ended, with the environment of the cron entry (cron runs " +
		"a job at most once a minute, and a run of " + strconv.Itoa(s.o.Batch) +
		" containers takes seconds here: a pause after each run leaves quiet ticks to " +
		"judge); the daemon installs its cron entry at " + s.cron +
		", which the host's cron does not read"
	m["stand_ins"] = strings.Join(standInRoles, ", ")
}
