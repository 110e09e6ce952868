package soak

import (
	"strings"
	"testing"
	"time"
)

var testTargets = Targets{KeepLow: 3, KeepHigh: 2, Retention: time.Minute,
	RetentionSlack: 30 * time.Second}

func standIn(role string) StandIn {
	return StandIn{Role: role, ID: role + "-id", Name: "vigia-soak-" + role,
		StartedAt: "2026-12-03T16:00:00Z", Running: true,
		Labels: map[string]string{labelSoak: "soak-x"}}
}

// goodView is a tick after which everything holds.
func goodView() TickView {
	exp := []StandIn{standIn("grafana"), standIn("foreign")}
	now := map[string]StandIn{}
	for _, s := range exp {
		now[s.Role] = s
	}
	var cs []RunContainer
	for i, class := range []string{"low", "low", "low", "high", "high"} {
		cs = append(cs, RunContainer{ID: string(rune('a' + i)), Name: "c" + class,
			Class: class, State: "running"})
	}
	return TickView{
		Obs: Observation{TickID: 7, Quiet: true, Low: 3, High: 2, DaemonLow: 3,
			DaemonHigh: 2, OldestRow: 50 * time.Second, DBBytes: 1000},
		Containers: cs, Expected: exp, Now: now,
		Actions: []ActionRow{{Action: "remove", Name: "x", OK: true},
			{Action: "cap", ContainerID: "capped", Name: "y", OK: true}},
		CapLimits:   map[string]Limits{"capped": {Memory: 64 << 20}},
		DaemonAlive: true, DaemonState: "pid 1",
		CronPresent: true, CronDetail: "entry present",
	}
}

func TestJudgeTick(t *testing.T) {
	tests := []struct {
		name   string
		change func(*TickView)
		check  string
		status Status
		detail string
	}{
		{"all good: counts", func(*TickView) {}, "counts", Pass, "low 3/3, high 2/2"},
		{"all good: caps", func(*TickView) {}, "caps_applied", Pass, "1 caps"},
		{"tick error", func(v *TickView) { v.Obs.TickError = "read sensor: truncated" },
			"tick_ok", Fail, "truncated"},
		{"one high too many", func(v *TickView) { v.Obs.High = 3 }, "counts", Fail, "high 3/2"},
		{"one low short", func(v *TickView) { v.Obs.Low = 2 }, "counts", Fail, "low 2/3"},
		{"busy tick: extras are the generator's", func(v *TickView) {
			v.Obs.Quiet, v.Obs.High = false, 12
		}, "counts", Pass, "lower bound only: low 3 >= 3, high 12 >= 2"},
		{"busy tick: short of a class", func(v *TickView) { v.Obs.Quiet, v.Obs.Low = false, 2 },
			"counts", Fail, "low 2 >= 3"},
		{"busy tick: exited not judged", func(v *TickView) {
			v.Obs.Quiet = false
			v.Containers[0].State = "exited"
		}, "no_exited", Skip, "generator"},
		{"daemon recorded another count", func(v *TickView) { v.Obs.DaemonHigh = 3 },
			"recorded_counts", Fail, "recorded low 3, high 3"},
		{"busy tick: recorded counts not judged", func(v *TickView) {
			v.Obs.Quiet, v.Obs.DaemonHigh = false, 3
		}, "recorded_counts", Skip, "generator"},
		{"exited container", func(v *TickView) { v.Containers[1].State = "exited" },
			"no_exited", Fail, "clow (exited)"},
		{"created container", func(v *TickView) { v.Containers[4].State = "created" },
			"no_exited", Fail, "(created)"},
		{"grafana gone", func(v *TickView) { delete(v.Now, "grafana") }, "standins", Fail,
			"grafana vigia-soak-grafana is gone"},
		{"foreign replaced", func(v *TickView) {
			s := v.Now["foreign"]
			s.ID = "another"
			v.Now["foreign"] = s
		}, "standins", Fail, "was replaced"},
		{"foreign stopped", func(v *TickView) {
			s := v.Now["foreign"]
			s.Running = false
			v.Now["foreign"] = s
		}, "standins", Fail, "not running"},
		{"grafana restarted", func(v *TickView) {
			s := v.Now["grafana"]
			s.StartedAt = "2026-12-03T16:05:00Z"
			v.Now["grafana"] = s
		}, "standins", Fail, "restarted"},
		{"grafana capped", func(v *TickView) {
			s := v.Now["grafana"]
			s.Limits.Memory = 1 << 20
			v.Now["grafana"] = s
		}, "standins", Fail, "limits changed"},
		{"foreign relabelled", func(v *TickView) {
			s := v.Now["foreign"]
			s.Labels = map[string]string{labelSoak: "soak-x", labelManaged: "true"}
			v.Now["foreign"] = s
		}, "standins", Fail, "labels changed"},
		{"failed removal", func(v *TickView) {
			v.Actions[0].OK, v.Actions[0].Error = false, "context deadline exceeded"
		}, "actions_ok", Fail, "remove x: context deadline exceeded"},
		{"cap without a limit", func(v *TickView) { v.CapLimits["capped"] = Limits{} },
			"caps_applied", Fail, "y has no memory or CPU limit"},
		{"capped container gone since", func(v *TickView) { delete(v.CapLimits, "capped") },
			"caps_applied", Pass, "1 caps"},
		{"cpu cap counts", func(v *TickView) { v.CapLimits["capped"] = Limits{NanoCPUs: 5e8} },
			"caps_applied", Pass, ""},
		{"cron entry missing", func(v *TickView) {
			v.CronPresent, v.CronDetail = false, "/x/cron.d/vigia does not exist"
		}, "cron_present", Fail, "does not exist"},
		{"row older than retention and slack", func(v *TickView) { v.Obs.OldestRow = 91 * time.Second },
			"retention", Fail, "limit 1m30s"},
		{"row within the slack", func(v *TickView) { v.Obs.OldestRow = 89 * time.Second },
			"retention", Pass, ""},
		{"empty database", func(v *TickView) { v.Obs.OldestRow = -1 }, "retention", Pass, "no rows"},
		{"daemon dead", func(v *TickView) {
			v.DaemonAlive, v.DaemonState = false, "the daemon exited: exit status 2"
		}, "daemon_alive", Fail, "exit status 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := goodView()
			tt.change(&v)
			checks := JudgeTick(v, testTargets)
			var got *Check
			for i := range checks {
				if checks[i].TickID != 7 {
					t.Errorf("check %s has tick %d, want 7", checks[i].Name, checks[i].TickID)
				}
				if checks[i].Name == tt.check {
					got = &checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no check %s in %+v", tt.check, checks)
			}
			if got.Status != tt.status || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("%s = %s %q, want %s containing %q", tt.check, got.Status, got.Detail,
					tt.status, tt.detail)
			}
		})
	}
}

// TestJudgeTickGood checks that a healthy tick passes every check, so each
// failure case above is the change's doing.
func TestJudgeTickGood(t *testing.T) {
	checks := JudgeTick(goodView(), testTargets)
	want := []string{"tick_ok", "counts", "recorded_counts", "no_exited", "standins", "actions_ok",
		"caps_applied", "cron_present", "retention", "daemon_alive"}
	if len(checks) != len(want) {
		t.Fatalf("got %d checks, want %d: %+v", len(checks), len(want), checks)
	}
	for i, c := range checks {
		if c.Name != want[i] || c.Status != Pass {
			t.Errorf("check %d = %s %s (%s), want %s pass", i, c.Name, c.Status, c.Detail, want[i])
		}
	}
}

func obsSeries(n int, every time.Duration, f func(i int, o *Observation)) []Observation {
	t0 := time.Unix(1_700_000_000, 0)
	out := make([]Observation, n)
	for i := range out {
		out[i] = Observation{TickID: int64(i + 1), Seen: t0.Add(time.Duration(i) * every),
			Quiet: true, RSSKB: 30_000, Goroutines: 20, FDs: 15, Threads: 8, DBBytes: 4 << 20}
		if f != nil {
			f(i, &out[i])
		}
	}
	return out
}

func TestJudgeRun(t *testing.T) {
	o := Options{Duration: 3 * time.Minute, Tick: 2 * time.Second, Retention: time.Minute}
	okRuns := []GeneratorRun{{Started: 10}, {ExitCode: exitLocked}}
	tests := []struct {
		name   string
		obs    []Observation
		runs   []GeneratorRun
		check  string
		status Status
		detail string
	}{
		{"healthy: rss", obsSeries(90, 2*time.Second, nil), okRuns, "rss_flat", Pass, ""},
		{"healthy: locked generator run is fine", obsSeries(90, 2*time.Second, nil), okRuns,
			"generator_ok", Pass, "2 runs, 0 failed, 10 containers"},
		{"rss leak", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.RSSKB += int64(i) * 500
		}), okRuns, "rss_flat", Fail, "trend"},
		{"goroutine leak", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.Goroutines += int64(i)
		}), okRuns, "goroutines_flat", Fail, ""},
		{"goroutines not exposed", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.Goroutines = -1
		}), okRuns, "goroutines_flat", Fail, "does not expose"},
		{"fd leak", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.FDs += i / 2
		}), okRuns, "fds_flat", Fail, ""},
		{"database grows past the warm-up", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.DBBytes += int64(i) << 18
		}), okRuns, "db_size_flat", Fail, ""},
		{"stalled loop", obsSeries(40, 4*time.Second, nil), okRuns, "ticks_seen", Fail,
			"40 ticks in 3m0s"},
		{"all busy", obsSeries(90, 2*time.Second, func(i int, o *Observation) {
			o.Quiet = i%6 == 0
		}), okRuns, "counts_judged", Fail, "15 of 90"},
		{"failed generator run", obsSeries(90, 2*time.Second, nil),
			[]GeneratorRun{{Started: 10}, {ExitCode: 1, Error: "image vigia/ram:latest is missing"}},
			"generator_ok", Fail, "is missing"},
		{"no generator run", obsSeries(90, 2*time.Second, nil), nil, "generator_ok", Fail, "0 runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Check
			checks := JudgeRun(tt.obs, tt.runs, o)
			for i := range checks {
				if checks[i].Name == tt.check {
					got = &checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no check %s", tt.check)
			}
			if got.Status != tt.status || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("%s = %s %q, want %s containing %q", tt.check, got.Status, got.Detail,
					tt.status, tt.detail)
			}
		})
	}
}

func TestJudgeRunHealthyPassesAll(t *testing.T) {
	o := Options{Duration: 3 * time.Minute, Tick: 2 * time.Second, Retention: time.Minute}
	for _, c := range JudgeRun(obsSeries(90, 2*time.Second, nil), []GeneratorRun{{Started: 10}}, o) {
		if c.Status != Pass {
			t.Errorf("%s = %s: %s", c.Name, c.Status, c.Detail)
		}
	}
}

func TestOffenderActed(t *testing.T) {
	if c := offenderActed("abc", nil); c.Status != Fail || !strings.Contains(c.Detail, "never") {
		t.Errorf("no action: %+v", c)
	}
	if c := offenderActed("abc", []string{"cap"}); c.Status != Pass || !strings.Contains(c.Detail, "cap") {
		t.Errorf("capped: %+v", c)
	}
}
