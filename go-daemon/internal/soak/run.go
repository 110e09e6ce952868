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
	offender string              // the offender's container id, "" when none
	actedOn  map[string][]string // successful actions per container id
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
		actedOn: map[string][]string{}, res: Results{Meta: map[string]string{}}}
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
	if s.o.Offender {
		id, err := s.eng.startOffender(ctx, s.id)
		if err != nil {
			return fmt.Errorf("soak: %w", err)
		}
		s.offender = id
		s.res.Meta["offender"] = id
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
			if s.gen.due(time.Now(), s.o.GeneratorEvery) && !s.holdGenerator() {
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

// offenderHold is how long the generator waits for the daemon to act on
// the offender at most.
const offenderHold = time.Minute

// holdGenerator keeps the generator back until the daemon acted on the
// offender: with extras around, the daemon removes the heaviest low first,
// and the offender would go as an extra before its pattern could be judged
// (and capped, with VIGIA_CAPS=true).
func (s *soak) holdGenerator() bool {
	if s.offender == "" || len(s.actedOn[s.offender]) > 0 {
		return false
	}
	return time.Since(s.gen.since) < offenderHold
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
