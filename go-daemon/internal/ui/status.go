// Package ui renders vigia's views for people: the status table (what runs,
// what it uses, what the policy would do now), the live top view, and the
// list of recent actions; each also as JSON for scripts.
//
// The plan is the one the daemon would make if it ticked now, judged on the
// inputs the daemon uses as far as they can be had from outside it: each
// container's window is its samples in the database (the newest VIGIA_WINDOW-1
// ticks, after its last cap) followed by the fresh sample; pressure is read
// from /proc/pressure as the daemon reads it; VIGIA_CAPS and the churn its
// recorded starts and removals show. When no daemon ticks (no database, no
// tick, or the newest older than three intervals) the window is the fresh
// sample alone and churn is 0, as for a daemon starting now, and the view
// says so; so it does for anything it could not read.
//
// Limitations: the verdicts of status and top do not know which containers a
// running daemon acted on in its last tick (that is in its memory only), so
// right after an action they may show a removal the daemon has already done.
// The fresh sample's CPU rate is measured over one second, the daemon's over
// its interval, so a bursty container can cross the CPU bound here and not
// there. Churn is counted from the database, which outlives the daemon: after
// a restart the daemon has forgotten churn the view still counts.
package ui

import (
	"context"
	"fmt"
	"sort"
	"time"

	"vigia/internal/daemon"
	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
)

// Lister lists the host's containers.
type Lister interface {
	List(ctx context.Context) ([]docker.Container, error)
}

// Row is one container of the status view.
type Row struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Class         string   `json:"class"`
	Kind          string   `json:"kind"`
	PID           int      `json:"pid"`
	CPUPct        *float64 `json:"cpu_pct"`
	MemPct        float64  `json:"mem_pct"`
	RssKB         uint64   `json:"rss_kb"`
	IOReadBytes   uint64   `json:"io_read_bytes"`
	IOWriteBytes  uint64   `json:"io_write_bytes"`
	IOBytesPerSec *float64 `json:"io_bytes_per_sec"`
	Action        string   `json:"action"`
	Score         float64  `json:"score"`
	Reason        string   `json:"reason"`
	// Findings are the patterns seen in the container's window; Cap the
	// limits the plan would apply when Action is "cap".
	Findings []Finding `json:"findings"`
	Cap      string    `json:"cap,omitempty"`
}

// Finding is one pattern seen in a container's window.
type Finding struct {
	Pattern   string  `json:"pattern"`
	Threshold string  `json:"threshold"`
	Value     float64 `json:"value"` // the container's figure, in the threshold's unit
	Bound     float64 `json:"bound"` // the threshold's value in force
	Unit      string  `json:"unit"`
	Offending bool    `json:"offending"` // a bound crossed; flapping is only reported
	Text      string  `json:"text"`
}

// Status is the whole status view.
type Status struct {
	Time        time.Time      `json:"time"`
	Sensor      string         `json:"sensor"`
	Memory      sensor.Memory  `json:"memory"`
	KeepLow     int            `json:"keep_low"`
	KeepHigh    int            `json:"keep_high"`
	LowNow      int            `json:"low_now"` // vigia's running now
	HighNow     int            `json:"high_now"`
	LowRunning  int            `json:"low_running"` // after the plan
	HighRunning int            `json:"high_running"`
	Containers  []Row          `json:"containers"`
	Start       []policy.Start `json:"start"`
	// LastTick is the daemon's newest recorded tick; nil when the
	// database has none (or cannot be read).
	LastTick *LastTick `json:"last_tick"`
	// Inputs are what the plan judged besides the fresh sample.
	Inputs Inputs `json:"inputs"`
}

// LastTick summarises the daemon's newest tick.
type LastTick struct {
	Time    time.Time `json:"time"`
	Removed int       `json:"removed"`
	Started int       `json:"started"`
	Error   string    `json:"error,omitempty"`
}

// Observer samples the host for the status and top views.
type Observer struct {
	Source  sensor.Source
	Engine  Lister
	Targets policy.Targets
	// Past is the daemon's database (nil: none); Caps, Window, Interval and
	// PSIDir are the daemon's settings (zero: its defaults). With them the
	// plan judges the patterns the way the daemon would this moment.
	Past     Past
	Caps     bool
	Window   int
	Interval time.Duration
	PSIDir   string
	// Gap is the time between the two reads of the first Observe, which the
	// CPU rates need.
	Gap time.Duration

	tracker *sensor.Tracker
}

// Observe reads the sensor (twice on the first call, for CPU rates), lists the
// containers and asks the policy what it would do.
func (o *Observer) Observe(ctx context.Context) (Status, error) {
	if o.tracker == nil {
		o.tracker = sensor.NewTracker()
		r, err := o.Source.Read(ctx)
		if err != nil {
			return Status{}, err
		}
		o.tracker.Update(r)
		select {
		case <-ctx.Done():
			return Status{}, ctx.Err()
		case <-time.After(o.Gap):
		}
	}
	r, err := o.Source.Read(ctx)
	if err != nil {
		return Status{}, err
	}
	u := o.tracker.Update(r)
	list, err := o.Engine.List(ctx)
	if err != nil {
		return Status{}, err
	}
	in := daemon.PolicyInput(u, list, nil, o.Targets)
	inputs := o.patterns(ctx, &in, u)
	plan := policy.Decide(in)
	st := build(u, list, plan, o.Targets)
	inputs.Pressure, inputs.Thresholds = plan.Thresholds.Pressure, plan.Thresholds.String()
	st.Inputs = inputs
	return st, nil
}

func build(u sensor.Usage, list []docker.Container, plan policy.Plan, t policy.Targets) Status {
	st := Status{Time: time.Unix(0, int64(u.TimestampNS)), Sensor: u.Sensor, Memory: u.Memory,
		KeepLow: t.KeepLow, KeepHigh: t.KeepHigh, Containers: []Row{},
		Start:      append([]policy.Start{}, plan.Start...),
		LowRunning: plan.Running[policy.ClassLow], HighRunning: plan.Running[policy.ClassHigh]}
	verdict := map[string]policy.Decision{}
	for _, group := range [][]policy.Decision{plan.Remove, plan.Keep, plan.Cap, plan.Skip} {
		for _, d := range group {
			verdict[d.Container.ID] = d
		}
	}
	docked := map[string]docker.Container{}
	for _, ct := range list {
		docked[ct.ID] = ct
		if ct.Running() && ct.Managed() {
			switch ct.Class() {
			case policy.ClassLow:
				st.LowNow++
			case policy.ClassHigh:
				st.HighNow++
			}
		}
	}
	for _, cu := range u.Containers {
		ct, known := docked[cu.ID]
		row := Row{ID: cu.ID, Name: ct.Name, Class: classOf(ct, known), Kind: ct.Kind(),
			PID: cu.PID, CPUPct: cu.CPUPct, MemPct: cu.MemPct, RssKB: cu.RssKB,
			IOReadBytes: cu.IOReadBytes, IOWriteBytes: cu.IOWriteBytes,
			IOBytesPerSec: cu.IOBytesPerSec, Action: string(policy.ActionSkip),
			Reason: "not listed by Docker", Findings: []Finding{}}
		if d, ok := verdict[cu.ID]; ok {
			row.Action, row.Score, row.Reason = string(d.Action), d.Score, d.Reason
			row.Findings = findings(d.Findings)
			if d.Action == policy.ActionCap {
				row.Cap = d.Cap.String()
			}
		}
		st.Containers = append(st.Containers, row)
	}
	sort.SliceStable(st.Containers, func(i, j int) bool {
		a, b := st.Containers[i], st.Containers[j]
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		return a.Score > b.Score
	})
	return st
}

func classOf(ct docker.Container, known bool) string {
	switch {
	case !known:
		return "foreign"
	case ct.Grafana():
		return "grafana"
	case ct.Managed():
		return ct.Class()
	}
	return "foreign"
}

func fmtPct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}

func findings(fs []policy.Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, Finding{Pattern: f.Pattern, Threshold: f.Threshold, Value: f.Value,
			Bound: f.Bound, Unit: thresholdUnit(f.Threshold), Offending: f.Offending(),
			Text: f.Text})
	}
	return out
}
