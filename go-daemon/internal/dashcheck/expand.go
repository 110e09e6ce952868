package dashcheck

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Range is a dashboard time range, as Grafana sends it to the plugin.
type Range struct {
	From, To time.Time
}

// Expanded is a query after the plugin's substitutions.
type Expanded struct {
	SQL string
	// Group is the bucket width in seconds of $__unixEpochGroupSeconds, 0
	// when the query has none. A bucket starts up to Group-1 seconds before
	// the range does.
	Group int
}

// ErrUnsupported marks a variable or macro the dashboards must not use.
var ErrUnsupported = errors.New("unsupported in vigia's dashboards")

// The plugin's macro syntax: $__name(arguments), arguments without ')'.
var (
	macroRE    = regexp.MustCompile(`\$__([_a-zA-Z0-9]+)\(([^\)]*)\)`)
	leftoverRE = regexp.MustCompile(`\$\{?[_a-zA-Z][_a-zA-Z0-9]*`)
)

// Expand does to query what Grafana and the plugin do before SQLite sees it,
// in the same order: $__from and $__to become the range's bounds in
// milliseconds (whole seconds times 1000), then each macro is replaced.
//
// The plugin leaves a macro it does not know in place, where SQLite then
// fails; Expand reports it at once, and also refuses $__timeFilter (missing
// from some releases of the plugin) and any other $variable.
func Expand(query string, r Range) (Expanded, error) {
	q := strings.ReplaceAll(query, "$__from", strconv.FormatInt(r.From.Unix()*1000, 10))
	q = strings.ReplaceAll(q, "$__to", strconv.FormatInt(r.To.Unix()*1000, 10))

	var out strings.Builder
	var e Expanded
	last := 0
	for _, m := range macroRE.FindAllStringSubmatchIndex(q, -1) {
		name, args := q[m[2]:m[3]], q[m[4]:m[5]]
		var repl string
		switch name {
		case "unixEpochGroupSeconds":
			var err error
			repl, e.Group, err = unixEpochGroupSeconds(strings.Split(args, ","))
			if err != nil {
				return Expanded{}, err
			}
		case "timeFilter":
			return Expanded{}, fmt.Errorf("$__timeFilter: %w: filter with $__from/$__to", ErrUnsupported)
		default:
			return Expanded{}, fmt.Errorf("macro $__%s: %w: the plugin leaves it to SQLite", name, ErrUnsupported)
		}
		out.WriteString(q[last:m[0]])
		out.WriteString(repl)
		last = m[1]
	}
	out.WriteString(q[last:])
	e.SQL = out.String()
	if v := leftoverRE.FindString(e.SQL); v != "" {
		return Expanded{}, fmt.Errorf("variable %s: %w: no template variable is defined", v, ErrUnsupported)
	}
	return e, nil
}

// unixEpochGroupSeconds mirrors the plugin: (column, seconds[, NULL]) becomes
// cast((column / seconds) as int) * seconds. The NULL gap filling is done by
// the plugin after the query; the checks accept it but do not reproduce it.
func unixEpochGroupSeconds(args []string) (string, int, error) {
	if len(args) < 2 || len(args) > 3 {
		return "", 0, fmt.Errorf("$__unixEpochGroupSeconds: %d arguments, want 2 or 3", len(args))
	}
	n, err := strconv.Atoi(strings.Trim(args[1], " "))
	if err != nil || n <= 0 {
		return "", 0, fmt.Errorf("$__unixEpochGroupSeconds: interval %q: want a positive whole number", args[1])
	}
	if len(args) == 3 && !strings.EqualFold(strings.Trim(args[2], " "), "null") {
		return "", 0, fmt.Errorf("$__unixEpochGroupSeconds: gap fill %q: only NULL exists", args[2])
	}
	return fmt.Sprintf("cast((%s / %d) as int) * %d", args[0], n, n), n, nil
}
