package history

import (
	"fmt"
	"testing"
	"time"

	"vigia/internal/sensor"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func usage(ids ...string) []sensor.ContainerUsage {
	var out []sensor.ContainerUsage
	for i, id := range ids {
		cpu := float64(i * 10)
		out = append(out, sensor.ContainerUsage{ID: id, RssKB: uint64(100 + i), CPUPct: &cpu})
	}
	return out
}

func TestWindowKeepsSizeSamples(t *testing.T) {
	w := New(3, time.Minute)
	for i := range 5 {
		w.Add(t0.Add(time.Duration(i)*20*time.Second), usage("a"))
	}
	s := w.Samples("a")
	if len(s) != 3 || !s[0].Time.Equal(t0.Add(40*time.Second)) ||
		!s[2].Time.Equal(t0.Add(80*time.Second)) {
		t.Fatalf("window %+v, want the last 3 samples, oldest first", s)
	}
	s[0].RssKB = 999
	if w.Samples("a")[0].RssKB == 999 {
		t.Error("Samples shares the window's memory")
	}
	if w.Samples("nobody") != nil {
		t.Error("an unknown container has samples")
	}
}

func TestReset(t *testing.T) {
	w := New(3, time.Minute)
	w.Add(t0, usage("a", "b"))
	w.Add(t0.Add(time.Second), usage("a", "b"))
	w.Reset("a")
	w.Reset("nobody")
	if len(w.Samples("a")) != 0 || len(w.Samples("b")) != 2 {
		t.Fatalf("after Reset(a): a %v, b %v", w.Samples("a"), w.Samples("b"))
	}
	w.Add(t0.Add(2*time.Second), usage("a"))
	if s := w.Samples("a"); len(s) != 1 || !s[0].Time.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("a after a new sample: %v", s)
	}
}

func TestWindowForgetsUnseen(t *testing.T) {
	w := New(3, time.Minute)
	w.Add(t0, usage("a", "b"))
	for i := 1; i <= 2; i++ {
		w.Add(t0.Add(time.Duration(i)*time.Second), usage("a"))
		if len(w.Samples("b")) != 1 {
			t.Fatalf("tick %d: b forgotten too early", i)
		}
	}
	w.Add(t0.Add(3*time.Second), usage("a"))
	if w.Samples("b") != nil || w.Containers() != 1 {
		t.Fatalf("b still held after 3 ticks unseen; %d containers", w.Containers())
	}
}

func TestWindowBounded(t *testing.T) {
	w := New(6, time.Minute)
	for i := range 1000 {
		w.Add(t0.Add(time.Duration(i)*time.Second), usage(fmt.Sprint(i), fmt.Sprint(i+1)))
		w.Started(fmt.Sprint(i), "low", t0.Add(time.Duration(i)*time.Second))
		w.Removed(fmt.Sprint(i-1), t0.Add(time.Duration(i)*time.Second))
		w.Churn(t0.Add(time.Duration(i) * time.Second))
	}
	if w.Containers() > 7 || len(w.started) > 61 || len(w.churn) > 61 {
		t.Fatalf("grows: %d containers, %d start marks, %d churn", w.Containers(),
			len(w.started), len(w.churn))
	}
}

func TestChurn(t *testing.T) {
	w := New(6, time.Minute)
	w.Started("a", "high", t0)
	w.Started("b", "high", t0)
	w.Started("c", "low", t0)
	w.Removed("a", t0.Add(30*time.Second))    // churn
	w.Removed("b", t0.Add(2*time.Minute))     // started too long ago
	w.Removed("foreign", t0.Add(time.Second)) // not started by vigia
	w.Removed("c", t0.Add(50*time.Second))    // churn
	if got := w.Churn(t0.Add(70 * time.Second)); got["high"] != 1 || got["low"] != 1 {
		t.Fatalf("churn %v, want high 1, low 1", got)
	}
	if got := w.Churn(t0.Add(95 * time.Second)); got["high"] != 0 || got["low"] != 1 {
		t.Fatalf("churn %v: the high one left the span", got)
	}
	if got := w.Churn(t0.Add(10 * time.Minute)); len(got) != 0 {
		t.Fatalf("churn %v long after", got)
	}
}

func TestNote(t *testing.T) {
	w := New(3, time.Minute)
	if w.Note("a", "leak") {
		t.Error("noted a container the window does not hold")
	}
	w.Add(t0, usage("a"))
	if !w.Note("a", "leak") || w.Note("a", "leak") || !w.Note("a", "") || !w.Note("a", "leak") {
		t.Error("Note does not report exactly the changes")
	}
}
