package report

import (
	"fmt"
	"strconv"

	"vigia/internal/soak"
)

// Figures are the summary numbers of a run, all measured by the harness.
type Figures struct {
	Ticks, QuietTicks     int
	Removed, Started, Cap int
	GeneratorRuns         int
	Generated             int // containers the generator reported started
	PeakRSSKB             int64
	PeakGoroutines        int64 // -1 when never exposed
	PeakFDs               int
	FinalDBBytes          int64
	PeakDBBytes           int64
	PeakMemUsedKB         int64
	ChecksPassed          int
	ChecksFailed          int
	ChecksSkipped         int
}

// Summarize computes the figures of r.
func Summarize(r *soak.Results) Figures {
	f := Figures{PeakGoroutines: -1, GeneratorRuns: len(r.Generator)}
	for _, g := range r.Generator {
		f.Generated += g.Started
	}
	for _, o := range r.Observations {
		f.Ticks++
		if o.Quiet {
			f.QuietTicks++
		}
		f.Removed += o.Removed
		f.Started += o.Started
		f.Cap += o.Caps
		f.PeakRSSKB = max(f.PeakRSSKB, o.RSSKB)
		f.PeakGoroutines = max(f.PeakGoroutines, o.Goroutines)
		f.PeakFDs = max(f.PeakFDs, o.FDs)
		f.PeakDBBytes = max(f.PeakDBBytes, o.DBBytes)
		f.PeakMemUsedKB = max(f.PeakMemUsedKB, o.MemUsedKB)
		f.FinalDBBytes = o.DBBytes
	}
	for _, c := range r.Checks {
		switch c.Status {
		case soak.Pass:
			f.ChecksPassed++
		case soak.Fail:
			f.ChecksFailed++
		default:
			f.ChecksSkipped++
		}
	}
	return f
}

func summary(r *soak.Results) []figure {
	f := Summarize(r)
	gor := "not exposed"
	if f.PeakGoroutines >= 0 {
		gor = strconv.FormatInt(f.PeakGoroutines, 10)
	}
	return []figure{
		{"Ticks observed", fmt.Sprintf("%d (%d quiet, judged for counts)", f.Ticks, f.QuietTicks)},
		{"Containers removed by the daemon", strconv.Itoa(f.Removed)},
		{"Containers started by the daemon", strconv.Itoa(f.Started)},
		{"Caps applied", strconv.Itoa(f.Cap)},
		{"Generator runs", fmt.Sprintf("%d (%d containers)", f.GeneratorRuns, f.Generated)},
		{"Peak daemon RSS", fmt.Sprintf("%.1f MiB", float64(f.PeakRSSKB)/1024)},
		{"Peak daemon goroutines", gor},
		{"Peak daemon open files", strconv.Itoa(f.PeakFDs)},
		{"Database size (final / peak)", humanBytes(f.FinalDBBytes) + " / " +
			humanBytes(f.PeakDBBytes)},
		{"Peak host memory in use", fmt.Sprintf("%.0f MiB", float64(f.PeakMemUsedKB)/1024)},
		{"Checks", fmt.Sprintf("%d passed, %d failed, %d not judged", f.ChecksPassed,
			f.ChecksFailed, f.ChecksSkipped)},
	}
}
