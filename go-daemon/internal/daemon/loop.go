package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"vigia/internal/docker"
	"vigia/internal/history"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// Engine is the part of the Docker client the loop uses.
type Engine interface {
	List(ctx context.Context) ([]docker.Container, error)
	RemoveAll(ctx context.Context, ids []string, limit int, timeout time.Duration) []error
	Start(ctx context.Context, s docker.Spec) (docker.Container, error)
	Update(ctx context.Context, id string, l docker.Limits) error
}

// Recorder is the part of the store the loop writes to.
type Recorder interface {
	WriteTick(ctx context.Context, t *store.Tick) (int64, error)
	Prune(ctx context.Context, now time.Time, retention time.Duration) (int64, error)
}

const (
	// DefaultRemoveLimit bounds the stop+remove calls in flight.
	DefaultRemoveLimit = 10
	// minOpTimeout is the least time one stop+remove or start gets: the
	// engine's stop timeout (SIGTERM, then SIGKILL after 5 s) and some margin.
	minOpTimeout = 10 * time.Second
	// recordTimeout bounds writing one tick (and pruning) after the tick's
	// own deadline may have passed.
	recordTimeout = 15 * time.Second
	// pendingTicks is how many ticks a started container may stay unseen by
	// the sensor before the policy judges it again.
	pendingTicks = 3
	// maxPruneEvery spaces the retention deletes on a long retention.
	maxPruneEvery = 10 * time.Minute
)

// pending remembers an action taken on a container until the sensor has read
// a fresh sample of it.
type pending struct {
	action policy.Action
	ticks  int // ticks since the action without a sample
}

// Loop is the daemon's tick: read, decide, act, record.
type Loop struct {
	Source      sensor.Source
	SensorName  string // "kernel" or "userspace", recorded when a read fails
	Engine      Engine
	Store       Recorder
	Log         *slog.Logger
	Targets     policy.Targets
	DryRun      bool
	Interval    time.Duration
	Retention   time.Duration
	RemoveLimit int
	Now         func() time.Time
	// Caps, Bounds, Window and PSIDir set the patterns (see the policy
	// package): cap offenders instead of replacing them; the base
	// thresholds (zero: policy.DefaultBounds); samples per window (zero:
	// DefaultWindow); where PSI is read (empty: /proc/pressure).
	Caps   bool
	Bounds policy.Bounds
	Window int
	PSIDir string

	tracker    *sensor.Tracker
	pending    map[string]*pending
	known      map[string]docker.Container // Docker's last answer, by id
	dockerDown bool
	lastPrune  time.Time
	history    *history.Window
	psiWarned  bool
}

func (l *Loop) init() {
	if l.tracker == nil {
		l.tracker = sensor.NewTracker()
		l.pending = map[string]*pending{}
		l.known = map[string]docker.Container{}
		l.initPatterns()
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.RemoveLimit < 1 {
		l.RemoveLimit = DefaultRemoveLimit
	}
	if l.Log == nil {
		l.Log = slog.New(slog.DiscardHandler)
	}
}

// Run ticks at once and then every Interval until ctx is done. A tick in
// progress when ctx ends is finished (it is bounded by its own deadline).
func (l *Loop) Run(ctx context.Context) {
	l.init()
	ticker := time.NewTicker(l.Interval)
	defer ticker.Stop()
	for {
		l.tickDetached(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// tickDetached runs one tick that a shutdown does not cut short: it ends by
// its own deadline, so the record of what was done is always written.
func (l *Loop) tickDetached(ctx context.Context) {
	budget := max(l.Interval, 2*minOpTimeout)
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	l.Tick(tctx)
}

// Tick runs one read-decide-act-record cycle and returns what it recorded.
func (l *Loop) Tick(ctx context.Context) *store.Tick {
	l.init()
	start := l.Now()
	t := &store.Tick{Time: start, Sensor: l.SensorName}
	l.tick(ctx, t)
	t.Duration = l.Now().Sub(start)
	if err := ctx.Err(); err != nil && t.Error == "" {
		t.Error = fmt.Sprintf("tick ran out of time after %s: %v",
			t.Duration.Round(time.Millisecond), err)
	}
	// The record is written even when the tick used up its deadline: a tick
	// that ran out of time is exactly the one an operator needs to see.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	l.record(rctx, t)
	return t
}

func (l *Loop) tick(ctx context.Context, t *store.Tick) {
	reading, err := l.Source.Read(ctx)
	if reading.Sensor != "" {
		t.Sensor = reading.Sensor
	}
	if err != nil {
		l.Log.Warn("sensor read failed; no decision this tick", "err", err)
		t.Error = "read sensor: " + err.Error()
		if _, lerr := l.list(ctx); lerr == nil || len(l.known) > 0 {
			t.LowRunning, t.HighRunning = l.knownRunning()
		}
		return
	}
	usage := l.tracker.Update(reading)
	l.history.Add(t.Time, usage.Containers)
	t.Memory = memorySample(usage.Memory)
	t.Processes = processSamples(usage)
	list, err := l.list(ctx)
	if err != nil {
		// Docker's last answer names the samples and gives the counts.
		t.Containers = containerSamples(usage, l.known)
		t.LowRunning, t.HighRunning = l.knownRunning()
		t.Error = "list containers: " + err.Error()
		return
	}
	t.Containers = containerSamples(usage, l.known)
	l.refreshPending(usage, list)
	in := PolicyInput(usage, list, l.pendingActions(), l.Targets)
	l.withPatterns(&in, usage, t.Time)
	plan := policy.Decide(in)
	l.logPatterns(plan)
	t.LowRunning, t.HighRunning = running(list)
	l.Log.Debug("tick", "containers", len(usage.Containers), "processes", len(usage.Processes),
		"remove", len(plan.Remove), "start", len(plan.Start), "keep", len(plan.Keep),
		"cap", len(plan.Cap))
	l.act(ctx, t, plan)
	l.removeExited(ctx, t, list)
}

// list asks Docker for the containers and remembers them; it logs when
// Docker goes away and when it comes back, once each.
func (l *Loop) list(ctx context.Context) ([]docker.Container, error) {
	list, err := l.Engine.List(ctx)
	if err != nil {
		switch {
		case !errors.Is(err, docker.ErrUnavailable):
			l.Log.Warn("docker refused to list the containers; deciding nothing this tick",
				"err", err)
		case !l.dockerDown:
			l.Log.Warn("docker unreachable; deciding nothing until it answers again", "err", err)
		}
		l.dockerDown = l.dockerDown || errors.Is(err, docker.ErrUnavailable)
		return nil, err
	}
	if l.dockerDown {
		l.Log.Info("docker reachable again")
	}
	l.dockerDown = false
	clear(l.known)
	for _, ct := range list {
		l.known[ct.ID] = ct
	}
	return list, nil
}

// knownRunning counts vigia's running containers in Docker's last answer.
func (l *Loop) knownRunning() (low, high int) {
	list := make([]docker.Container, 0, len(l.known))
	for _, ct := range l.known {
		list = append(list, ct)
	}
	return running(list)
}

// refreshPending forgets the actions on containers the sensor sampled again,
// that Docker no longer lists, or that stayed unseen for pendingTicks ticks.
func (l *Loop) refreshPending(u sensor.Usage, list []docker.Container) {
	sampled := make(map[string]bool, len(u.Containers))
	for _, c := range u.Containers {
		sampled[c.ID] = true
	}
	alive := make(map[string]bool, len(list))
	for _, ct := range list {
		alive[ct.ID] = ct.Running()
	}
	for id, p := range l.pending {
		p.ticks++
		if sampled[id] || !alive[id] || p.ticks > pendingTicks {
			delete(l.pending, id)
		}
	}
}

func (l *Loop) pendingActions() map[string]policy.Action {
	out := make(map[string]policy.Action, len(l.pending))
	for id, p := range l.pending {
		out[id] = p.action
	}
	return out
}

// record writes the tick and, now and then, prunes old rows. A failed write
// is logged; the daemon goes on.
func (l *Loop) record(ctx context.Context, t *store.Tick) {
	if _, err := l.Store.WriteTick(ctx, t); err != nil {
		level := slog.LevelError
		if errors.Is(err, store.ErrLocked) {
			level = slog.LevelWarn
		}
		l.Log.Log(ctx, level, "tick not recorded", "err", err)
		return
	}
	if l.Retention <= 0 || t.Time.Sub(l.lastPrune) < l.pruneEvery() {
		return
	}
	n, err := l.Store.Prune(ctx, t.Time, l.Retention)
	if err != nil {
		l.Log.Warn("prune old rows", "err", err)
		return
	}
	l.lastPrune = t.Time
	if n > 0 {
		l.Log.Info("pruned old rows", "rows", n, "retention", l.Retention.String())
	}
}

// pruneEvery is min(10m, max(Interval, Retention/4)): rarely on a week's
// retention, often enough that a short one bounds the file.
func (l *Loop) pruneEvery() time.Duration {
	return min(maxPruneEvery, max(l.Interval, l.Retention/4))
}

func (l *Loop) opTimeout() time.Duration { return max(l.Interval/2, minOpTimeout) }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
}
