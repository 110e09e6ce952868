package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"vigia/internal/policy"
	"vigia/internal/store"
)

// JSON writes v indented, for --json.
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteStatus writes the status view as a table.
func WriteStatus(w io.Writer, st Status) error {
	fmt.Fprintf(w, "%s  sensor %s  memory %s used of %s (%.1f%%)\n",
		st.Time.Local().Format(time.DateTime), st.Sensor, kb(st.Memory.UsedKB),
		kb(st.Memory.TotalKB), st.Memory.UsedPct)
	fmt.Fprintf(w, "vigia containers now: low %d, high %d; after the plan: low %d/%d, high %d/%d\n",
		st.LowNow, st.HighNow, st.LowRunning, st.KeepLow, st.HighRunning, st.KeepHigh)
	switch lt := st.LastTick; {
	case lt == nil:
		fmt.Fprint(w, "daemon: no tick recorded in the database\n\n")
	case lt.Error != "":
		fmt.Fprintf(w, "daemon: last tick %s ago: %s\n\n", ago(st.Time, lt.Time), lt.Error)
	default:
		fmt.Fprintf(w, "daemon: last tick %s ago: removed %d, started %d\n",
			ago(st.Time, lt.Time), lt.Removed, lt.Started)
	}
	writeInputs(w, st.Inputs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCLASS\tKIND\tCPU%\tMEM%\tRSS\tIO/s\tPOLICY\tSCORE\tPATTERNS\t"+
		"REASON")
	for _, r := range st.Containers {
		io := "-"
		if r.IOBytesPerSec != nil {
			io = kb(uint64(*r.IOBytesPerSec/1024)) + "/s"
		}
		action := r.Action
		if r.Cap != "" {
			action += " (" + r.Cap + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%.1f\t%s\t%s\n",
			short(r.ID), dash(r.Name), r.Class, dash(r.Kind), fmtPct(r.CPUPct), r.MemPct,
			kb(r.RssKB), io, action, r.Score, patternNames(r.Findings), r.Reason)
	}
	for _, s := range st.Start {
		fmt.Fprintf(tw, "-\t(new)\t%s\t%s\t-\t-\t-\t-\tstart\t-\t-\t%s\n", s.Class, s.Kind,
			s.Reason)
	}
	if len(st.Containers) == 0 && len(st.Start) == 0 {
		fmt.Fprintln(tw, "(no container running)")
	}
	return tw.Flush()
}

// writeInputs tells what the plan judged patterns by, and what of it is not
// what the daemon has, followed by a blank line.
func writeInputs(w io.Writer, in Inputs) {
	fmt.Fprintf(w, "plan inputs: window %d samples (stored ones for %d containers, then this "+
		"sample); psi cpu %s, memory %s; caps %s; churn %s\n", in.Window, in.Stored,
		psiCell(in.PSICPU), psiCell(in.PSIMemory), onOff(in.Caps), churnCell(in.Churn))
	if in.Thresholds != "" {
		fmt.Fprintf(w, "%s\n", in.Thresholds)
	}
	for _, n := range in.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
}

func psiCell(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func churnCell(churn map[string]int) string {
	return fmt.Sprintf("low %d, high %d", churn[policy.ClassLow], churn[policy.ClassHigh])
}

// patternNames lists the patterns found, "-" for none; one only reported
// (flapping) is marked with a question mark.
func patternNames(fs []Finding) string {
	var names []string
	for _, f := range fs {
		n := f.Pattern
		if !f.Offending {
			n += "?"
		}
		names = append(names, n)
	}
	return dash(strings.Join(names, ","))
}

// WriteEvents writes recent actions, newest first.
func WriteEvents(w io.Writer, actions []store.Action) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tID\tNAME\tCLASS\tSCORE\tCPU%\tRSS\tPATTERN\tPRESSURE\t"+
		"RESULT\tREASON")
	for _, a := range actions {
		result := "ok"
		switch {
		case a.DryRun:
			result = "dry-run"
		case !a.OK:
			result = "failed: " + a.Error
		}
		score := "-"
		if a.Score != nil {
			score = fmt.Sprintf("%.1f", *a.Score)
		}
		rss := "-"
		if a.RssKB != nil {
			rss = kb(*a.RssKB)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			a.Time.Local().Format(time.DateTime), a.Action, dash(short(a.ContainerID)),
			dash(a.Name), a.Class, score, fmtPct(a.CPUPct), rss,
			patternCell(a.Pattern, a.Threshold, a.PatternValue, a.ThresholdValue),
			pressureCell(a.Pressure), result, a.Reason)
	}
	if len(actions) == 0 {
		fmt.Fprintln(tw, "(no action recorded yet)")
	}
	return tw.Flush()
}

func kb(v uint64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1fG", float64(v)/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1fM", float64(v)/(1<<10))
	}
	return fmt.Sprintf("%dK", v)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Event is one action as `vigia events --json` prints it.
type Event struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Action      string    `json:"action"`
	ContainerID string    `json:"container_id"`
	Name        string    `json:"name"`
	Class       string    `json:"class"`
	Kind        string    `json:"kind"`
	Reason      string    `json:"reason"`
	Score       *float64  `json:"score"`
	CPUPct      *float64  `json:"cpu_pct"`
	RssKB       *uint64   `json:"rss_kb"`
	MemPct      *float64  `json:"mem_pct"`
	DryRun      bool      `json:"dry_run"`
	OK          bool      `json:"ok"`
	Error       string    `json:"error,omitempty"`
	// Pattern is the offending pattern behind a removal or a cap ("leak",
	// "cpu", "mismatch"), PatternValue the container's figure in the unit
	// of Threshold, the bound it crossed ("leak", "cpu", "low cpu", "low
	// mem"), whose value then was ThresholdValue; "" and null where no
	// pattern applied. Pressure is the host's, 0 to 1, when the container
	// was judged.
	Pattern        string   `json:"pattern"`
	PatternValue   *float64 `json:"pattern_value"`
	Threshold      string   `json:"threshold"`
	ThresholdValue *float64 `json:"threshold_value"`
	ThresholdUnit  string   `json:"threshold_unit"`
	Pressure       *float64 `json:"pressure"`
}

// Events converts store actions for JSON output; never nil.
func Events(actions []store.Action) []Event {
	out := make([]Event, 0, len(actions))
	for _, a := range actions {
		out = append(out, Event{ID: a.ID, Time: a.Time, Action: a.Action,
			ContainerID: a.ContainerID, Name: a.Name, Class: a.Class, Kind: a.Kind,
			Reason: a.Reason, Score: a.Score, CPUPct: a.CPUPct, RssKB: a.RssKB,
			MemPct: a.MemPct, DryRun: a.DryRun, OK: a.OK, Error: a.Error,
			Pattern: a.Pattern, PatternValue: a.PatternValue, Threshold: a.Threshold,
			ThresholdValue: a.ThresholdValue, ThresholdUnit: thresholdUnit(a.Threshold),
			Pressure: a.Pressure})
	}
	return out
}

// ago is the time from then to now, to the second.
func ago(now, then time.Time) string {
	return max(now.Sub(then), 0).Round(time.Second).String()
}

// thresholdUnit is the unit of a threshold and of the figure judged by it:
// growth in percent of the host's memory per minute for a leak, else a
// percentage (of the host's CPUs, of its memory).
func thresholdUnit(threshold string) string {
	switch threshold {
	case "":
		return ""
	case policy.PatternLeak:
		return "%/min"
	case "flap changes":
		return "changes"
	}
	return "%"
}

// patternCell reads "leak 2.50 > 0.75 %/min", or for a pattern judged by
// another threshold "mismatch (low cpu) 23.40 > 10.00 %"; "-" for none.
func patternCell(pattern, threshold string, value, bound *float64) string {
	if pattern == "" {
		return "-"
	}
	name := pattern
	if threshold != "" && threshold != pattern {
		name += " (" + threshold + ")"
	}
	if value == nil || bound == nil {
		return name
	}
	return fmt.Sprintf("%s %.2f > %.2f %s", name, *value, *bound, thresholdUnit(threshold))
}

// pressureCell is the host's pressure as a percentage, "-" when unknown.
func pressureCell(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}
