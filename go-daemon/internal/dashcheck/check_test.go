package dashcheck

import (
	"strings"
	"testing"
	"time"
)

// wantFault fails unless errs is empty (want "") or one of them contains want.
func wantFault(t *testing.T, errs []error, want string) {
	t.Helper()
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "; ")
	switch {
	case want == "" && got != "":
		t.Fatalf("want no fault, got %s", got)
	case want != "" && !strings.Contains(got, want):
		t.Fatalf("want a fault with %q, got %q", want, got)
	}
}

func col(name string, vals ...any) Column { return Column{Name: name, Values: vals} }

func result(cols ...Column) Result {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0].Values)
	}
	return Result{Columns: cols, Rows: n}
}

// TestCheckFindsFaults feeds Check results with one fault each, and good ones
// that must pass, so the checker is known to fail when it should.
func TestCheckFindsFaults(t *testing.T) {
	from := time.Unix(1764763200, 0)
	r := Range{From: from, To: from.Add(time.Hour)}
	in, in2 := from.Unix()+60, from.Unix()+120
	series := Target{QueryType: "table", TimeColumns: []string{"time"}}
	long := Target{QueryType: QueryTypeTimeSeries, TimeColumns: []string{"time"}}
	cases := []struct {
		name  string
		panel string
		tgt   Target
		res   Result
		group int
		want  string // "" = passes
	}{
		{"series ok", "timeseries", series, result(col("time", in, in2), col("v", 1.5, 2.0)), 0, ""},
		{"no rows", "timeseries", series, result(col("time"), col("v")), 0, "no rows"},
		{"milliseconds", "timeseries", series, result(col("time", in*1000), col("v", 1.0)), 0, "not in seconds"},
		{"before range", "timeseries", series, result(col("time", from.Unix()-20), col("v", 1.0)), 0, "outside the range"},
		{"bucket start allowed", "timeseries", series, result(col("time", from.Unix()-20), col("v", 1.0)), 60, ""},
		{"after range", "timeseries", series, result(col("time", from.Unix()+7200), col("v", 1.0)), 0, "outside the range"},
		{"text time not RFC 3339", "timeseries", series, result(col("time", "2025-12-03 12:01:00"), col("v", 1.0)), 0, "not RFC 3339"},
		{"RFC 3339 text time", "timeseries", series, result(col("time", "2025-12-03T12:01:00Z"), col("v", 1.0)), 0, ""},
		{"NULL time", "timeseries", series, result(col("time", nil), col("v", 1.0)), 0, "NULL time"},
		{"time not declared", "timeseries", Target{TimeColumns: []string{"ts"}}, result(col("time", in), col("v", 1.0)), 0, "not in timeColumns"},
		{"no value", "timeseries", series, result(col("time", in), col("label", "a")), 0, "no numeric column"},
		{"only NULL values", "timeseries", series, result(col("time", in), col("v", nil)), 0, "no numeric column"},
		{"long not ascending", "timeseries", long, result(col("time", in2, in), col("class", "a", "b"), col("v", 1.0, 2.0)), 0, "not ascending"},
		{"stat without time ok", "stat", series, result(col("errors", int64(0))), 0, ""},
		{"stat of text", "stat", series, result(col("sensor", "kernel")), 0, "no numeric column"},
		{"pie ok", "piechart", series, result(col("c", "a", "b"), col("v", 3.0, 1.0)), 0, ""},
		{"pie without label", "piechart", series, result(col("v", 3.0, 1.0)), 0, "no text column"},
		{"pie duplicate label", "piechart", series, result(col("c", "a", "a"), col("v", 3.0, 1.0)), 0, "names two rows"},
		{"pie empty label", "piechart", series, result(col("c", "a", ""), col("v", 3.0, 1.0)), 0, "is empty"},
		{"bargauge without value", "bargauge", series, result(col("c", "a")), 0, "no numeric column"},
		{"table of one column", "table", series, result(col("c", "a")), 0, "at least 2"},
		{"unknown panel type", "heatmap", series, result(col("v", 1.0)), 0, "no column rule"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFault(t, Check(Panel{Type: c.panel}, c.tgt, c.res, r, c.group), c.want)
		})
	}
}
