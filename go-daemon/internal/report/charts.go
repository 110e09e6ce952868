package report

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"vigia/internal/soak"
)

// Chart size in the page.
const (
	chartWidth  = 16 * vg.Centimeter
	chartHeight = 8 * vg.Centimeter
)

// A colour-blind-safe palette (Okabe and Ito).
var (
	blue   = color.RGBA{0, 114, 178, 255}
	orange = color.RGBA{230, 159, 0, 255}
	green  = color.RGBA{0, 158, 115, 255}
	red    = color.RGBA{213, 94, 0, 255}
	purple = color.RGBA{204, 121, 167, 255}
	grey   = color.RGBA{120, 120, 120, 255}
)

// series is one line of a chart.
type series struct {
	name   string
	colour color.Color
	dashed bool
	pts    plotter.XYs
}

// chart is one titled plot of lines over the run's minutes.
type chart struct {
	Title, YLabel string
	Caption       string
	lines         []series
}

// svg draws the chart as an SVG document.
func (c chart) svg() ([]byte, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = "minutes since the start of the run"
	p.Y.Label.Text = c.YLabel
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for _, s := range c.lines {
		if len(s.pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.pts)
		if err != nil {
			return nil, fmt.Errorf("chart %q, line %q: %w", c.Title, s.name, err)
		}
		l.Color = s.colour
		l.Width = vg.Points(1.5)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	// Head room, so the legend in the top right corner does not hide lines.
	p.Y.Max = max(p.Y.Max*1.4, 1)
	w, err := p.WriterTo(chartWidth, chartHeight, "svg")
	if err != nil {
		return nil, fmt.Errorf("chart %q: %w", c.Title, err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %q: %w", c.Title, err)
	}
	return buf.Bytes(), nil
}

// line turns the observations into one series of f, skipping the points f
// rejects.
func line(obs []soak.Observation, t0 time.Time, f obsFunc) plotter.XYs {
	pts := make(plotter.XYs, 0, len(obs))
	for _, o := range obs {
		if v, ok := f(o); ok {
			pts = append(pts, plotter.XY{X: o.Seen.Sub(t0).Minutes(), Y: v})
		}
	}
	return pts
}

// flatAt draws a constant over the run's span.
func flatAt(obs []soak.Observation, t0 time.Time, v float64) plotter.XYs {
	if len(obs) == 0 {
		return nil
	}
	return plotter.XYs{{X: obs[0].Seen.Sub(t0).Minutes(), Y: v},
		{X: obs[len(obs)-1].Seen.Sub(t0).Minutes(), Y: v}}
}

// cumulative sums f over the observations.
func cumulative(obs []soak.Observation, t0 time.Time, f func(soak.Observation) int) plotter.XYs {
	sum := 0
	return line(obs, t0, func(o soak.Observation) (float64, bool) {
		sum += f(o)
		return float64(sum), true
	})
}

// obsFunc picks one figure of an observation; false skips the point.
type obsFunc func(soak.Observation) (float64, bool)

func of(f func(soak.Observation) float64) obsFunc {
	return func(o soak.Observation) (float64, bool) { return f(o), true }
}

// whenAlive keeps the points where the daemon's process was measured.
func whenAlive(f func(soak.Observation) float64) obsFunc {
	return func(o soak.Observation) (float64, bool) { return f(o), o.RSSKB > 0 }
}

const kibPerMiB = 1024.0

// charts builds every chart of the report.
func charts(r *soak.Results, t0 time.Time, keepLow, keepHigh int) []chart {
	obs := r.Observations
	ln := func(name string, c color.Color, f obsFunc) series {
		return series{name: name, colour: c, pts: line(obs, t0, f)}
	}
	sum := func(name string, c color.Color, f func(soak.Observation) int) series {
		return series{name: name, colour: c, pts: cumulative(obs, t0, f)}
	}
	target := func(name string, c color.Color, v int) series {
		return series{name: name, colour: c, dashed: true, pts: flatAt(obs, t0, float64(v))}
	}
	memory := func(f func(soak.Observation) int64) obsFunc {
		return func(o soak.Observation) (float64, bool) {
			return float64(f(o)) / kibPerMiB, o.MemTotalKB > 0
		}
	}
	return []chart{
		{Title: "Containers running per class", YLabel: "containers",
			Caption: "The run's containers as Docker listed them right after each tick " +
				"(busy ticks included: the spikes are the generator's batches before " +
				"the daemon's next tick). Dashed: the targets.",
			lines: []series{
				ln("low", blue, of(func(o soak.Observation) float64 { return float64(o.Low) })),
				ln("high", orange, of(func(o soak.Observation) float64 { return float64(o.High) })),
				ln("not running", purple,
					of(func(o soak.Observation) float64 { return float64(o.NotRunning) })),
				target("keep low", blue, keepLow),
				target("keep high", orange, keepHigh),
			}},
		{Title: "Host memory", YLabel: "MiB",
			Caption: "From the daemon's memory samples (the sensor's view of the host).",
			lines: []series{
				ln("in use", purple, memory(func(o soak.Observation) int64 { return o.MemUsedKB })),
				{name: "total", colour: grey, dashed: true, pts: line(obs, t0,
					memory(func(o soak.Observation) int64 { return o.MemTotalKB }))},
			}},
		{Title: "Removals, starts and caps (cumulative)", YLabel: "actions",
			Caption: "Containers the daemon stopped and removed, started and capped, " +
				"summed over the run.",
			lines: []series{
				sum("removed", red, func(o soak.Observation) int { return o.Removed }),
				sum("started", green, func(o soak.Observation) int { return o.Started }),
				sum("capped", purple, func(o soak.Observation) int { return o.Caps }),
			}},
		{Title: "Daemon memory", YLabel: "MiB",
			Caption: "VmRSS of the daemon's process (/proc/<pid>/status).",
			lines: []series{ln("RSS", blue, whenAlive(func(o soak.Observation) float64 {
				return float64(o.RSSKB) / kibPerMiB
			}))}},
		{Title: "Daemon goroutines, threads and open files", YLabel: "count",
			Caption: "Goroutines from the daemon's /debug/vars; threads and open files " +
				"from /proc/<pid>.",
			lines: []series{
				ln("goroutines", orange, func(o soak.Observation) (float64, bool) {
					return float64(o.Goroutines), o.RSSKB > 0 && o.Goroutines >= 0
				}),
				ln("threads", grey, whenAlive(func(o soak.Observation) float64 {
					return float64(o.Threads)
				})),
				ln("open files", green, whenAlive(func(o soak.Observation) float64 {
					return float64(o.FDs)
				})),
			}},
		{Title: "Database size", YLabel: "MiB",
			Caption: "The daemon's database with its -wal and -shm files; pruning by the " +
				"retention keeps it bounded.",
			lines: []series{ln("size", purple, of(func(o soak.Observation) float64 {
				return float64(o.DBBytes) / (1 << 20)
			}))}},
	}
}
