// Package history keeps what the daemon remembers between ticks for the
// policy's patterns: per container, the window of its last samples; per
// class, the churn of vigia's own containers (started, then removed again by
// vigia). The policy stays pure: the daemon owns a Window and passes its
// contents in.
//
// Memory is bounded: a container keeps at most Size samples and is forgotten
// once it went Size ticks without one; churn and start marks older than the
// churn span are dropped.
package history

import (
	"time"

	"vigia/internal/policy"
	"vigia/internal/sensor"
)

// Window is the daemon's memory of recent ticks. It is not safe for
// concurrent use; the loop calls it from one goroutine.
type Window struct {
	size  int
	span  time.Duration
	tick  int
	boxes map[string]*box
	// started marks the containers vigia started, until the span ends.
	started map[string]mark
	churn   []mark // one per container vigia started and removed again
}

type box struct {
	samples []policy.Sample
	last    int    // the tick of the newest sample
	noted   string // what Note last saw
}

type mark struct {
	class string
	at    time.Time
}

// New returns a window of size samples per container that counts churn over
// span.
func New(size int, span time.Duration) *Window {
	return &Window{size: max(size, 1), span: span, boxes: map[string]*box{},
		started: map[string]mark{}}
}

// Size is the most samples a container keeps.
func (w *Window) Size() int { return w.size }

// Add records one tick's samples and forgets the containers not sampled for
// Size ticks.
func (w *Window) Add(at time.Time, cs []sensor.ContainerUsage) {
	w.tick++
	for _, c := range cs {
		b := w.boxes[c.ID]
		if b == nil {
			b = &box{}
			w.boxes[c.ID] = b
		}
		s := policy.Sample{Time: at, RssKB: c.RssKB}
		if c.CPUPct != nil {
			v := *c.CPUPct
			s.CPUPct = &v
		}
		b.samples = append(b.samples, s)
		if n := len(b.samples); n > w.size {
			b.samples = append(b.samples[:0], b.samples[n-w.size:]...)
		}
		b.last = w.tick
	}
	for id, b := range w.boxes {
		if w.tick-b.last >= w.size {
			delete(w.boxes, id)
		}
	}
}

// Samples returns a copy of a container's window, oldest first.
func (w *Window) Samples(id string) []policy.Sample {
	b := w.boxes[id]
	if b == nil {
		return nil
	}
	return append([]policy.Sample(nil), b.samples...)
}

// Reset empties a container's window: after a cap its earlier samples no
// longer tell how it behaves, and judging them again would cap it again.
func (w *Window) Reset(id string) {
	if b := w.boxes[id]; b != nil {
		b.samples = b.samples[:0]
	}
}

// Containers is how many containers the window holds.
func (w *Window) Containers() int { return len(w.boxes) }

// Started records that vigia started a container of a class.
func (w *Window) Started(id, class string, at time.Time) {
	w.started[id] = mark{class: class, at: at}
}

// Removed records that vigia removed a container; one it started within the
// span counts as churn of its class.
func (w *Window) Removed(id string, at time.Time) {
	m, ok := w.started[id]
	delete(w.started, id)
	if ok && at.Sub(m.at) <= w.span {
		w.churn = append(w.churn, mark{class: m.class, at: at})
	}
}

// Churn counts, per class, the churn within the span before now, and drops
// what is older.
func (w *Window) Churn(now time.Time) map[string]int {
	kept := w.churn[:0]
	out := map[string]int{}
	for _, m := range w.churn {
		if now.Sub(m.at) <= w.span {
			kept = append(kept, m)
			out[m.class]++
		}
	}
	w.churn = kept
	for id, m := range w.started {
		if now.Sub(m.at) > w.span {
			delete(w.started, id)
		}
	}
	return out
}

// Note remembers what was last said about a container and reports whether
// what is said now differs, so a log line is written once per change.
func (w *Window) Note(id, what string) bool {
	b := w.boxes[id]
	if b == nil || b.noted == what {
		return false
	}
	b.noted = what
	return true
}
