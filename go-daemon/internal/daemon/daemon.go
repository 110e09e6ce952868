// Package daemon is vigia's daemon: the start-up and shutdown order around the
// loop that reads the sensor, asks the policy, acts through Docker and records
// every tick in the store.
//
// Start-up, in order: take the instance lock (one daemon per database) and
// remove a stale cron entry left by a daemon that was killed; open and migrate
// the database; start Grafana with Docker Compose (a missing image is a
// warning); load the kernel modules with bash/load-modules.sh, falling back to
// the userspace sensor only when the configuration allows it; install the cron
// entry; tick until SIGINT or SIGTERM.
//
// Shutdown: the tick in progress finishes (it has its own deadline), the cron
// entry is removed, the lock is released and the database closes last. The
// entry is also removed when start-up fails after installing it and when the
// daemon panics: Run turns a panic into an error after its deferred clean-up
// ran.
//
// Patterns: the loop keeps each container's last VIGIA_WINDOW samples and the
// churn of its own containers (internal/history), reads the host's pressure
// stall information (internal/pressure) and hands both to the policy with the
// host's memory; a cap the policy asks for (VIGIA_CAPS=true) goes through
// docker's Update and is recorded as an action 'cap'.
//
// Limitations: Grafana keeps running after the daemon exits, so the history
// stays viewable; `docker-compose -f dashboard/docker-compose.yml down` stops it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"

	"vigia/internal/config"
	"vigia/internal/cron"
	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// Options are what Run needs besides the configuration.
type Options struct {
	Config *config.Config
	Log    *slog.Logger
	// Source, when set, replaces the sensor choice (kernel modules or the
	// userspace fallback); for tests.
	Source sensor.Source
}

// Run starts the daemon and blocks until ctx is done or start-up fails.
func Run(ctx context.Context, o Options) (err error) {
	cfg, log := o.Config, o.Log.With("component", "daemon")
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	signalled := ctx
	defer func() {
		// SIGINT or SIGTERM during start-up is a stop, not a failure.
		if err != nil && signalled.Err() != nil && errors.Is(err, context.Canceled) {
			log.Info("stopped during start-up", "cause", context.Cause(signalled))
			err = nil
		}
	}()
	lock, err := AcquireLock(LockPath(cfg.DB))
	if err != nil {
		return err
	}
	defer lock.Release() // after the database closed
	ctx, stop := context.WithCancel(ctx)
	defer stop() // ends the debug server, if any
	if err := prepare(ctx, cfg, log); err != nil {
		return err
	}

	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer closeDB(db, log) // runs after the cron entry is removed
	log.Info("database ready", "path", cfg.DB)

	eng, err := docker.New(cfg.Instance)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := eng.Ping(ctx); err != nil {
		log.Warn("docker does not answer yet; the loop retries every tick", "err", err)
	}
	if err := StartGrafana(ctx, cfg.Root, cfg.DB, cfg.GrafanaAddr, eng, log); err != nil {
		log.Warn("going on without grafana", "err", err)
	}

	src, sensorName := o.Source, "test"
	if src == nil {
		if src, sensorName, err = ChooseSensor(ctx, cfg, log, LoadModules); err != nil {
			return err
		}
	}

	if err := installCron(cfg, log); err != nil {
		return err
	}
	defer removeCron(cfg.CronFile, log)

	loop := &Loop{
		Source: src, SensorName: sensorName, Engine: eng, Store: db,
		Log:       o.Log.With("component", "loop"),
		Targets:   policy.Targets{KeepLow: cfg.KeepLow, KeepHigh: cfg.KeepHigh},
		DryRun:    cfg.DryRun,
		Interval:  cfg.Interval,
		Retention: cfg.Retention,
		Caps:      cfg.Caps,
		Window:    cfg.Window,
	}
	log.Info("watching", "interval", cfg.Interval.String(), "keep_low", cfg.KeepLow,
		"keep_high", cfg.KeepHigh, "dry_run", cfg.DryRun, "caps", cfg.Caps,
		"window", cfg.Window, "sensor", sensorName,
		"instance", cfg.Instance)
	loop.Run(ctx)
	log.Info("stopping", "cause", context.Cause(ctx))
	return nil
}

// prepare starts the debug server when configured and removes the cron entry
// a killed daemon left behind (the lock proves no daemon runs).
func prepare(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if cfg.DebugAddr != "" {
		if err := ServeDebug(ctx, cfg.DebugAddr, log); err != nil {
			return err
		}
	}
	removed, err := cron.Remove(cfg.CronFile)
	if err != nil {
		return err
	}
	if removed {
		log.Info("removed a stale cron entry left by a daemon that did not exit cleanly",
			"file", cfg.CronFile)
	}
	return nil
}

func installCron(cfg *config.Config, log *slog.Logger) error {
	tmpl, err := os.ReadFile(filepath.Join(cfg.Root, "bash", "cron", "vigia.cron.in"))
	if err != nil {
		return fmt.Errorf("install cron entry: %w", err)
	}
	content, err := cron.Render(tmpl, cron.Values{
		Schedule: cfg.CronSchedule, Root: cfg.Root, LogDir: cfg.LogDir,
		Batch: strconv.Itoa(cfg.Batch), Config: os.Getenv("VIGIA_CONFIG"),
		Instance: cfg.Instance,
	})
	if err != nil {
		return fmt.Errorf("install cron entry: %w", err)
	}
	if err := cron.Install(cfg.CronFile, content); err != nil {
		return err
	}
	log.Info("cron entry installed", "file", cfg.CronFile, "schedule", cfg.CronSchedule)
	if cron.IgnoredByCron(cfg.CronFile) {
		log.Warn("Debian's cron skips cron.d files whose name has a dot or other characters "+
			"than letters, digits, '-' and '_': the generator will not run from this entry",
			"file", cfg.CronFile)
	}
	return nil
}

func removeCron(path string, log *slog.Logger) {
	removed, err := cron.Remove(path)
	switch {
	case err != nil:
		log.Error("cron entry not removed", "file", path, "err", err)
	case removed:
		log.Info("cron entry removed", "file", path)
	}
}

func closeDB(db *store.DB, log *slog.Logger) {
	if err := db.Close(); err != nil {
		log.Error("close database", "err", err)
		return
	}
	log.Info("database closed")
}

// Cleanup removes the cron entry a killed daemon left behind. It refuses
// while a daemon holds the instance lock: that daemon removes its own entry.
func Cleanup(cfg *config.Config, log *slog.Logger) error {
	// No database directory: no daemon ever ran with this configuration, and
	// none runs now; there is nothing to lock (and nothing to create).
	if _, err := os.Stat(filepath.Dir(cfg.DB)); err == nil {
		lock, err := AcquireLock(LockPath(cfg.DB))
		if err != nil {
			if errors.Is(err, ErrRunning) {
				return fmt.Errorf("cleanup: %w; stop it and it removes its cron entry itself", err)
			}
			return err
		}
		defer lock.Release()
	}
	removed, err := cron.Remove(cfg.CronFile)
	if err != nil {
		return err
	}
	if removed {
		log.Info("removed a stale cron entry", "file", cfg.CronFile)
	} else {
		log.Info("no cron entry to remove", "file", cfg.CronFile)
	}
	return nil
}
