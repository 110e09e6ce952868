package dashcheck

import (
	"errors"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	r := Range{From: time.Unix(1764763200, 250e6), To: time.Unix(1764766800, 0)}
	cases := []struct {
		name, in, want string
		group          int
		err            error
	}{
		{"bounds in whole-second milliseconds",
			"WHERE ts >= $__from / 1000 AND ts <= $__to / 1000",
			"WHERE ts >= 1764763200000 / 1000 AND ts <= 1764766800000 / 1000", 0, nil},
		{"group macro as the plugin writes it",
			"SELECT $__unixEpochGroupSeconds(ts, 60) AS time",
			"SELECT cast((ts / 60) as int) * 60 AS time", 60, nil},
		{"group macro with NULL gap filling",
			"SELECT $__unixEpochGroupSeconds(ts, 300, NULL) AS time",
			"SELECT cast((ts / 300) as int) * 300 AS time", 300, nil},
		{"variables before macros",
			"$__unixEpochGroupSeconds(ts, 10) BETWEEN $__from AND $__to",
			"cast((ts / 10) as int) * 10 BETWEEN 1764763200000 AND 1764766800000", 10, nil},
		{"no substitution needed", "SELECT 1", "SELECT 1", 0, nil},
		{"timeFilter refused", "WHERE $__timeFilter(ts)", "", 0, ErrUnsupported},
		{"unknown macro refused", "SELECT $__timeGroup(ts, 1m)", "", 0, ErrUnsupported},
		{"template variable refused", "WHERE class = '$class'", "", 0, ErrUnsupported},
		{"braced variable refused", "WHERE ts > ${__interval_ms}", "", 0, ErrUnsupported},
		{"bad interval", "$__unixEpochGroupSeconds(ts, 1m)", "", 0, nil},
		{"zero interval", "$__unixEpochGroupSeconds(ts, 0)", "", 0, nil},
		{"bad gap fill", "$__unixEpochGroupSeconds(ts, 60, 0)", "", 0, nil},
		{"one argument", "$__unixEpochGroupSeconds(ts)", "", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Expand(c.in, r)
			if c.want == "" {
				if err == nil {
					t.Fatalf("Expand(%q) = %q, want an error", c.in, got.SQL)
				}
				if c.err != nil && !errors.Is(err, c.err) {
					t.Fatalf("error %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SQL != c.want || got.Group != c.group {
				t.Fatalf("Expand(%q) = %q group %d, want %q group %d", c.in, got.SQL, got.Group,
					c.want, c.group)
			}
		})
	}
}

// FuzzExpand: whatever the query, Expand either refuses it or leaves no
// variable or macro for SQLite to trip on.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"SELECT $__unixEpochGroupSeconds(ts, 60) AS time WHERE ts >= $__from / 1000",
		"$__unixEpochGroupSeconds(ts, 5, NULL) $__to",
		"$__timeFilter(ts)", "${x}", "$$__from", "$__from$__to", "$__(", "SELECT 1",
	} {
		f.Add(s)
	}
	r := Range{From: time.Unix(1764763200, 0), To: time.Unix(1764766800, 0)}
	f.Fuzz(func(t *testing.T, q string) {
		e, err := Expand(q, r)
		if err != nil {
			return
		}
		if macroRE.MatchString(e.SQL) || leftoverRE.MatchString(e.SQL) {
			t.Fatalf("Expand(%q) left %q", q, e.SQL)
		}
		if e.Group < 0 {
			t.Fatalf("negative group %d", e.Group)
		}
	})
}
