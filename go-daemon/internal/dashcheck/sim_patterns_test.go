package dashcheck

import (
	"fmt"
	"time"

	"vigia/internal/policy"
	"vigia/internal/store"
)

// The simulated daemon runs with VIGIA_CAPS=true, the shipped bounds and the
// default window: it judges each of its containers over the window of its
// last samples with the policy's own Detect, records the first offending
// pattern, the threshold in force and the host's pressure on every removal
// (as the daemon does), and caps a kept container that offends and has no
// cap yet. A leak is frozen at its size plus 25%; when it reaches that the
// kernel kills it, and the next tick removes the stopped container.
const (
	simWindow   = 6 // VIGIA_WINDOW's default
	simCPUs     = 2
	capHeadroom = 1.25 // the policy's memory headroom over the resident size
	capMargin   = 0.9  // a CPU cap at 90% of the bound crossed
)

// observe adds this tick's sample to the container's window.
func (c *simContainer) observe(at time.Time, cpu *float64) {
	c.window = append(c.window, policy.Sample{Time: at, RssKB: c.rssKB, CPUPct: cpu})
	if n := len(c.window); n > simWindow {
		c.window = append(c.window[:0], c.window[n-simWindow:]...)
	}
}

// thresholds are the ones in force on the simulated host this tick; it
// offers no PSI, so memory in use alone makes the pressure.
func thresholds(m *store.MemorySample) policy.Thresholds {
	return policy.ThresholdsFor(policy.Host{MemTotalKB: m.TotalKB, MemUsedPct: m.UsedPct},
		policy.Bounds{})
}

// offence is the first offending finding over the container's window.
func offence(c *simContainer, th policy.Thresholds) (policy.Finding, bool) {
	pc := policy.Container{ID: c.id, Name: c.name, Class: c.class, Kind: c.kind,
		Managed: true, Sampled: true, History: c.window}
	for _, f := range policy.Detect(pc, th, simCPUs, simTotalKB) {
		if f.Offending() {
			return f, true
		}
	}
	return policy.Finding{}, false
}

// withFinding records the pressure and, when the container offends, its
// pattern, figure and threshold on an action, like the daemon.
func withFinding(a *store.Action, c *simContainer, th policy.Thresholds) {
	a.Pressure = ptr(th.Pressure)
	if f, ok := offence(c, th); ok {
		a.Pattern, a.PatternValue = f.Pattern, ptr(f.Value)
		a.Threshold, a.ThresholdValue = f.Threshold, ptr(f.Bound)
	}
}

// capOffenders caps the kept containers that offend and carry no cap yet.
func (s *sim) capOffenders(t *store.Tick, kept []*simContainer, th policy.Thresholds) {
	for _, c := range kept {
		f, ok := offence(c, th)
		if !ok || c.limitKB > 0 || c.cpuCap > 0 {
			continue
		}
		var limits string
		switch f.Resource {
		case policy.ResourceMemory:
			c.limitKB = uint64(float64(c.rssKB) * capHeadroom)
			limits = fmt.Sprintf("memory %d MiB", c.limitKB>>10)
		case policy.ResourceCPU:
			c.cpuCap = f.Bound / 100 * simCPUs * capMargin
			limits = fmt.Sprintf("cpu %.2f CPUs", c.cpuCap)
		default:
			continue
		}
		a := store.Action{Action: "cap", ContainerID: c.id, Name: c.name, Class: c.class,
			Kind: c.kind, OK: true, Score: ptr(round2(score(c))), CPUPct: ptr(round2(c.cpu)),
			RssKB: ptr(c.rssKB), MemPct: ptr(pct(c.rssKB, simTotalKB)),
			Reason: fmt.Sprintf("%s: capped to %s instead of replaced; %s", f.Text, limits, th)}
		withFinding(&a, c, th)
		t.Actions = append(t.Actions, a)
		c.window = c.window[:0] // judged again on what it does under its cap
	}
}

// capped applies a container's caps to what it grew to this tick and
// reports whether the kernel killed it for reaching its memory limit.
func (c *simContainer) capped() (killed bool) {
	if c.cpuCap > 0 {
		c.cpu = min(c.cpu, c.cpuCap*100)
	}
	return c.limitKB > 0 && c.rssKB >= c.limitKB
}

// removeExited removes the containers the kernel killed, as the daemon
// removes stopped ones.
func removeExited(t *store.Tick, exited []*simContainer) {
	for _, c := range exited {
		t.Actions = append(t.Actions, store.Action{Action: "remove", ContainerID: c.id,
			Name: c.name, Class: c.class, Kind: c.kind, OK: true,
			Reason: "no longer running (exited): removed so stopped containers do not pile up"})
	}
}
