//go:build integration

package integration

import (
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestFiftyExtrasWithinOneTick: with 53 low containers of vigia's and the
// default 20 s interval, the first tick stops and removes the 50 extras and
// finishes inside its interval.
func TestFiftyExtrasWithinOneTick(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range 53 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.vigiaContainer("low", "low", i)
		}()
	}
	for i := range 2 {
		e.vigiaContainer("high", "ram", 60+i)
	}
	wg.Wait()
	if low, high := e.census(); low != 53 || high != 2 {
		t.Fatalf("set-up: %d low, %d high; want 53 and 2", low, high)
	}
	d := e.startEnv("VIGIA_INTERVAL=20s")
	eventually(t, 90*time.Second, "the first tick", func() bool {
		return e.query("SELECT COUNT(*) FROM ticks") >= 1
	})
	ms := e.query("SELECT duration_ms FROM ticks ORDER BY id LIMIT 1")
	removed := e.query("SELECT removed FROM ticks ORDER BY id LIMIT 1")
	t.Logf("first tick: %d removed in %d ms", removed, ms)
	if removed != 50 {
		t.Errorf("first tick removed %d, want 50", removed)
	}
	if ms < 0 || ms >= 20000 {
		t.Errorf("first tick took %d ms, want under the 20 s interval", ms)
	}
	if low, high := e.census(); low != 3 || high != 2 {
		t.Errorf("after the tick: %d low, %d high; want 3 and 2", low, high)
	}
	if err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestDryRun: with VIGIA_DRY_RUN=true the daemon records what it would do
// and does nothing.
func TestDryRun(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.vigiaContainer("low", "low", i)
	}
	d := e.startEnv("VIGIA_DRY_RUN=true", "VIGIA_LOG_LEVEL=debug")
	eventually(t, 60*time.Second, "two ticks", func() bool {
		return e.query("SELECT COUNT(*) FROM ticks WHERE error IS NULL") >= 2
	})
	if low, high := e.census(); low != 5 || high != 0 {
		t.Errorf("dry run changed the host: %d low, %d high; want 5 and 0", low, high)
	}
	if n := e.query("SELECT COUNT(*) FROM actions WHERE dry_run = 0"); n != 0 {
		t.Errorf("%d actions recorded as carried out in a dry run", n)
	}
	if n := e.query("SELECT COUNT(*) FROM actions WHERE dry_run = 1 AND action = 'remove'"); n < 2 {
		t.Errorf("%d dry-run removals recorded, want at least 2 (one tick's)", n)
	}
	if n := e.query("SELECT COUNT(*) FROM actions WHERE dry_run = 1 AND action = 'start'"); n < 2 {
		t.Errorf("%d dry-run starts recorded, want at least 2 (one tick's)", n)
	}
	for _, want := range []string{"level=DEBUG msg=tick", "dry run: would remove container"} {
		if !strings.Contains(d.log.String(), want) {
			t.Errorf("the debug log lacks %q", want)
		}
	}
	if err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}
