// Package cron renders, installs and removes vigia's cron.d entry: one file of
// its own (VIGIA_CRON_FILE, /etc/cron.d/vigia by default) that runs the
// workload generator. It never reads or writes a user crontab or any other
// file of the cron directory.
//
// The entry is rendered from bash/cron/vigia.cron.in with the same rules as
// `bash/cron-entry.sh render`: every @NAME@ of a known key becomes its value,
// values that cron or the shell would reinterpret are refused, and a leftover
// placeholder is an error. Install writes the file atomically (a temporary
// file in the same directory, whose dotted name cron ignores; fsync; rename),
// so cron never reads half an entry.
//
// Ownership: a file is vigia's when its first line starts with Marker (the
// template's first line does). Install and Remove refuse to replace or delete a
// file at the configured path that is not vigia's.
package cron

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Marker starts the first line of every entry vigia writes.
const Marker = "# vigia"

// ErrForeign means the file at the cron path was not written by vigia.
var ErrForeign = errors.New("file was not written by vigia")

// Values are the template's placeholders and their values.
type Values struct {
	Schedule string // VIGIA_CRON_SCHEDULE
	Root     string // VIGIA_ROOT
	LogDir   string // VIGIA_LOG_DIR
	Batch    string // VIGIA_BATCH
	Config   string // VIGIA_CONFIG, empty when unset
	Instance string // VIGIA_INSTANCE, empty when unset
}

var (
	placeholder   = regexp.MustCompile(`@VIGIA_[A-Z_]+@`)
	scheduleField = regexp.MustCompile(`^[0-9A-Za-z*/,-]+$`)
)

// Render fills the template with v.
func Render(template []byte, v Values) ([]byte, error) {
	if err := checkSchedule(v.Schedule); err != nil {
		return nil, err
	}
	pairs := []string{
		"VIGIA_CRON_SCHEDULE", v.Schedule,
		"VIGIA_ROOT", v.Root,
		"VIGIA_LOG_DIR", v.LogDir,
		"VIGIA_BATCH", v.Batch,
		"VIGIA_CONFIG", v.Config,
		"VIGIA_INSTANCE", v.Instance,
	}
	args := make([]string, 0, len(pairs))
	for i := 0; i < len(pairs); i += 2 {
		if err := checkValue(pairs[i], pairs[i+1]); err != nil {
			return nil, err
		}
		args = append(args, "@"+pairs[i]+"@", pairs[i+1])
	}
	out := []byte(strings.NewReplacer(args...).Replace(string(template)))
	if bad := placeholder.Find(out); bad != nil {
		return nil, fmt.Errorf("render cron entry: unknown placeholder %s", bad)
	}
	if !bytes.HasPrefix(out, []byte(Marker)) {
		return nil, fmt.Errorf("render cron entry: the template must start with %q", Marker)
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n') // cron ignores a last line without a newline
	}
	return out, nil
}

func checkValue(key, value string) error {
	if i := strings.IndexAny(value, "\n%\"\\$`"); i >= 0 {
		return fmt.Errorf("%s=%s: %q cannot go in a cron entry "+
			"(newline, '%%', '\"', '\\', '$' and '`' are refused)", key, value, value[i])
	}
	return nil
}

func checkSchedule(s string) error {
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return fmt.Errorf("VIGIA_CRON_SCHEDULE=%s: want five cron time fields, such as '* * * * *'", s)
	}
	for _, f := range fields {
		if !scheduleField.MatchString(f) {
			return fmt.Errorf("VIGIA_CRON_SCHEDULE=%s: bad field '%s'", s, f)
		}
	}
	return nil
}
