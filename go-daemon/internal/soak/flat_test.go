package soak

import (
	"math"
	"strings"
	"testing"
	"time"
)

// ramp returns n points one second apart from v0, growing by step each.
func ramp(n int, v0, step float64) []Point {
	t0 := time.Unix(1_700_000_000, 0)
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{T: t0.Add(time.Duration(i) * time.Second), V: v0 + step*float64(i)}
	}
	return pts
}

func TestFlatRuleJudge(t *testing.T) {
	rule := FlatRule{Factor: 1.2, Slack: 10, MinPoints: 5, Unit: "KiB"}
	spikeEarly := ramp(100, 1000, 0)
	for i := 0; i < 10; i++ {
		spikeEarly[i].V = 5000 // start-up, inside the warm-up
	}
	noisy := ramp(100, 1000, 0)
	for i := range noisy {
		noisy[i].V += float64(i%7) * 10
	}
	tests := []struct {
		name   string
		rule   FlatRule
		pts    []Point
		ok     bool
		detail string
	}{
		{"constant", rule, ramp(100, 1000, 0), true, "limit 1210 KiB"},
		{"fast leak: max(A) holds half of it", rule, ramp(100, 30000, 500), false, ""},
		{"noise within the factor", rule, noisy, true, ""},
		{"steady leak", rule, ramp(100, 1000, 10), false, "max second half 1990 KiB"},
		{"leak smaller than the slack", rule, ramp(100, 1000, 0.01), true, ""},
		{"no samples", rule, nil, false, "not measured"},
		{"too few samples", rule, ramp(6, 1000, 0), false, "want at least 10"},
		{"start-up spike inside the warm-up", FlatRule{Factor: 1.2, Slack: 10, MinPoints: 5,
			Warmup: 10 * time.Second}, spikeEarly, true, ""},
		{"start-up spike without warm-up: first half holds it", rule, spikeEarly, true, ""},
		{"everything in the warm-up", FlatRule{Factor: 1.2, MinPoints: 5,
			Warmup: time.Hour}, ramp(100, 1, 0), false, "after the 1h0m0s warm-up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.rule.Judge(tt.pts)
			if v.OK != tt.ok {
				t.Fatalf("OK = %v, want %v (%s)", v.OK, tt.ok, v.Detail)
			}
			if !strings.Contains(v.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", v.Detail, tt.detail)
			}
		})
	}
}

func TestSlopePerHour(t *testing.T) {
	tests := []struct {
		name string
		pts  []Point
		want float64
	}{
		{"one per second", ramp(60, 5, 1), 3600},
		{"flat", ramp(60, 5, 0), 0},
		{"falling", ramp(60, 100, -0.5), -1800},
		{"one point", ramp(1, 5, 1), 0},
		{"same time", []Point{{T: time.Unix(1, 0), V: 1}, {T: time.Unix(1, 0), V: 9}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SlopePerHour(tt.pts); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("SlopePerHour = %v, want %v", got, tt.want)
			}
		})
	}
}
