package dashcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Column is one column of a query result with every value as the driver gave
// it (int64, float64, string, []byte or nil).
type Column struct {
	Name   string
	Values []any
}

// Result is what a query returned.
type Result struct {
	Columns []Column
	Rows    int
}

// Run runs an expanded query and reads all of its rows.
func Run(ctx context.Context, db *sql.DB, query string) (Result, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return Result{}, fmt.Errorf("run query: %w", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return Result{}, fmt.Errorf("read columns: %w", err)
	}
	res := Result{Columns: make([]Column, len(names))}
	for i, n := range names {
		res.Columns[i].Name = n
	}
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, fmt.Errorf("read row %d: %w", res.Rows+1, err)
		}
		for i, v := range vals {
			res.Columns[i].Values = append(res.Columns[i].Values, v)
		}
		res.Rows++
	}
	if err := rows.Err(); err != nil {
		return Result{}, fmt.Errorf("read rows: %w", err)
	}
	return res, nil
}

// need says which columns a panel type cannot draw without.
type need struct {
	time   bool // a time column (named in the target's timeColumns)
	label  bool // a text column naming each row
	number bool // a numeric column
	minCol int  // at least this many columns
}

var needs = map[string]need{
	"timeseries": {time: true, number: true},
	"stat":       {number: true},
	"gauge":      {number: true},
	"piechart":   {label: true, number: true},
	"bargauge":   {label: true, number: true},
	"table":      {minCol: 2},
}

// Plausible Unix seconds: after 2001-09-09 and before 2286. Milliseconds of
// any date since 1970-04 are above the upper bound.
const (
	minSeconds = 1e9
	maxSeconds = 1e10
)

// Check judges a result against what the panel type needs and the range the
// query was run for. group is Expanded.Group: buckets may start that much
// before the range.
func Check(p Panel, t Target, res Result, r Range, group int) []error {
	var errs []error
	if res.Rows == 0 {
		return []error{errors.New("no rows")}
	}
	n, ok := needs[p.Type]
	if !ok {
		return []error{fmt.Errorf("panel type %q has no column rule", p.Type)}
	}
	var times, labels, numbers int
	for _, c := range res.Columns {
		switch {
		case t.IsTimeColumn(c.Name):
			times++
			errs = append(errs, checkTimes(c, r, group, t.QueryType == QueryTypeTimeSeries)...)
		case c.Name == "time" || c.Name == "ts":
			errs = append(errs, fmt.Errorf("column %q is not in timeColumns: Grafana would show a bare number", c.Name))
		case kindOf(c) == kindNumber:
			numbers++
		case kindOf(c) == kindText:
			labels++
			if p.Type == "piechart" || p.Type == "bargauge" {
				errs = append(errs, checkLabels(c)...)
			}
		}
	}
	if n.time && times == 0 {
		errs = append(errs, fmt.Errorf("no time column (timeColumns %v)", t.TimeColumns))
	}
	if n.number && numbers == 0 {
		errs = append(errs, errors.New("no numeric column with a value"))
	}
	if n.label && labels == 0 {
		errs = append(errs, errors.New("no text column to label the values"))
	}
	if len(res.Columns) < n.minCol {
		errs = append(errs, fmt.Errorf("%d columns, want at least %d", len(res.Columns), n.minCol))
	}
	return errs
}

type kind int

const (
	kindNull kind = iota
	kindNumber
	kindText
	kindMixed
)

// kindOf classifies a column by its non-NULL values, as the plugin types a
// column it cannot type from the schema by the first value it sees.
func kindOf(c Column) kind {
	k := kindNull
	for _, v := range c.Values {
		var vk kind
		switch v.(type) {
		case nil:
			continue
		case int64, float64:
			vk = kindNumber
		case string, []byte:
			vk = kindText
		default:
			return kindMixed
		}
		if k != kindNull && k != vk {
			return kindMixed
		}
		k = vk
	}
	return k
}

// checkTimes applies the plugin's rules for a time column (an integer is Unix
// seconds, a real is seconds with a fraction, text must be RFC 3339) and
// requires every time inside the range and, for the long-to-wide conversion of
// the "time series" query type, ascending.
func checkTimes(c Column, r Range, group int, ascending bool) []error {
	var errs []error
	lo := r.From.Add(-time.Duration(group) * time.Second)
	var prev time.Time
	for i, v := range c.Values {
		at, err := pluginTime(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %q row %d: %w", c.Name, i+1, err))
		} else if at.Before(lo) || at.After(r.To) {
			errs = append(errs, fmt.Errorf("column %q row %d: %s is outside the range %s .. %s",
				c.Name, i+1, at.UTC().Format(time.RFC3339), r.From.UTC().Format(time.RFC3339),
				r.To.UTC().Format(time.RFC3339)))
		} else if ascending && at.Before(prev) {
			errs = append(errs, fmt.Errorf("column %q row %d: times not ascending", c.Name, i+1))
		}
		if err == nil {
			prev = at
		}
		if len(errs) >= 3 {
			return errs // the first few say enough
		}
	}
	return errs
}

func pluginTime(v any) (time.Time, error) {
	var secs float64
	switch x := v.(type) {
	case nil:
		return time.Time{}, errors.New("NULL time")
	case int64:
		secs = float64(x)
	case float64:
		secs = x
	case string, []byte:
		s := fmt.Sprint(x)
		if b, ok := x.([]byte); ok {
			s = string(b)
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("text time %q is not RFC 3339: the plugin shows NULL", s)
		}
		secs = f
	default:
		return time.Time{}, fmt.Errorf("time of type %T", v)
	}
	if secs >= maxSeconds {
		return time.Time{}, fmt.Errorf("time %.0f is not in seconds (milliseconds?)", secs)
	}
	if secs < minSeconds {
		return time.Time{}, fmt.Errorf("time %.0f is not plausible Unix seconds", secs)
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole), int64(frac*1e9)), nil
}

// checkLabels requires every row of a pie or bar gauge to have its own name.
func checkLabels(c Column) []error {
	seen := map[string]bool{}
	for i, v := range c.Values {
		s := fmt.Sprint(v)
		if b, ok := v.([]byte); ok {
			s = string(b)
		}
		switch {
		case v == nil || s == "":
			return []error{fmt.Errorf("label column %q row %d is empty", c.Name, i+1)}
		case seen[s]:
			return []error{fmt.Errorf("label column %q: %q names two rows", c.Name, s)}
		}
		seen[s] = true
	}
	return nil
}
