package dashcheck

import (
	"path/filepath"
	"testing"
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
			"vigia containers alive per class", "Daemon actions",
			"Actions by pattern over time", "Caps applied"},
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
