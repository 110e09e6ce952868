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

func loadDashboards(t *testing.T) []Dashboard {
	t.Helper()
	ds, err := Load(dashboardDir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestDashboardsLint(t *testing.T) {
	uid, _, _ := provisionedDatasource(t)
	for _, d := range loadDashboards(t) {
		t.Run(filepath.Base(d.File), func(t *testing.T) {
			for _, err := range Lint(d, uid) {
				t.Error(err)
			}
		})
	}
}

// TestDashboardsContent checks that each dashboard has the panels issue 6
// asks for, by title, so a rename or a lost panel is noticed.
func TestDashboardsContent(t *testing.T) {
	want := map[string][]string{
		"vigia-containers": {"Total RAM", "Free RAM", "Used RAM", "RAM use over time",
			"Containers removed over time", "Top 5 containers by RAM", "Top 5 containers by CPU",
			"vigia containers alive per class", "Daemon actions"},
		"vigia-system": {"Total RAM", "Free RAM", "Used RAM", "Processes by state",
			"Top 10 processes by RAM", "Top 10 processes by CPU", "Process count over time"},
	}
	titles := map[string]string{"vigia-containers": "Containers", "vigia-system": "System processes"}
	got := map[string]Dashboard{}
	for _, d := range loadDashboards(t) {
		if _, dup := got[d.UID]; dup {
			t.Errorf("uid %s used by two files", d.UID)
		}
		got[d.UID] = d
	}
	for uid, panels := range want {
		d, ok := got[uid]
		if !ok {
			t.Errorf("no dashboard with uid %s", uid)
			continue
		}
		if d.Title != titles[uid] {
			t.Errorf("%s: title %q, want %q", uid, d.Title, titles[uid])
		}
		have := map[string]Panel{}
		for _, p := range d.AllPanels() {
			have[p.Title] = p
		}
		for _, title := range panels {
			if _, ok := have[title]; !ok {
				t.Errorf("%s: no panel %q", uid, title)
			}
		}
		if uid == "vigia-containers" {
			for _, title := range []string{"Top 5 containers by RAM", "Top 5 containers by CPU"} {
				if p := have[title]; p.Type != "piechart" {
					t.Errorf("%s: %q is a %q, want a piechart", uid, title, p.Type)
				}
			}
			if p := have["Containers removed over time"]; p.Type != "timeseries" {
				t.Errorf("%s: removals are a %q, want a line chart (timeseries)", uid, p.Type)
			}
		}
	}
}

func TestLintFindsFaults(t *testing.T) {
	good := func() Dashboard {
		ref := &Ref{Type: PluginType, UID: "vigia-sqlite"}
		q := "SELECT COUNT(*) AS v FROM ticks WHERE ts BETWEEN $__from / 1000 AND $__to / 1000\n"
		p := Panel{ID: 1, Type: "stat", Title: "One", Description: "A one.", Datasource: ref,
			Targets: []Target{{RefID: "A", Datasource: ref, QueryType: "table", RawQueryText: q,
				QueryText: q, TimeColumns: []string{"time"}}}}
		p.FieldConfig.Defaults.Unit = "none"
		return Dashboard{File: "dir/good-one.json", UID: "good-one", Title: "Good", Panels: []Panel{p}}
	}
	cases := []struct {
		name   string
		mutate func(*Dashboard)
		want   string
	}{
		{"good", func(*Dashboard) {}, ""},
		{"file name", func(d *Dashboard) { d.File = "dir/Good One.json" }, "kebab-case"},
		{"no uid", func(d *Dashboard) { d.UID = "" }, "uid"},
		{"no title", func(d *Dashboard) { d.Panels[0].Title = " " }, "no title"},
		{"no description", func(d *Dashboard) { d.Panels[0].Description = "" }, "no description"},
		{"no unit", func(d *Dashboard) { d.Panels[0].FieldConfig.Defaults.Unit = "" }, "no unit"},
		{"datasource by name", func(d *Dashboard) { d.Panels[0].Datasource = &Ref{UID: "SQLite"} }, "want the provisioned"},
		{"default datasource", func(d *Dashboard) { d.Panels[0].Targets[0].Datasource = nil }, "default datasource"},
		{"wrong plugin", func(d *Dashboard) { d.Panels[0].Datasource.Type = "sqlite" }, "type"},
		{"rawSql only", func(d *Dashboard) {
			tg := &d.Panels[0].Targets[0]
			tg.RawSQL, tg.QueryText, tg.RawQueryText = tg.QueryText, "", ""
		}, "ignores rawSql"},
		{"no range", func(d *Dashboard) {
			tg := &d.Panels[0].Targets[0]
			tg.QueryText = "SELECT COUNT(*) AS v FROM ticks WHERE ts >= $__from / 1000"
			tg.RawQueryText = tg.QueryText
		}, "ignores the dashboard range"},
		{"texts differ", func(d *Dashboard) { d.Panels[0].Targets[0].QueryText = "SELECT 2" }, "differ"},
		{"query type", func(d *Dashboard) { d.Panels[0].Targets[0].QueryType = "timeseries" }, "queryType"},
		{"no targets", func(d *Dashboard) { d.Panels[0].Targets = nil }, "no targets"},
		{"duplicate id", func(d *Dashboard) { d.Panels = append(d.Panels, d.Panels[0]) }, "used twice"},
		{"row panels checked", func(d *Dashboard) {
			inner := d.Panels[0]
			inner.Description = ""
			d.Panels = []Panel{{Type: "row", Title: "Row", Panels: []Panel{inner}}}
		}, "no description"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := good()
			d.Panels[0].Datasource = &Ref{Type: PluginType, UID: "vigia-sqlite"}
			c.mutate(&d)
			wantFault(t, Lint(d, "vigia-sqlite"), c.want)
		})
	}
}

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
