package soak

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

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
		if s.offender != "" {
			s.res.Checks = append(s.res.Checks, offenderActed(s.offender, s.actedOn[s.offender]))
		}
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

func (s *soak) hasCheck(name string) bool {
	for _, c := range s.res.Checks {
		if c.Name == name {
			return true
		}
	}
	return false
}

// someOf lists the first n items and how many more there are.
func someOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
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
