package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"vigia/internal/daemon"
	"vigia/internal/policy"
	"vigia/internal/pressure"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// Past is what the preview reads of the daemon's record.
type Past interface {
	LatestTick(ctx context.Context) (store.TickRow, error)
	RecentContainers(ctx context.Context, ticks int) ([]store.ContainerSample, error)
	RecentActions(ctx context.Context, limit int) ([]store.Action, error)
}

// churnActions bounds the actions read to count churn: more than a daemon
// records within its churn span (18 ticks by default) on any host vigia runs.
const churnActions = 2000

// Inputs are what the plan preview judged besides the fresh sample, as the
// daemon would have them, and where they fall short of the daemon's own.
type Inputs struct {
	Window     int            `json:"window"`     // samples per container (VIGIA_WINDOW)
	Stored     int            `json:"stored"`     // containers with stored samples in it
	Caps       bool           `json:"caps"`       // VIGIA_CAPS
	PSICPU     *float64       `json:"psi_cpu"`    // /proc/pressure/cpu some avg10
	PSIMemory  *float64       `json:"psi_memory"` // /proc/pressure/memory some avg10
	Churn      map[string]int `json:"churn"`      // per class, within the churn span
	Pressure   float64        `json:"pressure"`   // 0 to 1
	Thresholds string         `json:"thresholds"` // in force, as the daemon logs them
	Notes      []string       `json:"notes"`      // where the inputs are not the daemon's
}

// patterns gives the policy's input the window, pressure, caps and churn the
// daemon would give it if it ticked now: its stored samples of each
// container (after its last cap) followed by the fresh one, PSI read here,
// and the churn its recorded actions show.
func (o *Observer) patterns(ctx context.Context, in *policy.Input, u sensor.Usage) Inputs {
	now := time.Unix(0, int64(u.TimestampNS))
	inp := Inputs{Window: o.window(), Caps: o.Caps, Churn: map[string]int{}, Notes: []string{}}
	in.Host = policy.Host{MemTotalKB: u.Memory.TotalKB, MemUsedPct: u.Memory.UsedPct}
	dir := o.PSIDir
	if dir == "" {
		dir = pressure.Dir
	}
	psi, err := pressure.Read(dir)
	if err != nil {
		inp.Notes = append(inp.Notes, "pressure unreadable, memory alone sets it where it "+
			"fails: "+err.Error())
	}
	in.Host.PSICPU, in.Host.PSIMemory = psi.CPU, psi.Memory
	inp.PSICPU, inp.PSIMemory = psi.CPU, psi.Memory
	in.Caps = o.Caps
	fresh := map[string]policy.Sample{}
	for _, c := range u.Containers {
		fresh[c.ID] = policy.Sample{Time: now, RssKB: c.RssKB, CPUPct: c.CPUPct}
	}
	stored, capped, note := o.past(ctx, now, &inp)
	if note != "" {
		inp.Notes = append(inp.Notes, note)
	}
	for i := range in.Containers {
		c := &in.Containers[i]
		s, ok := fresh[c.ID]
		if !ok {
			continue
		}
		for _, p := range stored[c.ID] {
			if at, ok := capped[c.ID]; !ok || p.Time.After(at) {
				c.History = append(c.History, p)
			}
		}
		if len(c.History) > 0 {
			inp.Stored++
		}
		c.History = append(c.History, s)
	}
	in.Churn = inp.Churn
	return inp
}

// past reads the daemon's stored window, the time of each container's last
// cap and the churn; with no daemon ticking it returns nothing and says why:
// a daemon starting now would have an empty window and no churn either.
func (o *Observer) past(ctx context.Context, now time.Time, inp *Inputs) (
	map[string][]policy.Sample, map[string]time.Time, string) {
	const fresh = "the window is this sample alone and churn is 0, as for a daemon starting now"
	if o.Past == nil {
		return nil, nil, "no database to read: " + fresh
	}
	lt, err := o.Past.LatestTick(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, "no tick recorded: " + fresh
	case err != nil:
		return nil, nil, fmt.Sprintf("database unreadable (%v): %s", err, fresh)
	case now.Sub(lt.Time) > o.staleAfter():
		return nil, nil, fmt.Sprintf("no daemon ticking (last tick %s ago): %s",
			ago(now, lt.Time), fresh)
	}
	samples, err := o.Past.RecentContainers(ctx, o.window()-1)
	if err != nil {
		return nil, nil, fmt.Sprintf("stored samples unreadable (%v): the window is this "+
			"sample alone", err)
	}
	stored := map[string][]policy.Sample{}
	for _, s := range samples {
		stored[s.ContainerID] = append(stored[s.ContainerID],
			policy.Sample{Time: s.Time, RssKB: s.RssKB, CPUPct: s.CPUPct})
	}
	actions, err := o.Past.RecentActions(ctx, churnActions)
	if err != nil {
		return stored, nil, fmt.Sprintf("actions unreadable (%v): caps not seen, churn 0", err)
	}
	capped, note := o.churn(actions, now, inp)
	return stored, capped, note
}

// churn counts, per class, vigia's containers started and removed again
// within the span, as the daemon's history does, and returns when each
// container was last capped (its window starts after that).
func (o *Observer) churn(actions []store.Action, now time.Time, inp *Inputs) (
	map[string]time.Time, string) {
	span := time.Duration(o.window()*3) * o.interval()
	capped := map[string]time.Time{}
	started := map[string]store.Action{}
	// Oldest first, as the daemon saw them.
	for i := len(actions) - 1; i >= 0; i-- {
		a := actions[i]
		if !a.OK || a.DryRun || a.ContainerID == "" {
			continue
		}
		switch a.Action {
		case string(policy.ActionCap):
			capped[a.ContainerID] = a.Time
		case string(policy.ActionStart):
			started[a.ContainerID] = a
		case string(policy.ActionRemove):
			s, ok := started[a.ContainerID]
			if ok && a.Time.Sub(s.Time) <= span && now.Sub(a.Time) <= span {
				inp.Churn[s.Class]++
			}
		}
	}
	if n := len(actions); n == churnActions && now.Sub(actions[n-1].Time) <= span {
		return capped, fmt.Sprintf("churn counted over the newest %d actions only", n)
	}
	return capped, ""
}

func (o *Observer) window() int {
	if o.Window < 1 {
		return daemon.DefaultWindow
	}
	return o.Window
}

func (o *Observer) interval() time.Duration {
	return max(o.Interval, time.Second)
}

// staleAfter is how old the newest tick may be while a daemon still ticks:
// two intervals and the longest a tick may take.
func (o *Observer) staleAfter() time.Duration {
	return 3 * o.interval()
}
