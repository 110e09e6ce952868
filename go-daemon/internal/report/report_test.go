package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigia/internal/soak"
)

// fixture is a small run: a tick per 2 s, a generator batch every 10 s, one
// failed check at tick 3 and one failed run check.
func fixture(ticks int) *soak.Results {
	t0 := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	r := &soak.Results{Meta: map[string]string{"run_id": "soak-fixture", "verdict": "fail",
		"started": t0.Format(time.RFC3339), "keep_low": "3", "keep_high": "2", "tick": "2s",
		"host": "<script>alert(1)</script>"}}
	for i := 1; i <= ticks; i++ {
		at := t0.Add(time.Duration(i) * 2 * time.Second)
		quiet := i%5 != 0
		o := soak.Observation{TickID: int64(i), TickTime: at.Truncate(time.Second), Seen: at,
			Quiet: quiet, Low: 3, High: 2, DaemonLow: 3, DaemonHigh: 2, MemUsedKB: 5_000_000,
			MemTotalKB: 24_000_000, RSSKB: 30_000 + int64(i), Goroutines: 20, FDs: 15,
			Threads: 8, DBBytes: 3 << 20, OldestRow: time.Duration(i) * time.Second}
		if !quiet {
			o.High, o.Removed = 7, 5
		}
		if i == 4 {
			o.Caps = 1
		}
		r.Observations = append(r.Observations, o)
		for _, name := range []string{"tick_ok", "counts", "standins"} {
			c := soak.Check{TickID: int64(i), Name: name, Status: soak.Pass, Detail: "fine"}
			if name == "counts" && !quiet {
				c.Status, c.Detail = soak.Skip, "not judged"
			}
			if i == 3 && name == "standins" {
				c.Status, c.Detail = soak.Fail, "foreign <b>gone</b>"
			}
			r.Checks = append(r.Checks, c)
		}
	}
	r.Checks = append(r.Checks, soak.Check{Name: "rss_flat", Status: soak.Fail, Detail: "grew"},
		soak.Check{Name: "cron_removed", Status: soak.Pass, Detail: "gone"})
	r.Generator = []soak.GeneratorRun{{Start: t0, End: t0.Add(8 * time.Second), Started: 10}}
	return r
}

func TestRenderPage(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, fixture(30)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<span class="fail">fail</span>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;", // meta is escaped
		"foreign &lt;b&gt;gone&lt;/b&gt;",       // check details are escaped
		"<td>rss_flat</td><td>grew</td>",        // failed run check listed
		"Containers running per class", "Host memory", "Removals, starts and caps",
		"Daemon memory", "Daemon goroutines", "Database size",
		"<th>Caps applied</th><td>1</td>",
		"<th>Containers removed by the daemon</th><td>30</td>",
		"<th>Ticks observed</th><td>30 (24 quiet, judged for counts)</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("page holds a script element: it must work offline without JavaScript")
	}
	if n := strings.Count(page, `<tr><td class="num">`); n < 30 {
		t.Errorf("%d tick rows, want 30", n)
	}
	if n := strings.Count(page, `<td class="c pass" title=`); n != 0 {
		t.Errorf("%d passed cells carry their detail, want none (the page stays small)", n)
	}
	if n := strings.Count(page, `class="c fail"`); n != 1 {
		t.Errorf("%d failed cells in the tick table, want 1", n)
	}
	svgs := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1)
	if len(svgs) != 6 {
		t.Fatalf("%d charts, want 6", len(svgs))
	}
	for i, s := range svgs {
		if err := wellFormed(s); err != nil {
			t.Errorf("chart %d is not well-formed XML: %v", i, err)
		}
		if !strings.Contains(s, "<path") && !strings.Contains(s, "<polyline") {
			t.Errorf("chart %d draws no line", i)
		}
	}
}

func wellFormed(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestRenderEmptyRun draws a run that never ticked (the daemon failed at
// start-up): the page must still come out, saying so.
func TestRenderEmptyRun(t *testing.T) {
	r := &soak.Results{Meta: map[string]string{"run_id": "soak-empty"},
		Checks: []soak.Check{{Name: "daemon_exit", Status: soak.Fail, Detail: "exit status 1"}}}
	var buf bytes.Buffer
	if err := Render(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unknown", "daemon_exit", "exit status 1", "0 (0 quiet"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestFromFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	results := filepath.Join(dir, "results.db")
	if err := soak.WriteResults(ctx, results, fixture(12)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "html", "report.html")
	if err := FromFile(ctx, results, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("soak-fixture")) || bytes.Count(data, []byte("<svg")) != 6 {
		t.Errorf("report from file is incomplete (%d bytes)", len(data))
	}
	if err := FromFile(ctx, filepath.Join(dir, "none.db"), out); err == nil {
		t.Error("no error for a missing results file")
	}
}

func TestSummarize(t *testing.T) {
	f := Summarize(fixture(30))
	want := Figures{Ticks: 30, QuietTicks: 24, Removed: 30, Cap: 1, GeneratorRuns: 1,
		Generated: 10, PeakRSSKB: 30_030, PeakGoroutines: 20, PeakFDs: 15,
		FinalDBBytes: 3 << 20, PeakDBBytes: 3 << 20, PeakMemUsedKB: 5_000_000,
		ChecksPassed: 30 + 24 + 29 + 1, ChecksFailed: 2, ChecksSkipped: 6}
	if f != want {
		t.Errorf("Summarize:\n got %+v\nwant %+v", f, want)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// Example output for people: go test -run TestWriteSample -sample=/tmp/r.html
func TestWriteSample(t *testing.T) {
	out := os.Getenv("VIGIA_REPORT_SAMPLE")
	if out == "" {
		t.Skip("set VIGIA_REPORT_SAMPLE=FILE to write a sample report")
	}
	if err := WriteFile(out, fixture(90)); err != nil {
		t.Fatal(err)
	}
	fmt.Println("wrote", out)
}
