package soak

import (
	"fmt"
	"strings"
	"time"
)

// The leak rules of the end-of-run checks (see FlatRule). The slack absorbs
// what a healthy daemon does: the Go heap settling, the Docker client's idle
// connections, SQLite's page cache, the WAL file reaching its checkpoint size.
var (
	rssRule        = FlatRule{Factor: 1.2, Slack: 8 * 1024, MinPoints: 5, Unit: "KiB"}
	goroutinesRule = FlatRule{Factor: 1.2, Slack: 10, MinPoints: 5, Unit: "goroutines"}
	fdsRule        = FlatRule{Factor: 1.2, Slack: 10, MinPoints: 5, Unit: "fds"}
	dbRule         = FlatRule{Factor: 1.1, Slack: 1 << 20, MinPoints: 5, Unit: "bytes"}
)

// warmup is the part of the run the leak rules leave out: start-up
// allocations, and for the database the time before pruning starts.
func warmup(o Options) (proc, db time.Duration) {
	proc = max(30*time.Second, o.Duration/10)
	db = max(proc, o.Retention+o.retentionSlack()+3*o.Tick)
	return proc, db
}

// JudgeRun returns the checks judged once over the whole run.
func JudgeRun(obs []Observation, runs []GeneratorRun, o Options) []Check {
	procWarm, dbWarm := warmup(o)
	series := func(f func(Observation) (float64, bool)) []Point {
		var out []Point
		for _, ob := range obs {
			if v, ok := f(ob); ok {
				out = append(out, Point{T: ob.Seen, V: v})
			}
		}
		return out
	}
	alive := func(ob Observation) bool { return ob.RSSKB > 0 }
	rss := series(func(ob Observation) (float64, bool) { return float64(ob.RSSKB), alive(ob) })
	fds := series(func(ob Observation) (float64, bool) { return float64(ob.FDs), alive(ob) })
	gor := series(func(ob Observation) (float64, bool) {
		return float64(ob.Goroutines), alive(ob) && ob.Goroutines >= 0
	})
	dbs := series(func(ob Observation) (float64, bool) { return float64(ob.DBBytes), true })

	checks := []Check{
		flatCheck("rss_flat", rssRule, procWarm, rss),
		flatCheck("fds_flat", fdsRule, procWarm, fds),
	}
	if len(gor) == 0 && len(rss) > 0 {
		checks = append(checks, Check{Name: "goroutines_flat", Status: Fail,
			Detail: "the daemon does not expose its goroutine count (VIGIA_DEBUG_ADDR, " +
				"/debug/vars): the check cannot show the invariant held"})
	} else {
		checks = append(checks, flatCheck("goroutines_flat", goroutinesRule, procWarm, gor))
	}
	checks = append(checks, flatCheck("db_size_flat", dbRule, dbWarm, dbs),
		ticksSeen(obs, o), countsJudged(obs), generatorOK(runs))
	return checks
}

func flatCheck(name string, r FlatRule, warm time.Duration, pts []Point) Check {
	r.Warmup = warm
	vd := r.Judge(pts)
	return Check{Name: name, Status: statusOf(vd.OK), Detail: vd.Detail}
}

// ticksSeen fails when the daemon ticked less than half as often as its
// interval asks: a stalled loop.
func ticksSeen(obs []Observation, o Options) Check {
	want := int(o.Duration / o.Tick)
	d := fmt.Sprintf("%d ticks in %s at one per %s (%d expected, at least %d required)",
		len(obs), o.Duration, o.Tick, want, want/2)
	return Check{Name: "ticks_seen", Status: statusOf(len(obs) >= want/2), Detail: d}
}

// countsJudged fails when fewer than a fifth of the ticks, or fewer than
// five, were quiet: the counts were then hardly judged at all.
func countsJudged(obs []Observation) Check {
	quiet := 0
	for _, ob := range obs {
		if ob.Quiet {
			quiet++
		}
	}
	d := fmt.Sprintf("%d of %d ticks were quiet and judged for counts (at least a fifth and "+
		"5 required)", quiet, len(obs))
	return Check{Name: "counts_judged", Status: statusOf(quiet >= 5 && 5*quiet >= len(obs)),
		Detail: d}
}

// generatorOK fails when a generator run failed; a run that found the lock
// held (another run still going) is not a failure.
func generatorOK(runs []GeneratorRun) Check {
	failed, started := 0, 0
	last := ""
	for _, r := range runs {
		started += r.Started
		if r.ExitCode != 0 && r.ExitCode != exitLocked {
			failed++
			last = fmt.Sprintf("; last failure: exit %d: %s", r.ExitCode, r.Error)
		}
	}
	d := fmt.Sprintf("%d runs, %d failed, %d containers started%s", len(runs), failed, started, last)
	return Check{Name: "generator_ok", Status: statusOf(len(runs) > 0 && failed == 0), Detail: d}
}

// offenderActed fails when the daemon never capped nor removed the
// offender: a busy core labelled low went unnoticed for the whole run.
func offenderActed(id string, actions []string) Check {
	if len(actions) == 0 {
		return Check{Name: "offender_acted", Status: Fail, Detail: fmt.Sprintf(
			"the daemon never acted on the offender %.12s (a busy core labelled low)", id)}
	}
	return Check{Name: "offender_acted", Status: Pass, Detail: fmt.Sprintf(
		"the daemon acted on the offender %.12s: %s", id, strings.Join(actions, ", "))}
}
