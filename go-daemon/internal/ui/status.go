// Package ui renders vigia's views for people: the status table (what runs,
// what it uses, what the policy would do now), the live top view, and the
// list of recent actions; each also as JSON for scripts.
//
// Limitations: the verdicts of status and top are the policy's on a fresh
// sample; they do not know which containers a running daemon acted on in its
// last tick, so right after an action they may show a removal the daemon has
// already done.
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
	plan := policy.Decide(daemon.PolicyInput(u, list, nil, o.Targets))
	return build(u, list, plan, o.Targets), nil
}

func build(u sensor.Usage, list []docker.Container, plan policy.Plan, t policy.Targets) Status {
	st := Status{Time: time.Unix(0, int64(u.TimestampNS)), Sensor: u.Sensor, Memory: u.Memory,
		KeepLow: t.KeepLow, KeepHigh: t.KeepHigh, Containers: []Row{},
		Start:      append([]policy.Start{}, plan.Start...),
		LowRunning: plan.Running[policy.ClassLow], HighRunning: plan.Running[policy.ClassHigh]}
	verdict := map[string]policy.Decision{}
	for _, group := range [][]policy.Decision{plan.Remove, plan.Keep, plan.Skip} {
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
			Reason: "not listed by Docker"}
		if d, ok := verdict[cu.ID]; ok {
			row.Action, row.Score, row.Reason = string(d.Action), d.Score, d.Reason
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
