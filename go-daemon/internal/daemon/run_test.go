package daemon

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigia/internal/config"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// testConfig puts every file of a daemon under a temp dir; the root holds a
// copy of the shipped cron template and nothing else (no compose file, no
// load-modules.sh). Docker is a dead socket: the loop must live with that.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	tmpl, err := os.ReadFile("../../../bash/cron/vigia.cron.in")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "bash", "cron"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bash", "cron", "vigia.cron.in"), tmpl, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cron.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "no-docker.sock"))
	return &config.Config{ID: "t", ProcMode: 0o400, DB: filepath.Join(dir, "db", "vigia.db"),
		LogDir: filepath.Join(dir, "log"), CronFile: filepath.Join(dir, "cron.d", "vigia"),
		CronSchedule: "* * * * *", Batch: 10, Interval: 20 * time.Millisecond, KeepLow: 3,
		KeepHigh: 2, Retention: time.Hour, GrafanaAddr: "127.0.0.1:1", Root: root}
}

// panicky is a sensor that panics on its third read.
type panicky struct{ reads atomic.Int32 }

func (p *panicky) Read(ctx context.Context) (sensor.Reading, error) {
	if p.reads.Add(1) == 3 {
		panic("sensor bug")
	}
	return sensor.Reading{}, errors.New("no snapshot")
}

func TestRunLifecycle(t *testing.T) {
	cfg := testConfig(t)
	// A stale entry from a daemon killed with -9.
	if err := os.WriteFile(cfg.CronFile, []byte("# vigia: stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := newFakeHost()
	populate(h, 4, 2)
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, Options{Config: cfg, Log: quiet, Source: h}) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(cfg.CronFile)
		if strings.Contains(string(b), "generate.sh") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cron entry not installed: %q", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := AcquireLock(LockPath(cfg.DB)); !errors.Is(err, ErrRunning) {
		t.Errorf("a second daemon could take the lock: %v", err)
	}
	if err := Cleanup(cfg, quiet); err == nil {
		t.Error("cleanup ran while the daemon was running")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n := tickCount(t, cfg.DB); n >= 3 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d ticks recorded in 10 s at a 20 ms interval", n)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := os.Stat(cfg.CronFile); !os.IsNotExist(err) {
		t.Errorf("cron entry still there after shutdown: %v", err)
	}
	db, err := store.Open(context.Background(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tick, err := db.LatestTick(context.Background())
	if err != nil || tick.ID < 2 || !strings.Contains(tick.Error, "unreachable") {
		t.Errorf("latest tick %+v, %v: want several ticks, Docker unreachable", tick, err)
	}
}

func TestRunPanicRemovesCron(t *testing.T) {
	cfg := testConfig(t)
	errc := make(chan error, 1)
	go func() { errc <- Run(context.Background(), Options{Config: cfg, Log: quiet, Source: &panicky{}}) }()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "panic: sensor bug") {
			t.Fatalf("Run = %v, want the panic as an error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the panic")
	}
	if _, err := os.Stat(cfg.CronFile); !os.IsNotExist(err) {
		t.Errorf("cron entry still there after a panic: %v", err)
	}
	l, err := AcquireLock(LockPath(cfg.DB))
	if err != nil {
		t.Fatalf("lock not released after a panic: %v", err)
	}
	l.Release()
}

func TestRunRefusesForeignCronFile(t *testing.T) {
	cfg := testConfig(t)
	if err := os.WriteFile(cfg.CronFile, []byte("0 3 * * * root /usr/bin/backup\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), Options{Config: cfg, Log: quiet, Source: newFakeHost()})
	if err == nil || !strings.Contains(err.Error(), "not written by vigia") {
		t.Fatalf("Run = %v, want a refusal to touch the foreign file", err)
	}
	if b, _ := os.ReadFile(cfg.CronFile); !strings.Contains(string(b), "backup") {
		t.Errorf("foreign cron file changed: %q", b)
	}
}

// slowLoad blocks start-up the way a long module build does.
func slowLoad(ctx context.Context, _ *config.Config, _ *slog.Logger) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestRunStoppedDuringStartup(t *testing.T) {
	cfg := testConfig(t)
	cfg.SensorFallback = true
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, _, err := ChooseSensor(ctx, cfg, quiet, slowLoad)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ChooseSensor after cancel = %v, want context.Canceled (no fallback)", err)
	}
	// Through Run: the real load-modules.sh is absent from the test root, so
	// stop it while Grafana's compose step or the sensor choice runs.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := Run(ctx2, Options{Config: cfg, Log: quiet}); err != nil {
		t.Fatalf("Run stopped during start-up = %v, want nil", err)
	}
	if _, err := os.Stat(cfg.CronFile); !os.IsNotExist(err) {
		t.Errorf("cron entry left after a stop during start-up: %v", err)
	}
}

// tickCount reads how many ticks the daemon recorded so far.
func tickCount(t *testing.T, path string) int64 {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.ReadOnly())
	if err != nil {
		return 0 // not created yet
	}
	defer db.Close()
	tick, err := db.LatestTick(context.Background())
	if err != nil {
		return 0
	}
	return tick.ID
}
