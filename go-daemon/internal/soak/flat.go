package soak

import (
	"fmt"
	"slices"
	"time"
)

// Point is one value of a figure at one time.
type Point struct {
	T time.Time
	V float64
}

// FlatRule says when a figure of the daemon (memory, goroutines, open files,
// database size) counts as flat, that is, not leaking.
//
// The points after Warmup (measured from the first point) are cut at the
// middle of their time span into a first half A and a second half B. The
// figure is flat when
//
//	max(B) <= max(A) + (Factor-1) * median(A) + Slack
//
// that is, the second half may top the first by a share of the figure's
// usual level plus a fixed slack. A leak that grows steadily over the run
// raises max(B) past that; noise and caches that fill early do not. (Scaling
// max(A) itself by Factor would let a fast leak pass: max(A) already holds
// half of it. The unit tests have that case.) Fewer than MinPoints points in
// either half cannot show anything: the rule then fails, saying so.
type FlatRule struct {
	Factor    float64
	Slack     float64
	Warmup    time.Duration
	MinPoints int
	Unit      string // for the detail text: "KiB", "goroutines", ...
}

// Verdict is the outcome of a check.
type Verdict struct {
	OK     bool
	Detail string
}

// Judge applies the rule to points, which must be in time order.
func (r FlatRule) Judge(points []Point) Verdict {
	if len(points) == 0 {
		return Verdict{Detail: "no samples: the figure was not measured"}
	}
	start := points[0].T.Add(r.Warmup)
	var kept []Point
	for _, p := range points {
		if !p.T.Before(start) {
			kept = append(kept, p)
		}
	}
	minPoints := max(r.MinPoints, 1)
	if len(kept) < 2*minPoints {
		return Verdict{Detail: fmt.Sprintf("%d samples after the %s warm-up, want at least %d: "+
			"run longer", len(kept), r.Warmup, 2*minPoints)}
	}
	mid := kept[0].T.Add(kept[len(kept)-1].T.Sub(kept[0].T) / 2)
	var a, b []float64
	for _, p := range kept {
		if p.T.Before(mid) {
			a = append(a, p.V)
		} else {
			b = append(b, p.V)
		}
	}
	if len(a) < minPoints || len(b) < minPoints {
		return Verdict{Detail: fmt.Sprintf("halves of %d and %d samples, want at least %d each",
			len(a), len(b), minPoints)}
	}
	maxA, maxB := slices.Max(a), slices.Max(b)
	limit := maxA + (r.Factor-1)*median(a) + r.Slack
	detail := fmt.Sprintf("max first half %s, max second half %s, limit %s (+%.0f%% of the "+
		"first half's median + %s); trend %s per hour", r.format(maxA), r.format(maxB),
		r.format(limit), (r.Factor-1)*100, r.format(r.Slack), r.format(SlopePerHour(kept)))
	return Verdict{OK: maxB <= limit, Detail: detail}
}

func (r FlatRule) format(v float64) string {
	if r.Unit == "" {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.0f %s", v, r.Unit)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// SlopePerHour is the least-squares slope of points, in value per hour; 0 for
// fewer than two distinct times.
func SlopePerHour(points []Point) float64 {
	if len(points) < 2 {
		return 0
	}
	t0 := points[0].T
	var sx, sy, sxx, sxy float64
	for _, p := range points {
		x := p.T.Sub(t0).Hours()
		sx += x
		sy += p.V
		sxx += x * x
		sxy += x * p.V
	}
	n := float64(len(points))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
