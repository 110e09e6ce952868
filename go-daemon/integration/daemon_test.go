//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDaemon walks the daemon through one life: a crowded host brought to
// 3 + 2, Docker away and back, SIGTERM, kill -9 and the clean-ups after it.
func TestDaemon(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.vigiaContainer("low", "low", i)
	}
	for i := range 5 {
		e.vigiaContainer("high", []string{"ram", "cpu"}[i%2], 7+i)
	}
	grafana := e.create("vigia-grafana-"+e.instance, "vigia/low:latest", map[string]string{
		"io.vigia.role": "grafana", "io.vigia.managed": "true", "io.vigia.instance": e.instance})
	foreign := e.create("foreign-"+e.instance, "vigia/cpu:latest", nil)
	if low, high := e.census(); low != 7 || high != 5 {
		t.Fatalf("set-up: %d low, %d high running; want 7 and 5", low, high)
	}

	d := e.start()
	t.Run("holds 3 low and 2 high after two ticks", func(t *testing.T) {
		eventually(t, 60*time.Second, "two ticks without error", func() bool {
			return e.query("SELECT COUNT(*) FROM ticks WHERE error IS NULL") >= 2
		})
		if low, high := e.census(); low != 3 || high != 2 {
			t.Fatalf("%d low, %d high of vigia's running; want 3 and 2", low, high)
		}
		for _, id := range []string{grafana, foreign} {
			info, err := e.docker.ContainerInspect(context.Background(), id)
			if err != nil || !info.State.Running {
				t.Errorf("container %s was touched: %v", id[:12], err)
			}
		}
		if !exists(e.cron) {
			t.Errorf("cron entry %s not installed", e.cron)
		}
		if entry, _ := os.ReadFile(e.cron); !strings.Contains(string(entry), "/bash/generate.sh") {
			t.Errorf("cron entry does not run the generator:\n%s", entry)
		}
	})

	t.Run("the database holds samples and actions", func(t *testing.T) {
		checks := map[string]string{
			"memory samples":       "SELECT COUNT(*) FROM memory_samples",
			"samples of vigia's":   "SELECT COUNT(*) FROM container_samples WHERE class IN ('low','high')",
			"grafana sampled":      "SELECT COUNT(*) FROM container_samples WHERE class = 'grafana'",
			"process samples":      "SELECT COUNT(*) FROM process_samples WHERE container_id IS NOT NULL",
			"removals with reason": "SELECT COUNT(*) FROM actions WHERE action = 'remove' AND ok = 1 AND reason <> '' AND score IS NOT NULL",
		}
		for what, q := range checks {
			if n := e.query(q); n < 1 {
				t.Errorf("%s: %d rows (%s)", what, n, q)
			}
		}
		if n := e.query("SELECT COUNT(*) FROM actions WHERE action = 'remove' AND ok = 1"); n != 7 {
			t.Errorf("%d removals recorded, want 7", n)
		}
		if n := e.query("SELECT COUNT(*) FROM actions WHERE container_id IN ('" + grafana + "','" + foreign + "')"); n != 0 {
			t.Errorf("%d actions on grafana or the foreign container", n)
		}
	})

	t.Run("status and events", func(t *testing.T) {
		out, stderr, err := e.run("status", "--json")
		if err != nil {
			t.Fatalf("vigia status --json: %v\n%s", err, stderr)
		}
		var st struct {
			Containers []struct{ ID, Class, Action string }
			LastTick   *struct{ Removed int } `json:"last_tick"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status --json is not JSON: %v\n%s", err, out)
		}
		classes := map[string]string{}
		for _, c := range st.Containers {
			classes[c.ID] = c.Class
		}
		if classes[grafana] != "grafana" || classes[foreign] != "foreign" {
			t.Errorf("status classes: grafana %q, foreign %q", classes[grafana], classes[foreign])
		}
		if st.LastTick == nil {
			t.Error("status --json has no last_tick while the daemon runs")
		}
		if out, stderr, err = e.run("status"); err != nil || !strings.Contains(out, "POLICY") ||
			!strings.Contains(out, "daemon: last tick") {
			t.Errorf("vigia status: %v\n%s%s", err, out, stderr)
		}
		out, stderr, err = e.run("events", "--json", "--limit", "50")
		if err != nil || strings.Count(out, `"remove"`) != 7 {
			t.Errorf("vigia events --json: %v, %d removals\n%s%s", err, strings.Count(out, `"remove"`), out, stderr)
		}
	})

	t.Run("cleanup refuses while the daemon runs", func(t *testing.T) {
		if _, stderr, err := e.run("cleanup"); err == nil || !exists(e.cron) {
			t.Fatalf("cleanup with a live daemon: err %v, cron kept %v\n%s", err, exists(e.cron), stderr)
		}
	})

	t.Run("docker away and back", func(t *testing.T) {
		e.proxy.Cut()
		eventually(t, 30*time.Second, "a tick that records docker unreachable", func() bool {
			return e.query("SELECT COUNT(*) FROM ticks WHERE error LIKE '%unreachable%'") >= 1
		})
		extra := e.vigiaContainer("low", "low", 99) // through the real socket
		time.Sleep(3 * time.Second)
		if !d.alive() {
			t.Fatal("the daemon exited while Docker was away")
		}
		if !strings.Contains(d.log.String(), "docker unreachable") {
			t.Error("no warning about Docker in the log")
		}
		e.proxy.Restore()
		eventually(t, 60*time.Second, "the extra container removed after Docker came back", func() bool {
			_, err := e.docker.ContainerInspect(context.Background(), extra)
			return err != nil
		})
		if !strings.Contains(d.log.String(), "docker reachable again") {
			t.Error("no line about Docker coming back in the log")
		}
		if low, high := e.census(); low != 3 || high != 2 {
			t.Errorf("after recovery: %d low, %d high; want 3 and 2", low, high)
		}
	})

	t.Run("SIGTERM removes the cron entry", func(t *testing.T) {
		cpu, hwm := d.usage(t)
		ticks := e.query("SELECT COUNT(*) FROM ticks")
		procs := e.query("SELECT COUNT(*) FROM process_samples WHERE ts = (SELECT MAX(ts) FROM process_samples)")
		t.Logf("vigia run: %d ticks, %v CPU in all (%.1f ms per tick, start-up included), "+
			"peak RSS %d KiB, %d processes in the last sample", ticks, cpu,
			float64(cpu.Microseconds())/1000/float64(max(ticks, 1)), hwm, procs)
		if err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("vigia run exited with %v after SIGTERM\n%s", err, d.log.String())
		}
		if exists(e.cron) {
			t.Fatal("cron entry still there after SIGTERM")
		}
		log := d.log.String()
		if strings.Index(log, "cron entry removed") > strings.Index(log, "database closed") {
			t.Error("the database closed before the cron entry was removed")
		}
	})

	t.Run("kill -9 leaves the entry; cleanup removes it", func(t *testing.T) {
		d := e.start()
		eventually(t, 60*time.Second, "the cron entry", func() bool { return exists(e.cron) })
		d.stop(t, syscall.SIGKILL)
		if !exists(e.cron) {
			t.Fatal("no stale entry after kill -9: nothing to clean up")
		}
		if _, stderr, err := e.run("cleanup"); err != nil || exists(e.cron) {
			t.Fatalf("vigia cleanup: %v, entry still there: %v\n%s", err, exists(e.cron), stderr)
		}
	})

	t.Run("kill -9 leaves the entry; the next start removes it; SIGINT too", func(t *testing.T) {
		d := e.start()
		eventually(t, 60*time.Second, "the cron entry", func() bool { return exists(e.cron) })
		d.stop(t, syscall.SIGKILL)
		if !exists(e.cron) {
			t.Fatal("no stale entry after kill -9")
		}
		d = e.start()
		eventually(t, 60*time.Second, "the stale entry reported", func() bool {
			return strings.Contains(d.log.String(), "removed a stale cron entry")
		})
		eventually(t, 30*time.Second, "the entry installed again", func() bool { return exists(e.cron) })
		if err := d.stop(t, syscall.SIGINT); err != nil || exists(e.cron) {
			t.Fatalf("SIGINT: %v, entry still there: %v", err, exists(e.cron))
		}
	})
}

// TestStartupFailureLeavesNoEntry: when the modules cannot load and the
// fallback is not allowed, the daemon refuses to start and says why, and a
// stale entry of an earlier crash is gone too. The root is a copy whose
// load-modules.sh fails, so the test means the same on a host that can load
// the modules.
func TestStartupFailureLeavesNoEntry(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	for path, body := range map[string]string{
		"bash/load-modules.sh":    "#!/usr/bin/env bash\necho 'insmod: ERROR: could not insert module' >&2\nexit 1\n",
		"bash/cron/vigia.cron.in": "",
		"bash/lib/common.sh":      "",
		"vigia.conf":              "",
	} {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if body == "" {
			b, err := os.ReadFile(filepath.Join(e.root, path))
			if err != nil {
				t.Fatal(err)
			}
			body = string(b)
		}
		if err := os.WriteFile(full, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(e.cron, []byte("# vigia: left by a daemon killed with -9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, stderr, err := e.runEnv([]string{"VIGIA_SENSOR_FALLBACK=false", "VIGIA_ROOT=" + root}, "run")
	if err == nil {
		t.Fatal("vigia run started without modules and without the fallback")
	}
	if !strings.Contains(stderr, "could not insert module") ||
		!strings.Contains(stderr, "VIGIA_SENSOR_FALLBACK=true") {
		t.Errorf("the error does not say what failed and what to do:\n%s", stderr)
	}
	if exists(e.cron) {
		t.Error("a cron entry is left after a failed start")
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the failed start took %v", d)
	}
}
