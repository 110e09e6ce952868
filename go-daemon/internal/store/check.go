package store

import (
	"fmt"
	"math"
)

// check refuses a tick with a number SQLite cannot keep: it stores NaN as
// NULL, which a NOT NULL column refuses with a message naming no row, and
// the whole tick would be lost without saying which figure was bad.
func (t *Tick) check() error {
	if m := t.Memory; m != nil && !finite(m.UsedPct) {
		return fmt.Errorf("memory sample: used_pct is %v", m.UsedPct)
	}
	for i, c := range t.Containers {
		if !finite(c.MemPct) || !finite(c.CPUPct) {
			return fmt.Errorf("container sample %d (%s): mem_pct %v, cpu_pct %v", i,
				c.ContainerID, c.MemPct, show(c.CPUPct))
		}
	}
	for i, p := range t.Processes {
		if !finite(p.MemPct) || !finite(p.CPUPct) {
			return fmt.Errorf("process sample %d (pid %d): mem_pct %v, cpu_pct %v", i, p.PID,
				p.MemPct, show(p.CPUPct))
		}
	}
	for i, a := range t.Actions {
		if !finite(a.Score, a.CPUPct, a.MemPct, a.PatternValue, a.ThresholdValue, a.Pressure) {
			return fmt.Errorf("action %d (%s %s): score %v, cpu_pct %v, mem_pct %v", i, a.Action,
				a.Name, show(a.Score), show(a.CPUPct), show(a.MemPct))
		}
	}
	return nil
}

// finite accepts float64 and *float64 (nil is NULL, which is fine).
func finite(vs ...any) bool {
	for _, v := range vs {
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case *float64:
			if x == nil {
				continue
			}
			f = *x
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

func show(p *float64) any {
	if p == nil {
		return "NULL"
	}
	return *p
}
