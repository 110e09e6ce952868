// Package report draws the HTML report of a soak run from its results file
// (soak.ReadResults): one self-contained page, charts drawn by gonum/plot as
// inline SVG (no JavaScript, nothing fetched), the summary figures, the checks
// of the whole run and a table of every tick with the result of each check.
//
// Limitations: a very long run makes a long tick table (one row per tick;
// about 200 bytes each, so an hour at a 2 s tick is well under a megabyte).
package report

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"vigia/internal/soak"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"mib":   func(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) },
	"bytes": humanBytes,
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
}).Parse(pageText))

// figure is one named number of the summary.
type figure struct{ Name, Value string }

// svgChart is a chart ready for the page.
type svgChart struct {
	Title, Caption string
	SVG            template.HTML
}

// tickRow is one row of the tick table.
type tickRow struct {
	Obs    soak.Observation
	Offset string // mm:ss since the start
	Cells  []cell
}

type cell struct {
	Status soak.Status
	Detail string
}

// view is what the template draws.
type view struct {
	Verdict    string
	Meta       map[string]string
	Summary    []figure
	Charts     []svgChart
	RunChecks  []soak.Check
	Failed     []soak.Check
	CheckNames []string
	Ticks      []tickRow
	Generator  []soak.GeneratorRun
}

// Render writes the report of r to w.
func Render(w io.Writer, r *soak.Results) error {
	v, err := build(r)
	if err != nil {
		return err
	}
	return page.Execute(w, v)
}

// WriteFile renders the report to path atomically (temp file, rename).
func WriteFile(path string, r *soak.Results) error {
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// FromFile reads a results file and writes its report to out.
func FromFile(ctx context.Context, results, out string) error {
	r, err := soak.ReadResults(ctx, results)
	if err != nil {
		return err
	}
	return WriteFile(out, r)
}

func build(r *soak.Results) (*view, error) {
	v := &view{Verdict: r.Meta["verdict"], Meta: r.Meta, Failed: r.Failed(),
		Generator: r.Generator}
	if v.Verdict == "" {
		v.Verdict = "unknown"
	}
	t0 := start(r)
	keepLow, _ := strconv.Atoi(r.Meta["keep_low"])
	keepHigh, _ := strconv.Atoi(r.Meta["keep_high"])
	for _, c := range charts(r, t0, keepLow, keepHigh) {
		svg, err := c.svg()
		if err != nil {
			return nil, err
		}
		v.Charts = append(v.Charts, svgChart{Title: c.Title, Caption: c.Caption,
			SVG: template.HTML(stripXMLHeader(svg))}) // drawn by gonum/plot, no user text
	}
	v.Summary = summary(r)
	v.RunChecks, v.CheckNames, v.Ticks = tickTable(r, t0)
	return v, nil
}

// start is the run's start time, or the first observation's when the meta
// does not say.
func start(r *soak.Results) time.Time {
	if t, err := time.Parse(time.RFC3339, r.Meta["started"]); err == nil {
		return t
	}
	if len(r.Observations) > 0 {
		return r.Observations[0].Seen
	}
	return time.Time{}
}

// stripXMLHeader drops the <?xml ...?> line so the SVG can sit inside HTML.
func stripXMLHeader(svg []byte) []byte {
	if bytes.HasPrefix(svg, []byte("<?xml")) {
		if i := bytes.Index(svg, []byte("?>")); i >= 0 {
			return bytes.TrimSpace(svg[i+2:])
		}
	}
	return svg
}

// tickTable splits the checks into the run's (tick 0) and a row per tick.
func tickTable(r *soak.Results, t0 time.Time) ([]soak.Check, []string, []tickRow) {
	var run []soak.Check
	var names []string
	seen := map[string]bool{}
	byTick := map[int64]map[string]soak.Check{}
	for _, c := range r.Checks {
		if c.TickID == 0 {
			run = append(run, c)
			continue
		}
		if !seen[c.Name] {
			seen[c.Name] = true
			names = append(names, c.Name)
		}
		if byTick[c.TickID] == nil {
			byTick[c.TickID] = map[string]soak.Check{}
		}
		byTick[c.TickID][c.Name] = c
	}
	rows := make([]tickRow, 0, len(r.Observations))
	for _, o := range r.Observations {
		off := o.Seen.Sub(t0).Round(time.Second)
		row := tickRow{Obs: o, Offset: fmt.Sprintf("%02d:%02d", int(off.Minutes()),
			int(off.Seconds())%60)}
		for _, n := range names {
			c, ok := byTick[o.TickID][n]
			if !ok {
				row.Cells = append(row.Cells, cell{Status: soak.Skip, Detail: "not recorded"})
				continue
			}
			row.Cells = append(row.Cells, cell{Status: c.Status, Detail: c.Detail})
		}
		rows = append(rows, row)
	}
	return run, names, rows
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
