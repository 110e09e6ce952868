package main

import (
	"context"
	"io"
	"os"
	"time"

	"vigia/internal/config"
	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
	"vigia/internal/ui"
)

// cmdStatus is `vigia status`, and `vigia top` when live.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer, live bool) error {
	name := "status"
	if live {
		name = "top"
	}
	c := newCommand(name, stderr)
	asJSON := c.fs.Bool("json", false, "print JSON instead of a table")
	refresh := c.fs.Duration("refresh", 2*time.Second, "top: time between two redraws")
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	eng, err := docker.New(cfg.Instance)
	if err != nil {
		return err
	}
	defer eng.Close()
	o := &ui.Observer{
		Source:   viewSource(cfg),
		Engine:   eng,
		Gap:      time.Second,
		Targets:  policy.Targets{KeepLow: cfg.KeepLow, KeepHigh: cfg.KeepHigh},
		Caps:     cfg.Caps,
		Window:   cfg.Window,
		Interval: cfg.Interval,
	}
	// Without a database the plan says it judged no stored window.
	db, err := store.Open(ctx, cfg.DB, store.ReadOnly())
	if err == nil {
		defer db.Close()
		o.Past = db
	}
	if live {
		return ui.Top(ctx, stdout, o, max(*refresh, 200*time.Millisecond), *asJSON)
	}
	st, err := o.Observe(ctx)
	if err != nil {
		return err
	}
	if db != nil {
		st.LastTick = lastTick(ctx, db)
	}
	if *asJSON {
		return ui.JSON(stdout, st)
	}
	return ui.WriteStatus(stdout, st)
}

// lastTick reads the daemon's newest tick, or nil when there is none to read.
func lastTick(ctx context.Context, db *store.DB) *ui.LastTick {
	t, err := db.LatestTick(ctx)
	if err != nil {
		return nil
	}
	return &ui.LastTick{Time: t.Time, Removed: t.Removed, Started: t.Started, Error: t.Error}
}

// viewSource reads the modules' files when they are there; else the
// userspace sensor, which only reads (viewing needs no fallback permission).
func viewSource(cfg *config.Config) sensor.Source {
	if _, err := os.Stat(cfg.ContinfoPath()); err == nil {
		return sensor.NewKernel(cfg.ContinfoPath(), cfg.SysinfoPath())
	}
	return sensor.NewUserspace("/proc")
}

// cmdEvents is `vigia events`: the newest actions from the database.
func cmdEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("events", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON instead of a table")
	limit := c.fs.Int("limit", 20, "how many actions, newest first")
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.ReadOnly())
	if err != nil {
		return err
	}
	defer db.Close()
	actions, err := db.RecentActions(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return ui.JSON(stdout, ui.Events(actions))
	}
	return ui.WriteEvents(stdout, actions)
}
