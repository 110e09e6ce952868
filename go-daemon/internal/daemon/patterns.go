package daemon

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"vigia/internal/docker"
	"vigia/internal/history"
	"vigia/internal/policy"
	"vigia/internal/pressure"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

const (
	// DefaultWindow is how many samples the patterns are judged over.
	DefaultWindow = 6
	// churnWindows is the churn span in windows: vigia starting and
	// removing FlapChurn containers of a class within it is flapping.
	churnWindows = 3
)

// initPatterns sets up the window the first time the loop ticks.
func (l *Loop) initPatterns() {
	if l.Window < 1 {
		l.Window = DefaultWindow
	}
	if l.PSIDir == "" {
		l.PSIDir = pressure.Dir
	}
	span := time.Duration(l.Window*churnWindows) * max(l.Interval, time.Second)
	l.history = history.New(l.Window, span)
}

// withPatterns adds to the policy's input what it judges patterns by: each
// container's window, the host's size and pressure, the churn per class and
// whether caps are on.
func (l *Loop) withPatterns(in *policy.Input, u sensor.Usage, now time.Time) {
	for i := range in.Containers {
		in.Containers[i].History = l.history.Samples(in.Containers[i].ID)
	}
	in.Host = policy.Host{MemTotalKB: u.Memory.TotalKB, MemUsedPct: u.Memory.UsedPct}
	psi, err := pressure.Read(l.PSIDir)
	switch {
	case err != nil && !l.psiWarned:
		l.Log.Warn("pressure stall information unreadable; thresholds use memory only "+
			"where it fails", "err", err)
		l.psiWarned = true
	case err == nil:
		l.psiWarned = false
	}
	in.Host.PSICPU, in.Host.PSIMemory = psi.CPU, psi.Memory
	in.Bounds, in.Caps = l.Bounds, l.Caps
	in.Churn = l.history.Churn(now)
}

// logPatterns tells the thresholds in force (debug, every tick) and each
// container's findings when they change (info), and a flapping class.
func (l *Loop) logPatterns(plan policy.Plan) {
	th := plan.Thresholds
	l.Log.Debug("thresholds", "pressure", round3(th.Pressure), "cause", th.Cause,
		"factor", round3(th.Factor), "cpu_pct", round3(th.CPUPct),
		"leak_pct_per_min", round3(th.LeakPctPerMin), "low_cpu_pct", round3(th.LowCPUPct),
		"low_mem_pct", round3(th.LowMemPct))
	for _, list := range [][]policy.Decision{plan.Keep, plan.Remove, plan.Cap} {
		for _, d := range list {
			// Logged when the patterns or the verdict change, not when
			// only the figures move.
			var names, texts []string
			for _, f := range d.Findings {
				names, texts = append(names, f.Pattern), append(texts, f.Text)
			}
			key := strings.Join(names, ",")
			if key != "" {
				key += " " + string(d.Action)
			}
			if !l.history.Note(d.Container.ID, key) || key == "" {
				continue
			}
			l.Log.Info("pattern", "container_id", short(d.Container.ID),
				"name", d.Container.Name, "class", d.Container.Class, "action", d.Action,
				"findings", strings.Join(texts, "; "), "thresholds", th.String())
		}
	}
	for class, why := range plan.Flapping {
		l.Log.Info("class flapping: offenders are not replaced", "class", class, "why", why)
	}
}

// withFinding records on an action the first offending pattern behind the
// decision, with its figure and the threshold in force, and the host's
// pressure when the container was judged.
func withFinding(a *store.Action, d policy.Decision) {
	if !d.Container.Sampled || d.Container.Pending != "" {
		return
	}
	p := d.Thresholds.Pressure
	a.Pressure = &p
	for _, f := range d.Findings {
		if !f.Offending() {
			continue
		}
		v, b := f.Value, f.Bound
		a.Pattern, a.PatternValue, a.Threshold, a.ThresholdValue = f.Pattern, &v, f.Threshold, &b
		return
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// capAll applies the plan's caps, one at a time (they are rare), and
// records each as an action.
func (l *Loop) capAll(ctx context.Context, t *store.Tick, ds []policy.Decision) {
	for _, d := range ds {
		lim := docker.Limits{MemoryBytes: d.Cap.MemoryBytes, NanoCPUs: int64(d.Cap.CPUs * 1e9)}
		var err error
		if !l.DryRun {
			opCtx, cancel := context.WithTimeout(ctx, l.opTimeout())
			err = l.Engine.Update(opCtx, d.Container.ID, lim)
			cancel()
		}
		if errors.Is(err, docker.ErrGone) {
			// It ended since the list: nothing was done, nothing to record.
			l.Log.Info("container gone before its cap", "container_id", short(d.Container.ID),
				"name", d.Container.Name)
			continue
		}
		a := removeAction(d, err)
		a.Action, a.DryRun = string(policy.ActionCap), l.DryRun
		t.Actions = append(t.Actions, a)
		log := l.Log.With("container_id", short(d.Container.ID), "name", d.Container.Name,
			"class", d.Container.Class, "limits", d.Cap.String(), "reason", d.Reason)
		switch {
		case l.DryRun:
			log.Info("dry run: would cap container")
		case err != nil:
			log.Error("cap container failed", "err", err)
		default:
			// Judge it again on what it does under its cap only.
			l.history.Reset(d.Container.ID)
			log.Info("capped container")
		}
	}
}
