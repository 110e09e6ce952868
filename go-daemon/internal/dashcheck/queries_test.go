package dashcheck

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigia/internal/store"
)

// The simulated history: three hours of ticks; the dashboards are checked on
// the middle hour so rows before and after it exist and must stay out.
var (
	simStart  = time.Date(2025, 12, 3, 12, 0, 0, 0, time.UTC)
	simTicks  = 540
	checkFrom = simStart.Add(time.Hour)
	checkTo   = simStart.Add(2 * time.Hour)
	// Tick indexes of two short-lived RAM hogs: one inside the checked range
	// (must top the RAM pie although it was removed at once), one before it
	// (bigger, and must not show).
	spikeInside  = 200 // 12:00 + 200*20 s = 13:06:40
	spikeOutside = 90  // 12:30
)

// seeded is the simulated history, written once for the tests that only read
// it (under -race, writing it takes seconds).
var seeded struct {
	once sync.Once
	dir  string
	path string
	sim  *sim
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seeded.dir != "" {
		os.RemoveAll(seeded.dir)
	}
	os.Exit(code)
}

// seed returns the path of the simulated history's database and the sim that
// wrote it. Callers must not write to it.
func seed(t *testing.T) (string, *sim) {
	t.Helper()
	seeded.once.Do(func() {
		dir, err := os.MkdirTemp("", "dashcheck-")
		if err != nil {
			t.Fatal(err)
		}
		seeded.dir = dir
		s := newSim(simStart, 42)
		s.spikes[spikeInside] = 3 << 20  // 3 GiB
		s.spikes[spikeOutside] = 5 << 20 // 5 GiB
		ticks := make([]*store.Tick, 0, simTicks)
		for i := 0; i < simTicks; i++ {
			ticks = append(ticks, s.tick(i))
		}
		path := filepath.Join(dir, "vigia.db")
		writeTicks(t, path, ticks)
		seeded.path, seeded.sim = path, s
	})
	if seeded.path == "" {
		t.Fatal("the simulated history could not be written (see the first failure)")
	}
	return seeded.path, seeded.sim
}

var realDB = flag.String("dashcheck.db", "", "judge the dashboards on this database "+
	"(opened read-only, for example one the daemon wrote) over the last hour of its ticks, "+
	"instead of on the simulated history")

// TestPanelsAgainstStore runs every target of every dashboard, expanded as the
// plugin expands it, against a database with an hour of realistic data on
// each side of the checked range, and judges each result by its panel type.
// With -dashcheck.db it judges a real database instead.
func TestPanelsAgainstStore(t *testing.T) {
	uid, prefix, options := provisionedDatasource(t)
	path, r := "", Range{From: checkFrom, To: checkTo}
	if *realDB != "" {
		path, r = *realDB, lastHour(t, prefix+*realDB+"?"+options)
		t.Logf("range %s .. %s", r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	} else {
		path, _ = seed(t)
	}
	db := pluginDB(t, prefix+path+"?"+options)
	total := 0
	for _, d := range loadDashboards(t) {
		for _, p := range d.AllPanels() {
			for _, tg := range p.Targets {
				name := fmt.Sprintf("%s/%d-%s/%s", d.UID, p.ID, p.Title, tg.RefID)
				t.Run(name, func(t *testing.T) {
					if errs := Lint(Dashboard{File: d.File, UID: d.UID, Title: d.Title,
						Panels: []Panel{p}}, uid); len(errs) > 0 {
						t.Fatalf("lint: %v", errs)
					}
					e, err := Expand(tg.Query(), r)
					if err != nil {
						t.Fatal(err)
					}
					res, err := Run(context.Background(), db, e.SQL)
					if err != nil {
						t.Fatalf("%v\n%s", err, e.SQL)
					}
					for _, err := range Check(p, tg, res, r, e.Group) {
						t.Errorf("%v\n%s", err, e.SQL)
					}
				})
				total++
			}
		}
	}
	if total < 20 {
		t.Errorf("checked %d targets: the dashboards lost panels", total)
	}
}

// lastHour is the hour up to the newest tick of the database at dsn.
func lastHour(t *testing.T, dsn string) Range {
	t.Helper()
	var last sql.NullInt64
	if err := pluginDB(t, dsn).QueryRow("SELECT MAX(ts) FROM ticks").Scan(&last); err != nil {
		t.Fatal(err)
	}
	if !last.Valid {
		t.Fatalf("%s has no ticks", dsn)
	}
	to := time.Unix(last.Int64, 0)
	return Range{From: to.Add(-time.Hour), To: to}
}

// panelResult runs the one target of the titled panel of a dashboard.
func panelResult(t *testing.T, path, dashUID, title string, r Range) Result {
	t.Helper()
	_, prefix, options := provisionedDatasource(t)
	db := pluginDB(t, prefix+path+"?"+options)
	for _, d := range loadDashboards(t) {
		if d.UID != dashUID {
			continue
		}
		for _, p := range d.AllPanels() {
			if p.Title != title {
				continue
			}
			e, err := Expand(p.Targets[0].Query(), r)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), db, e.SQL)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
	}
	t.Fatalf("%s has no panel %q", dashUID, title)
	return Result{}
}

func textColumn(t *testing.T, res Result) []string {
	t.Helper()
	for _, c := range res.Columns {
		if kindOf(c) == kindText {
			out := make([]string, len(c.Values))
			for i, v := range c.Values {
				out[i] = fmt.Sprint(v)
			}
			return out
		}
	}
	t.Fatal("no text column")
	return nil
}

// TestPiesCountRemovedContainers: the top-5 pies rank every container seen in
// the range, including ones the daemon removed long ago, and keep to the range.
func TestPiesCountRemovedContainers(t *testing.T) {
	path, s := seed(t)
	r := Range{From: checkFrom, To: checkTo}
	labels := textColumn(t, panelResult(t, path, "vigia-containers", "Top 5 containers by RAM", r))
	inside, outside := s.spikeIDs[spikeInside][:12], s.spikeIDs[spikeOutside][:12]
	if len(labels) != 5 {
		t.Fatalf("%d slices, want 5: %q", len(labels), labels)
	}
	if !strings.Contains(labels[0], inside) || !strings.Contains(labels[0], "PID ") {
		t.Errorf("largest slice %q, want the removed RAM hog %s with its PID", labels[0], inside)
	}
	for _, l := range labels {
		if strings.Contains(l, outside) {
			t.Errorf("slice %q belongs to a container seen only before the range", l)
		}
	}
	running := map[string]bool{}
	for _, c := range s.containers {
		running[c.id[:12]] = true
	}
	removed := 0
	for _, l := range labels {
		fields := strings.Fields(l)
		if !running[fields[len(fields)-1]] {
			removed++
		}
	}
	if removed == 0 {
		t.Errorf("no removed container among %q", labels)
	}
	// Widen the range to the spike before: now it leads.
	wide := Range{From: simStart, To: checkTo}
	labels = textColumn(t, panelResult(t, path, "vigia-containers", "Top 5 containers by RAM", wide))
	if !strings.Contains(labels[0], outside) {
		t.Errorf("over the wider range the largest slice is %q, want %s", labels[0], outside)
	}
	cpu := textColumn(t, panelResult(t, path, "vigia-containers", "Top 5 containers by CPU", r))
	if len(cpu) != 5 {
		t.Errorf("CPU pie has %d slices, want 5: %q", len(cpu), cpu)
	}
}

// TestReaderSeesNewTick: a connection opened the way the plugin opens one
// sees a tick as soon as the writer commits it, while the writer stays open
// (WAL mode, database directory shared).
func TestReaderSeesNewTick(t *testing.T) {
	s := newSim(simStart, 7)
	path := filepath.Join(t.TempDir(), "vigia.db")
	writeTicks(t, path, []*store.Tick{s.tick(0)})
	_, prefix, options := provisionedDatasource(t)
	for i := 1; i <= 3; i++ {
		writeTicks(t, path, []*store.Tick{s.tick(i)})
		db := pluginDB(t, prefix+path+"?"+options)
		var last int64
		if err := db.QueryRow("SELECT MAX(ts) FROM ticks").Scan(&last); err != nil {
			t.Fatal(err)
		}
		if want := simStart.Add(time.Duration(i) * simTick).Unix(); last != want {
			t.Fatalf("reader sees tick %d, want %d", last, want)
		}
	}
}
