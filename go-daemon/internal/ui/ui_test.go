package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

func id(c byte) string { return strings.Repeat(string(c), 64) }

func fixture() (sensor.Usage, []docker.Container, policy.Plan) {
	half, io := 50.0, 2048.0
	u := sensor.Usage{Sensor: "userspace", TimestampNS: 1_800_000_000e9, CPUs: 2,
		Memory: sensor.Memory{TotalKB: 8 << 20, UsedKB: 2 << 20, UsedPct: 25},
		Containers: []sensor.ContainerUsage{
			{ID: id('a'), PID: 10, MemPct: 3.2, RssKB: 262144, CPUPct: &half, IOBytesPerSec: &io},
			{ID: id('b'), PID: 20, MemPct: 0.01, RssKB: 400},
			{ID: id('c'), PID: 30, MemPct: 1, RssKB: 9000},
			{ID: id('d'), PID: 40, MemPct: 1, RssKB: 9000},
		}}
	managed := func(class, kind string) map[string]string {
		return map[string]string{docker.LabelManaged: "true", docker.LabelClass: class,
			docker.LabelKind: kind}
	}
	list := []docker.Container{
		{ID: id('a'), Name: "vigia-ram-1", State: "running", Labels: managed("high", "ram")},
		{ID: id('b'), Name: "vigia-low-1", State: "running", Labels: managed("low", "low")},
		{ID: id('c'), Name: "grafana", State: "running",
			Labels: map[string]string{docker.LabelRole: docker.RoleGrafana}},
	}
	plan := policy.Plan{
		Remove: []policy.Decision{{Container: policy.Container{ID: id('a')},
			Action: policy.ActionRemove, Score: 26.6, Reason: "extra high container, heaviest"}},
		Keep: []policy.Decision{{Container: policy.Container{ID: id('b')},
			Action: policy.ActionKeep, Score: 0.1, Reason: "within the 3 low"}},
		Skip: []policy.Decision{{Container: policy.Container{ID: id('c')},
			Action: policy.ActionSkip, Reason: "grafana is never touched"}},
		Start:   []policy.Start{{Class: "high", Kind: "cpu", Reason: "high is short by 2"}},
		Running: map[string]int{"low": 1, "high": 1},
	}
	return u, list, plan
}

func TestStatus(t *testing.T) {
	u, list, plan := fixture()
	st := build(u, list, plan, policy.Targets{KeepLow: 3, KeepHigh: 2})
	st.LastTick = &LastTick{Time: st.Time.Add(-12 * time.Second), Removed: 2, Started: 1}
	want := map[string][2]string{ // id -> class, action
		id('a'): {"high", "remove"}, id('b'): {"low", "keep"},
		id('c'): {"grafana", "skip"}, id('d'): {"foreign", "skip"},
	}
	if len(st.Containers) != len(want) {
		t.Fatalf("%d rows, want %d", len(st.Containers), len(want))
	}
	for _, r := range st.Containers {
		if w := want[r.ID]; r.Class != w[0] || r.Action != w[1] {
			t.Errorf("%s: class %s action %s, want %v", r.ID[:4], r.Class, r.Action, w)
		}
	}
	var buf bytes.Buffer
	if err := WriteStatus(&buf, st); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{"now: low 1, high 1", "last tick 12s ago: removed 2, started 1", "low 1/3", "high 1/2", "vigia-ram-1", "50.0", "256.0M", "2K/s",
		"remove", "extra high container", "(new)", "high is short by 2", "grafana is never touched"} {
		if !strings.Contains(out, w) {
			t.Errorf("status table lacks %q:\n%s", w, out)
		}
	}
	buf.Reset()
	if err := JSON(&buf, st); err != nil {
		t.Fatal(err)
	}
	var back Status
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("status JSON does not parse back: %v", err)
	}
	if !strings.Contains(buf.String(), `"cpu_pct": null`) {
		t.Error("an unknown CPU rate is not null in JSON")
	}
	empty := build(sensor.Usage{}, nil, policy.Plan{}, policy.Targets{})
	if b, _ := json.Marshal(empty); !strings.Contains(string(b), `"containers":[]`) ||
		!strings.Contains(string(b), `"start":[]`) {
		t.Errorf("an empty status has null lists: %s", b)
	}
}

func TestEvents(t *testing.T) {
	score, cpu, rss := 26.6, 50.0, uint64(262144)
	actions := []store.Action{
		{Time: time.Unix(1_800_000_000, 0), Action: "remove", ContainerID: id('a'),
			Name: "vigia-ram-1", Class: "high", Kind: "ram", Reason: "extra high, heaviest",
			Score: &score, CPUPct: &cpu, RssKB: &rss, OK: true},
		{Time: time.Unix(1_800_000_000, 0), Action: "start", Class: "low", Kind: "low",
			Reason: "low is short by 1", OK: false, Error: "image not found"},
		{Time: time.Unix(1_800_000_000, 0), Action: "remove", ContainerID: id('b'),
			Class: "low", Reason: "extra low", DryRun: true, OK: true},
	}
	leak, bound, pressure, cpuBound := 2.5, 0.75, 0.5, 37.5
	actions = append(actions,
		store.Action{Time: time.Unix(1_800_000_000, 0), Action: "cap", ContainerID: id('c'),
			Name: "vigia-ram-2", Class: "high", Kind: "ram", Reason: "leaks", OK: true,
			Pattern: "leak", PatternValue: &leak, Threshold: "leak", ThresholdValue: &bound,
			Pressure: &pressure},
		store.Action{Time: time.Unix(1_800_000_000, 0), Action: "remove", ContainerID: id('d'),
			Name: "vigia-low-2", Class: "low", Kind: "low", Reason: "behaves high", OK: true,
			Pattern: "mismatch", PatternValue: &cpu, Threshold: "low cpu",
			ThresholdValue: &cpuBound})
	var buf bytes.Buffer
	if err := WriteEvents(&buf, actions); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{"aaaaaaaaaaaa", "26.6", "256.0M", "extra high, heaviest",
		"failed: image not found", "dry-run", "PATTERN", "PRESSURE",
		"leak 2.50 > 0.75 %/min", "50%", "mismatch (low cpu) 50.00 > 37.50 %"} {
		if !strings.Contains(out, w) {
			t.Errorf("events table lacks %q:\n%s", w, out)
		}
	}
	buf.Reset()
	if err := JSON(&buf, Events(actions)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"container_id": "aaaa`, `"dry_run": true`, `"score": null`,
		`"error": "image not found"`, `"pattern": "leak"`, `"pattern_value": 2.5`,
		`"threshold": "low cpu"`, `"threshold_value": 0.75`, `"threshold_unit": "%/min"`,
		`"pressure": 0.5`, `"pressure": null`, `"pattern": ""`} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("events JSON lacks %q:\n%s", w, &buf)
		}
	}
	if b, _ := json.Marshal(Events(nil)); string(b) != "[]" {
		t.Errorf("no events in JSON = %s, want []", b)
	}
	buf.Reset()
	if err := WriteEvents(&buf, nil); err != nil || !strings.Contains(buf.String(), "no action") {
		t.Errorf("empty events: %v %q", err, buf.String())
	}
}
