package policy

import (
	"math"
	"strings"
	"testing"
	"time"
)

// hostKB is the memory of the test host: 8 GiB, so 1% is 83,886 KiB.
const hostKB = 8 << 20

// series builds a window of samples 20 s apart; a negative cpu is unknown.
func series(rss []uint64, cpu []float64) []Sample {
	n := max(len(rss), len(cpu))
	out := make([]Sample, n)
	for i := range n {
		out[i].Time = epoch.Add(time.Duration(i) * 20 * time.Second)
		if i < len(rss) {
			out[i].RssKB = rss[i]
		}
		if i < len(cpu) && cpu[i] >= 0 {
			out[i].CPUPct = f(cpu[i])
		}
	}
	return out
}

// grow is rss growing by step KiB per sample, n samples.
func grow(start, step uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = start + uint64(i)*step
	}
	return out
}

func flat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func patterns(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Pattern+"/"+f.Resource)
	}
	return strings.Join(out, ",")
}

func TestDetect(t *testing.T) {
	calm := ThresholdsFor(Host{MemTotalKB: hostKB, MemUsedPct: 30}, Bounds{})
	tense := ThresholdsFor(Host{MemTotalKB: hostKB, MemUsedPct: 95}, Bounds{}) // x0.5
	// 1% of 8 GiB a minute is 27,962 KiB per 20 s sample.
	tests := []struct {
		name  string
		class string
		h     []Sample
		th    Thresholds
		want  string // pattern/resource, in Detect's order
		text  string // in the first finding's text
	}{
		{"no history", ClassHigh, nil, calm, "", ""},
		{"steady growth of 2%/min is a leak", ClassHigh,
			series(grow(256<<10, 55924, 6), flat(1, 6)), calm, "leak/memory",
			"memory grows 2.00% of host memory/min"},
		{"growth of 0.8%/min is below the bound", ClassHigh,
			series(grow(256<<10, 22370, 6), flat(1, 6)), calm, "", ""},
		{"the same growth is a leak under pressure", ClassHigh,
			series(grow(256<<10, 22370, 6), flat(1, 6)), tense, "leak/memory",
			"> leak bound 0.50%/min"},
		{"too few samples for a leak", ClassHigh, series(grow(256<<10, 55924, 3), nil), calm,
			"", ""},
		{"one jump is not steady growth", ClassHigh,
			series([]uint64{100 << 10, 100 << 10, 100 << 10, 100 << 10, 100 << 10, 900 << 10},
				flat(1, 6)), calm, "", ""},
		{"shrinking memory is no leak", ClassHigh,
			series([]uint64{900 << 10, 800 << 10, 700 << 10, 600 << 10}, nil), calm, "", ""},
		{"1.8 of 2 CPUs sustained", ClassHigh, series(nil, flat(180, 6)), calm, "cpu/cpu",
			"cpu 90.0% of host sustained over 6 samples > cpu bound 75.0%"},
		{"one burst is not sustained", ClassHigh,
			series(nil, []float64{10, 10, 190, 10, 10, 10}), calm, "", ""},
		{"three in four above and the mean above", ClassHigh,
			series(nil, []float64{190, 190, 100, 190}), calm, "cpu/cpu", ""},
		{"unknown rates are left out", ClassHigh,
			series(nil, []float64{-1, 190, 190, 190}), calm, "", ""},
		{"one CPU is within the bound", ClassHigh, series(nil, flat(100, 6)), calm, "", ""},
		{"one CPU crosses it under full pressure", ClassHigh, series(nil, flat(100, 6)), tense,
			"cpu/cpu", "> cpu bound 37.5%"},
		{"a low that burns CPU behaves like a high", ClassLow, series(nil, flat(60, 6)), calm,
			"mismatch/cpu", "labelled low but behaves like a high: cpu 30.0% of host"},
		{"a high that burns the same is in its class", ClassHigh, series(nil, flat(60, 6)), calm,
			"", ""},
		{"a low holding 1% of memory behaves like a high", ClassLow,
			series(flat64(hostKB/100, 5), flat(0, 5)), calm, "mismatch/memory",
			"memory 1.00% of host sustained > low mem bound 0.50%"},
		{"an idle low is fine", ClassLow, series(flat64(512, 6), flat(0.1, 6)), calm, "", ""},
		{"verdict changing each sample flaps", ClassLow,
			series(nil, []float64{0, 60, 0, 60, 0, 60}), calm, "flapping/",
			"flapping: behaved low/high in turn, 5 changes in 6 samples (bound 3)"},
		{"two changes do not flap", ClassLow, series(nil, []float64{0, 60, 60, 60, 0, 0}), calm,
			"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Container{ID: "x", Class: tt.class, History: tt.h}
			fs := Detect(c, tt.th, 2, hostKB)
			if got := patterns(fs); got != tt.want {
				t.Fatalf("patterns %q, want %q (%+v)", got, tt.want, fs)
			}
			if tt.text != "" && !strings.Contains(fs[0].Text, tt.text) {
				t.Errorf("text %q does not say %q", fs[0].Text, tt.text)
			}
			for _, f := range fs {
				if f.Threshold == "" || f.Bound <= 0 || f.Value <= f.Bound && f.Offending() {
					t.Errorf("finding without its threshold or below it: %+v", f)
				}
			}
		})
	}
}

func flat64(v uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestFitLine(t *testing.T) {
	tests := []struct {
		name      string
		xs, ys    []float64
		slope, r2 float64
		ok        bool
	}{
		{"exact line", []float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}, 2, 1, true},
		{"flat", []float64{0, 1, 2}, []float64{4, 4, 4}, 0, 1, true},
		{"one x", []float64{5, 5, 5}, []float64{1, 2, 3}, 0, 0, false},
		{"noise", []float64{0, 1, 2, 3}, []float64{0, 1, 0, 1}, 0.2, 0.2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slope, r2, ok := fitLine(tt.xs, tt.ys)
			if ok != tt.ok || math.Abs(slope-tt.slope) > 1e-9 || math.Abs(r2-tt.r2) > 1e-9 {
				t.Errorf("fitLine = %v, %v, %v; want %v, %v, %v", slope, r2, ok, tt.slope, tt.r2,
					tt.ok)
			}
		})
	}
}

func TestCapFor(t *testing.T) {
	cpuF := Finding{Pattern: PatternCPU, Resource: ResourceCPU, Bound: 50}
	lowF := Finding{Pattern: PatternMismatch, Resource: ResourceCPU, Bound: 5}
	memF := Finding{Pattern: PatternLeak, Resource: ResourceMemory, Bound: 1}
	flapF := Finding{Pattern: PatternFlapping, Bound: 3}
	tests := []struct {
		name string
		c    Container
		fs   []Finding
		want Limits
		ok   bool
	}{
		{"cpu to 90% of the bound: 50% of 2 CPUs", Container{}, []Finding{cpuF},
			Limits{CPUs: 0.9}, true},
		{"the tighter of two cpu bounds", Container{}, []Finding{cpuF, lowF},
			Limits{CPUs: 0.09}, true},
		{"memory: resident + 25%, whole MiB", Container{RssKB: 100 << 10}, []Finding{memF},
			Limits{MemoryBytes: 125 << 20}, true},
		{"memory: at least 8 MiB", Container{RssKB: 300}, []Finding{memF},
			Limits{MemoryBytes: 8 << 20}, true},
		{"memory already limited: not again", Container{RssKB: 100 << 10,
			Limits: Limits{MemoryBytes: 200 << 20}}, []Finding{memF}, Limits{}, false},
		{"cpu already at the bound", Container{Limits: Limits{CPUs: 0.9}}, []Finding{cpuF},
			Limits{}, false},
		{"cpu bound tighter than the cap in force", Container{Limits: Limits{CPUs: 1.5}},
			[]Finding{cpuF}, Limits{CPUs: 0.9}, true},
		{"a bound a little tighter: not capped again", Container{Limits: Limits{CPUs: 1.1}},
			[]Finding{cpuF}, Limits{}, false},
		{"flapping alone caps nothing", Container{}, []Finding{flapF}, Limits{}, false},
		{"both resources", Container{RssKB: 64 << 10}, []Finding{memF, cpuF},
			Limits{MemoryBytes: 80 << 20, CPUs: 0.9}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := capFor(tt.c, tt.fs, 2)
			if got != tt.want || ok != tt.ok {
				t.Errorf("capFor = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
