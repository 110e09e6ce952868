package soak

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Targets are what the checks hold the system to.
type Targets struct {
	KeepLow, KeepHigh int
	// Retention is the daemon's VIGIA_RETENTION; RetentionSlack is how much
	// older than that a row may be before the retention check fails (the
	// daemon prunes now and then, not at every tick).
	Retention      time.Duration
	RetentionSlack time.Duration
}

// RunContainer is one of the run's containers as Docker lists it.
type RunContainer struct {
	ID, Name, Class, State string
}

// Limits are the resource limits Docker reports for a container.
type Limits struct {
	Memory   int64 // bytes, 0: none
	NanoCPUs int64
	CPUQuota int64
}

func (l Limits) any() bool { return l.Memory > 0 || l.NanoCPUs > 0 || l.CPUQuota > 0 }

// StandIn is a container the harness started and expects untouched.
type StandIn struct {
	Role      string // grafana, foreign or other-instance
	ID, Name  string
	StartedAt string
	Restarts  int
	Running   bool
	Limits    Limits
	Labels    map[string]string
}

// ActionRow is one row of the daemon's actions table.
type ActionRow struct {
	ID          int64
	Action      string // remove, start or cap
	ContainerID string
	Name        string
	Class       string
	OK          bool
	Error       string
}

// TickView is what the harness gathered right after one tick.
type TickView struct {
	Obs        Observation
	Containers []RunContainer
	// StandIns maps each stand-in's role to what Docker says now; a missing
	// role means the container is gone.
	Expected []StandIn
	Now      map[string]StandIn
	Actions  []ActionRow
	// CapLimits holds the current limits of the containers capped in this
	// tick; a missing id means the container is gone.
	CapLimits   map[string]Limits
	DaemonAlive bool
	DaemonState string // why it is not alive, when it is not
	CronPresent bool
	CronDetail  string
}

// JudgeTick returns the per-tick checks of v, in a fixed order.
func JudgeTick(v TickView, t Targets) []Check {
	id := v.Obs.TickID
	mk := func(name string, vd Verdict) Check {
		st := Fail
		if vd.OK {
			st = Pass
		}
		return Check{TickID: id, Name: name, Status: st, Detail: vd.Detail}
	}
	checks := []Check{mk("tick_ok", tickOK(v.Obs))}
	if v.Obs.Quiet {
		checks = append(checks, mk("counts", counts(v.Obs, t)),
			mk("recorded_counts", recorded(v.Obs)), mk("no_exited", noExited(v.Containers)))
	} else {
		why := "not judged: a generator run overlapped this tick"
		checks = append(checks, mk("counts", atLeast(v.Obs, t)))
		for _, name := range []string{"recorded_counts", "no_exited"} {
			checks = append(checks, Check{TickID: id, Name: name, Status: Skip, Detail: why})
		}
	}
	checks = append(checks,
		mk("standins", standIns(v.Expected, v.Now)),
		mk("actions_ok", actionsOK(v.Actions)),
		mk("caps_applied", capsApplied(v.Actions, v.CapLimits)),
		mk("cron_present", Verdict{OK: v.CronPresent, Detail: v.CronDetail}),
		mk("retention", retention(v.Obs, t)),
		mk("daemon_alive", Verdict{OK: v.DaemonAlive, Detail: v.DaemonState}),
	)
	return checks
}

func tickOK(o Observation) Verdict {
	if o.TickError != "" {
		return Verdict{Detail: "the daemon recorded: " + o.TickError}
	}
	return Verdict{OK: true, Detail: fmt.Sprintf("took %s", o.TickDuration)}
}

func counts(o Observation, t Targets) Verdict {
	d := fmt.Sprintf("low %d/%d, high %d/%d (the daemon recorded low %d, high %d)",
		o.Low, t.KeepLow, o.High, t.KeepHigh, o.DaemonLow, o.DaemonHigh)
	return Verdict{OK: o.Low == t.KeepLow && o.High == t.KeepHigh, Detail: d}
}

// atLeast is the part of counts that holds on a busy tick too: the
// generator only adds containers, so fewer than the targets is a fault.
func atLeast(o Observation, t Targets) Verdict {
	d := fmt.Sprintf("busy tick (a generator run overlapped it), judged for the lower bound "+
		"only: low %d >= %d, high %d >= %d", o.Low, t.KeepLow, o.High, t.KeepHigh)
	return Verdict{OK: o.Low >= t.KeepLow && o.High >= t.KeepHigh, Detail: d}
}

// recorded compares the daemon's own count (ticks.low_running and
// high_running, which the dashboards draw) with Docker's.
func recorded(o Observation) Verdict {
	d := fmt.Sprintf("the daemon recorded low %d, high %d; Docker lists low %d, high %d",
		o.DaemonLow, o.DaemonHigh, o.Low, o.High)
	if o.TickError != "" {
		return Verdict{OK: true, Detail: "tick with an error: " + d}
	}
	return Verdict{OK: o.DaemonLow == o.Low && o.DaemonHigh == o.High, Detail: d}
}

func noExited(cs []RunContainer) Verdict {
	var bad []string
	for _, c := range cs {
		if c.State != "running" {
			bad = append(bad, fmt.Sprintf("%s (%s)", c.Name, c.State))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return Verdict{Detail: fmt.Sprintf("%d not running: %s", len(bad), strings.Join(bad, ", "))}
	}
	return Verdict{OK: true, Detail: fmt.Sprintf("%d containers, all running", len(cs))}
}

// standIns compares each stand-in with what was recorded when it started.
func standIns(expected []StandIn, now map[string]StandIn) Verdict {
	var bad []string
	for _, e := range expected {
		n, ok := now[e.Role]
		switch {
		case !ok:
			bad = append(bad, e.Role+" "+e.Name+" is gone")
		case n.ID != e.ID:
			bad = append(bad, fmt.Sprintf("%s %s was replaced (id %.12s)", e.Role, e.Name, n.ID))
		case !n.Running:
			bad = append(bad, e.Role+" "+e.Name+" is not running")
		case n.StartedAt != e.StartedAt || n.Restarts != e.Restarts:
			bad = append(bad, e.Role+" "+e.Name+" was restarted")
		case n.Limits != e.Limits:
			bad = append(bad, fmt.Sprintf("%s %s limits changed to %+v", e.Role, e.Name, n.Limits))
		case !sameLabels(n.Labels, e.Labels):
			bad = append(bad, e.Role+" "+e.Name+" labels changed")
		}
	}
	if len(bad) > 0 {
		return Verdict{Detail: strings.Join(bad, "; ")}
	}
	return Verdict{OK: true, Detail: fmt.Sprintf("%d stand-ins untouched", len(expected))}
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func actionsOK(actions []ActionRow) Verdict {
	var bad []string
	for _, a := range actions {
		if !a.OK {
			bad = append(bad, fmt.Sprintf("%s %s: %s", a.Action, a.Name, a.Error))
		}
	}
	if len(bad) > 0 {
		return Verdict{Detail: fmt.Sprintf("%d of %d failed: %s", len(bad), len(actions),
			strings.Join(bad, "; "))}
	}
	return Verdict{OK: true, Detail: fmt.Sprintf("%d actions", len(actions))}
}

func capsApplied(actions []ActionRow, limits map[string]Limits) Verdict {
	n := 0
	var bad []string
	for _, a := range actions {
		if a.Action != "cap" || !a.OK {
			continue
		}
		n++
		l, ok := limits[a.ContainerID]
		if ok && !l.any() {
			bad = append(bad, a.Name+" has no memory or CPU limit")
		}
	}
	if len(bad) > 0 {
		return Verdict{Detail: strings.Join(bad, "; ")}
	}
	return Verdict{OK: true, Detail: fmt.Sprintf("%d caps", n)}
}

func retention(o Observation, t Targets) Verdict {
	if o.OldestRow < 0 {
		return Verdict{OK: true, Detail: "no rows"}
	}
	limit := t.Retention + t.RetentionSlack
	d := fmt.Sprintf("oldest row %s old, limit %s (retention %s + slack %s), database %d bytes",
		o.OldestRow.Round(time.Second), limit, t.Retention, t.RetentionSlack, o.DBBytes)
	return Verdict{OK: o.OldestRow <= limit, Detail: d}
}
