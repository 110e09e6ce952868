package dashcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// PluginType is the datasource type of the frser-sqlite-datasource plugin.
const PluginType = "frser-sqlite-datasource"

// QueryTypeTimeSeries is the plugin's query type that turns a long frame (time,
// labels, values) into one series per label value. Anything else is "table".
const QueryTypeTimeSeries = "time series"

// Dashboard is the part of a Grafana dashboard file the checks read.
type Dashboard struct {
	File   string  `json:"-"`
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Ref names a datasource the way provisioned dashboards should: by uid.
type Ref struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Panel is one panel of a dashboard; rows carry their panels in Panels.
type Panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *Ref        `json:"datasource"`
	FieldConfig FieldConfig `json:"fieldConfig"`
	Targets     []Target    `json:"targets"`
	Panels      []Panel     `json:"panels"`
}

// FieldConfig holds the defaults of every field of a panel.
type FieldConfig struct {
	Defaults struct {
		Unit string `json:"unit"`
	} `json:"defaults"`
}

// Target is one query of a panel, in the plugin's model.
type Target struct {
	RefID        string   `json:"refId"`
	Datasource   *Ref     `json:"datasource"`
	QueryType    string   `json:"queryType"`
	RawQueryText string   `json:"rawQueryText"`
	QueryText    string   `json:"queryText"`
	TimeColumns  []string `json:"timeColumns"`
	// RawSQL is what Grafana's own SQL datasources read; the plugin ignores
	// it, so a target that only has it shows nothing.
	RawSQL string `json:"rawSql"`
}

// Query returns the text the plugin runs.
func (t Target) Query() string { return t.QueryText }

// IsTimeColumn reports whether the plugin turns the column name into a time.
func (t Target) IsTimeColumn(name string) bool {
	for _, c := range t.TimeColumns {
		if c == name {
			return true
		}
	}
	return false
}

// Load reads every *.json file of dir as a dashboard, in name order.
func Load(dir string) ([]Dashboard, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list dashboards: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("list dashboards: no *.json in %s", dir)
	}
	sort.Strings(files)
	out := make([]Dashboard, 0, len(files))
	for _, f := range files {
		d, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// LoadFile reads one dashboard file. Unknown fields are allowed: a dashboard
// has many the checks do not need.
func LoadFile(path string) (Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Dashboard{}, fmt.Errorf("read dashboard: %w", err)
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return Dashboard{}, fmt.Errorf("parse dashboard %s: %w", path, err)
	}
	d.File = path
	return d, nil
}

// AllPanels returns the panels of d with the panels of collapsed rows, rows
// themselves left out.
func (d Dashboard) AllPanels() []Panel {
	var out []Panel
	for _, p := range d.Panels {
		if p.Type == "row" {
			out = append(out, p.Panels...)
			continue
		}
		out = append(out, p)
	}
	return out
}

var (
	kebabFile = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*\.json$`)
	stableUID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
)

// Lint returns every static fault of d: a missing or unstable uid, a file
// name that is not kebab-case, a panel without a title, description or unit,
// a datasource not named by the provisioned uid, a target the plugin would not
// run. An empty result means the file is fit to provision.
func Lint(d Dashboard, dsUID string) []error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{filepath.Base(d.File)}, args...)...))
	}
	if !kebabFile.MatchString(filepath.Base(d.File)) {
		add("file name is not kebab-case")
	}
	if !stableUID.MatchString(d.UID) {
		add("uid %q: want 1 to 40 lowercase letters, digits or '-'", d.UID)
	}
	if strings.TrimSpace(d.Title) == "" {
		add("dashboard has no title")
	}
	panels := d.AllPanels()
	if len(panels) == 0 {
		add("dashboard has no panels")
	}
	ids := map[int]bool{}
	for _, p := range panels {
		for _, err := range lintPanel(p, dsUID) {
			add("panel %d %q: %v", p.ID, p.Title, err)
		}
		if ids[p.ID] {
			add("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
	}
	return errs
}

func lintPanel(p Panel, dsUID string) []error {
	var errs []error
	if strings.TrimSpace(p.Title) == "" {
		errs = append(errs, errors.New("no title"))
	}
	if strings.TrimSpace(p.Description) == "" {
		errs = append(errs, errors.New("no description"))
	}
	if p.FieldConfig.Defaults.Unit == "" {
		errs = append(errs, errors.New("no unit in fieldConfig.defaults"))
	}
	if _, ok := needs[p.Type]; !ok {
		errs = append(errs, fmt.Errorf("panel type %q has no column rule in dashcheck", p.Type))
	}
	if err := checkRef(p.Datasource, dsUID); err != nil {
		errs = append(errs, fmt.Errorf("panel datasource: %w", err))
	}
	if len(p.Targets) == 0 {
		errs = append(errs, errors.New("no targets"))
	}
	for _, t := range p.Targets {
		for _, err := range lintTarget(t, dsUID) {
			errs = append(errs, fmt.Errorf("target %s: %w", t.RefID, err))
		}
	}
	return errs
}

func lintTarget(t Target, dsUID string) []error {
	var errs []error
	if err := checkRef(t.Datasource, dsUID); err != nil {
		errs = append(errs, fmt.Errorf("datasource: %w", err))
	}
	if strings.TrimSpace(t.QueryText) == "" {
		errs = append(errs, errors.New("empty queryText (the plugin runs queryText and ignores rawSql)"))
	}
	// Grafana's frontend sets queryText from rawQueryText before a panel
	// query, while alerting sends queryText as stored: the two must agree.
	if t.QueryText != t.RawQueryText {
		errs = append(errs, errors.New("queryText and rawQueryText differ"))
	}
	// Without both bounds a panel shows rows from outside the range the user
	// picked; for a stat or a pie no time column would give it away.
	if !strings.Contains(t.QueryText, "$__from") || !strings.Contains(t.QueryText, "$__to") {
		errs = append(errs, errors.New("query ignores the dashboard range: use $__from and $__to"))
	}
	if t.RawSQL != "" {
		errs = append(errs, errors.New("rawSql is set; the plugin ignores it"))
	}
	if t.QueryType != "table" && t.QueryType != QueryTypeTimeSeries {
		errs = append(errs, fmt.Errorf("queryType %q: want %q or %q", t.QueryType, "table", QueryTypeTimeSeries))
	}
	return errs
}

func checkRef(r *Ref, dsUID string) error {
	switch {
	case r == nil:
		return errors.New("missing: Grafana would use the default datasource")
	case r.UID != dsUID:
		return fmt.Errorf("uid %q, want the provisioned %q", r.UID, dsUID)
	case r.Type != PluginType:
		return fmt.Errorf("type %q, want %q", r.Type, PluginType)
	}
	return nil
}
