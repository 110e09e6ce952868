package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/store"
)

// act carries out the plan (or, in dry-run, only logs it) and adds the
// actions and the resulting counts to the tick.
func (l *Loop) act(ctx context.Context, t *store.Tick, plan policy.Plan) {
	for _, d := range plan.Skip {
		l.Log.Debug("skip", "container_id", short(d.Container.ID), "name", d.Container.Name,
			"reason", d.Reason)
	}
	for _, d := range plan.Keep {
		l.Log.Debug("keep", "container_id", short(d.Container.ID), "name", d.Container.Name,
			"score", d.Score, "reason", d.Reason)
	}
	if l.DryRun {
		l.dryRun(t, plan)
		l.capAll(ctx, t, plan.Cap)
		return
	}
	removed := l.remove(ctx, t, plan.Remove)
	l.capAll(ctx, t, plan.Cap)
	started := l.start(ctx, t, plan.Start)
	t.Removed, t.Started = len(removed), len(started)
	for _, d := range removed {
		t.LowRunning, t.HighRunning = adjust(t.LowRunning, t.HighRunning, d.Container.Class, -1)
	}
	for _, s := range started {
		t.LowRunning, t.HighRunning = adjust(t.LowRunning, t.HighRunning, s.Class, +1)
	}
}

func adjust(low, high int, class string, by int) (int, int) {
	switch class {
	case policy.ClassLow:
		low += by
	case policy.ClassHigh:
		high += by
	}
	return low, high
}

func (l *Loop) dryRun(t *store.Tick, plan policy.Plan) {
	for _, d := range plan.Remove {
		l.Log.Info("dry run: would remove container", "container_id", short(d.Container.ID),
			"name", d.Container.Name, "class", d.Container.Class, "score", d.Score,
			"reason", d.Reason)
		a := removeAction(d, nil)
		a.DryRun = true
		t.Actions = append(t.Actions, a)
	}
	for _, s := range plan.Start {
		l.Log.Info("dry run: would start container", "class", s.Class, "kind", s.Kind,
			"reason", s.Reason)
		t.Actions = append(t.Actions, store.Action{Action: string(policy.ActionStart),
			Class: s.Class, Kind: s.Kind, Reason: s.Reason, DryRun: true, OK: true})
	}
}

// remove stops and removes the plan's extras concurrently and returns the
// decisions that were carried out.
func (l *Loop) remove(ctx context.Context, t *store.Tick, ds []policy.Decision) []policy.Decision {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.Container.ID
	}
	phase, cancel := context.WithTimeout(ctx, max(l.Interval*3/4, l.opTimeout()))
	defer cancel()
	errs := l.Engine.RemoveAll(phase, ids, l.RemoveLimit, l.opTimeout())
	var done []policy.Decision
	for i, d := range ds {
		t.Actions = append(t.Actions, removeAction(d, errs[i]))
		log := l.Log.With("container_id", short(d.Container.ID), "name", d.Container.Name,
			"class", d.Container.Class, "score", d.Score, "reason", d.Reason)
		if errs[i] != nil {
			log.Error("remove container failed", "err", errs[i])
			continue
		}
		log.Info("removed container")
		l.pending[d.Container.ID] = &pending{action: policy.ActionRemove}
		l.history.Removed(d.Container.ID, t.Time)
		delete(l.known, d.Container.ID)
		done = append(done, d)
	}
	return done
}

func removeAction(d policy.Decision, err error) store.Action {
	c := d.Container
	score, mem := d.Score, c.MemPct
	rss := c.RssKB
	a := store.Action{
		Action: string(policy.ActionRemove), ContainerID: c.ID, Name: c.Name,
		Class: c.Class, Kind: c.Kind, Reason: d.Reason, Score: &score,
		MemPct: &mem, RssKB: &rss, OK: err == nil, Error: errString(err),
	}
	if c.CPUPct != nil {
		cpu := *c.CPUPct
		a.CPUPct = &cpu
	} else if d.Container.Sampled {
		cpu := c.CPULifetimePct // what the score used; the reason says so
		a.CPUPct = &cpu
	}
	if !c.Sampled {
		a.MemPct, a.RssKB = nil, nil
	}
	withFinding(&a, d)
	return a
}

// started is a container a tick started.
type started struct {
	Class string
	ct    docker.Container
}

// start creates the missing containers, a few at a time.
func (l *Loop) start(ctx context.Context, t *store.Tick, starts []policy.Start) []started {
	if len(starts) == 0 {
		return nil
	}
	results := make([]docker.Container, len(starts))
	errs := make([]error, len(starts))
	sem := make(chan struct{}, l.RemoveLimit)
	var wg sync.WaitGroup
	for i, s := range starts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = errors.New("start container: panic")
				}
			}()
			opCtx, cancel := context.WithTimeout(ctx, l.opTimeout())
			defer cancel()
			results[i], errs[i] = l.Engine.Start(opCtx,
				docker.Spec{Class: s.Class, Kind: s.Kind, Now: l.Now()})
		}()
	}
	wg.Wait()
	var done []started
	for i, s := range starts {
		ct := results[i]
		t.Actions = append(t.Actions, store.Action{Action: string(policy.ActionStart),
			ContainerID: ct.ID, Name: ct.Name, Class: s.Class, Kind: s.Kind, Reason: s.Reason,
			OK: errs[i] == nil, Error: errString(errs[i])})
		if errs[i] != nil {
			level := slog.LevelError
			if errors.Is(errs[i], docker.ErrUnavailable) {
				level = slog.LevelWarn
			}
			l.Log.Log(ctx, level, "start container failed", "class", s.Class, "kind", s.Kind,
				"err", errs[i])
			continue
		}
		l.Log.Info("started container", "container_id", short(ct.ID), "name", ct.Name,
			"class", s.Class, "kind", s.Kind, "reason", s.Reason)
		l.pending[ct.ID] = &pending{action: policy.ActionStart}
		l.history.Started(ct.ID, s.Class, t.Time)
		l.known[ct.ID] = ct
		done = append(done, started{Class: s.Class, ct: ct})
	}
	return done
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// removeExited removes vigia's containers that are no longer running (their
// workload crashed or was killed): they hold no resources the policy could
// weigh, but left alone they pile up. "created" is left alone: a docker run
// may be between its create and its start.
func (l *Loop) removeExited(ctx context.Context, t *store.Tick, list []docker.Container) {
	var ids []string
	var gone []docker.Container
	for _, ct := range list {
		if ct.Managed() && (ct.State == "exited" || ct.State == "dead") {
			ids = append(ids, ct.ID)
			gone = append(gone, ct)
		}
	}
	if len(ids) == 0 {
		return
	}
	errs := make([]error, len(ids))
	if !l.DryRun {
		errs = l.Engine.RemoveAll(ctx, ids, l.RemoveLimit, l.opTimeout())
	}
	for i, ct := range gone {
		reason := "no longer running (" + ct.State + "): removed so stopped containers do not pile up"
		t.Actions = append(t.Actions, store.Action{Action: string(policy.ActionRemove),
			ContainerID: ct.ID, Name: ct.Name, Class: ct.Class(), Kind: ct.Kind(),
			Reason: reason, DryRun: l.DryRun, OK: errs[i] == nil, Error: errString(errs[i])})
		if l.DryRun {
			l.Log.Info("dry run: would remove stopped container", "container_id", short(ct.ID),
				"name", ct.Name, "state", ct.State)
			continue
		}
		if errs[i] != nil {
			l.Log.Error("remove stopped container failed", "container_id", short(ct.ID),
				"name", ct.Name, "err", errs[i])
			continue
		}
		delete(l.known, ct.ID)
		l.history.Removed(ct.ID, t.Time)
		t.Removed++
		l.Log.Info("removed stopped container", "container_id", short(ct.ID), "name", ct.Name,
			"state", ct.State)
	}
}
