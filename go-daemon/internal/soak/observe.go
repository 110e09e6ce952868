package soak

import (
	"context"
	"time"
)

// observe judges the ticks written since the last poll.
func (s *soak) observe(ctx context.Context) error {
	now := time.Now()
	ticks, oldest, err := s.watch.poll(ctx, now)
	if err != nil || len(ticks) == 0 {
		return err
	}
	v, err := s.look(ctx)
	if err != nil {
		return err
	}
	for _, t := range ticks {
		tv := v
		tv.Obs = s.observation(t, v.Obs, oldest)
		tv.Actions = t.Actions
		tv.CapLimits, err = s.eng.limits(ctx, capped(t.Actions))
		if err != nil {
			return err
		}
		for _, a := range t.Actions {
			if a.OK {
				s.actedOn[a.ContainerID] = append(s.actedOn[a.ContainerID], a.Action)
			}
		}
		s.res.Observations = append(s.res.Observations, tv.Obs)
		for _, c := range JudgeTick(tv, s.targets) {
			s.res.Checks = append(s.res.Checks, c)
			if c.Status == Fail {
				s.log.Warn("invariant failed", "tick", c.TickID, "check", c.Name,
					"detail", c.Detail)
			}
		}
	}
	return nil
}

func capped(actions []ActionRow) []string {
	var ids []string
	for _, a := range actions {
		if a.Action == "cap" && a.OK {
			ids = append(ids, a.ContainerID)
		}
	}
	return ids
}

// look gathers what does not depend on the tick: Docker, the daemon's
// process, the database file and the cron entry.
func (s *soak) look(ctx context.Context) (TickView, error) {
	v := TickView{Expected: s.expected, Now: map[string]StandIn{}}
	var err error
	if v.Containers, err = s.eng.runContainers(ctx, s.id); err != nil {
		return v, err
	}
	for _, e := range s.expected {
		n, ok, err := s.eng.inspectStandIn(ctx, e.ID)
		if err != nil {
			return v, err
		}
		if ok {
			n.Role = e.Role
			v.Now[e.Role] = n
		}
	}
	v.Obs.Seen = time.Now()
	for _, c := range v.Containers {
		switch {
		case c.State != "running":
			v.Obs.NotRunning++
		case c.Class == "low":
			v.Obs.Low++
		case c.Class == "high":
			v.Obs.High++
		}
	}
	v.DaemonAlive, v.DaemonState = s.daemon.alive()
	if v.DaemonAlive {
		st, err := readProcStats(s.daemon.pid())
		if err != nil {
			return v, err
		}
		v.Obs.RSSKB, v.Obs.Threads, v.Obs.FDs = st.RSSKB, st.Threads, st.FDs
		v.Obs.Goroutines = s.daemon.goroutines(ctx)
	}
	v.Obs.DBBytes = dbBytes(s.dbPath)
	v.CronPresent, v.CronDetail = cronState(s.cron)
	return v, nil
}

// observation completes the tick-independent figures with the tick's own.
func (s *soak) observation(t dbTick, base Observation, oldest time.Duration) Observation {
	o := base
	o.TickID, o.TickTime, o.TickDuration, o.TickError = t.ID, t.Time, t.Duration, t.Error
	o.DaemonLow, o.DaemonHigh, o.Removed, o.Started = t.Low, t.High, t.Removed, t.Started
	o.MemUsedKB, o.MemTotalKB = t.MemUsedKB, t.MemTotalKB
	o.OldestRow = oldest
	for _, a := range t.Actions {
		if a.Action == "cap" && a.OK {
			o.Caps++
		}
	}
	o.Quiet = !s.gen.overlaps(t.Time, o.Seen)
	return o
}
