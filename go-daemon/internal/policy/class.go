package policy

import (
	"fmt"
	"sort"
)

// judge is what decideClass needs to know about one class.
type judge struct {
	class    string
	target   int
	caps     bool
	cpus     int
	flapping string // why the class flaps; "" when it does not
}

// classFlapping records and returns why a class flaps, "" when it does not.
func (p *Plan) classFlapping(class string, in Input) string {
	b := in.Bounds.orDefault()
	n := in.Churn[class]
	if b.FlapChurn < 1 || n < b.FlapChurn {
		return ""
	}
	why := fmt.Sprintf("%s flapping: vigia started and removed again %d of its containers "+
		"(bound %d)", class, n, b.FlapChurn)
	if p.Flapping == nil {
		p.Flapping = map[string]string{}
	}
	p.Flapping[class] = why
	return why
}

// decideClass removes the extras of one class, offending and heaviest first,
// asks for starts when it is short, and caps or replaces a kept container
// that crosses a bound.
func (p *Plan) decideClass(j judge, judged, held []Decision) {
	sortHeaviest(judged)
	running := len(judged) + len(held)
	extra := max(running-j.target, 0)
	removable := min(extra, len(judged))
	var remaining []Decision
	var replaced []string
	for i, d := range judged {
		if i < removable {
			d.Action = ActionRemove
			d.Reason = fmt.Sprintf("%s has %d, target %d: removing %d, offending and heaviest "+
				"first; #%d, %s", j.class, running, j.target, removable, i+1, figures(d))
			p.Remove = append(p.Remove, d)
			continue
		}
		head := fmt.Sprintf("%s has %d, target %d", j.class, running, j.target)
		switch p.judgeKept(j, &d, head) {
		case ActionCap:
			p.Cap = append(p.Cap, d)
		case ActionRemove:
			p.Remove = append(p.Remove, d)
			replaced = append(replaced, d.Container.Name)
			continue
		default:
			if extra > removable {
				d.Reason += fmt.Sprintf("; %d extra wait for a fresh sample", extra-removable)
			}
			p.Keep = append(p.Keep, d)
		}
		remaining = append(remaining, d)
	}
	p.Keep = append(p.Keep, held...)
	remaining = append(remaining, held...)
	after := running - removable - len(replaced)
	p.Start = append(p.Start, starts(j.class, after, j.target, remaining, replaced)...)
	p.Running[j.class] = max(after, j.target)
}

// judgeKept decides on a container the counts keep: one that crosses a bound
// is capped when caps are on, else removed to be replaced, unless its class
// flaps; anything else is kept.
func (p *Plan) judgeKept(j judge, d *Decision, head string) Action {
	d.Action, d.Reason = ActionKeep, head+": kept, "+figures(*d)
	if !offending(*d) {
		return ActionKeep
	}
	if j.caps {
		if l, ok := capFor(d.Container, d.Findings, j.cpus); ok {
			d.Action, d.Cap = ActionCap, l
			d.Reason = fmt.Sprintf("%s: kept and capped to %s (caps on), %s", head, l, figures(*d))
			return ActionCap
		}
		d.Reason += "; already capped"
		return ActionKeep
	}
	if j.flapping != "" {
		d.Reason += "; not replaced: " + j.flapping
		return ActionKeep
	}
	d.Action = ActionRemove
	d.Reason = fmt.Sprintf("%s: replaced, it crosses a bound (caps off), %s", head, figures(*d))
	return ActionRemove
}

// offending reports whether a decision has a finding to act on.
func offending(d Decision) bool {
	for _, f := range d.Findings {
		if f.Offending() {
			return true
		}
	}
	return false
}

// starts asks for the missing containers of a class, balancing its kinds.
// replaced names the containers the starts replace, in order.
func starts(class string, running, target int, remaining []Decision, replaced []string) []Start {
	if running >= target {
		return nil
	}
	count := make(map[string]int)
	for _, d := range remaining {
		count[d.Container.Kind]++
	}
	var out []Start
	for i := running; i < target; i++ {
		kind := kinds[class][0]
		for _, k := range kinds[class][1:] {
			if count[k] < count[kind] {
				kind = k
			}
		}
		count[kind]++
		reason := fmt.Sprintf("%s has %d, target %d: start #%d (%s)", class, running, target,
			i-running+1, kind)
		if n := i - running; n < len(replaced) {
			reason += " to replace " + replaced[n]
		}
		out = append(out, Start{Class: class, Kind: kind, Reason: reason})
	}
	return out
}

// sortHeaviest orders offending containers first, then by score, memory,
// creation (newest first), then id.
func sortHeaviest(ds []Decision) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		switch {
		case offending(a) != offending(b):
			return offending(a)
		case a.Score != b.Score:
			return a.Score > b.Score
		case a.Container.MemPct != b.Container.MemPct:
			return a.Container.MemPct > b.Container.MemPct
		case !a.Container.Created.Equal(b.Container.Created):
			return a.Container.Created.After(b.Container.Created)
		}
		return a.Container.ID < b.Container.ID
	})
}
