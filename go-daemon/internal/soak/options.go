package soak

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrCannotRun means this host lacks what a soak needs (Docker, the images):
// the run did not start, and no invariant was judged.
var ErrCannotRun = errors.New("cannot run the soak here")

// Options configure a soak run. The zero value of a field takes the default
// named in its comment.
type Options struct {
	Duration time.Duration // how long the daemon runs (3m)
	Tick     time.Duration // the daemon's VIGIA_INTERVAL (2s)
	// GeneratorEvery is the pause from the end of one generator run to the
	// start of the next (10s).
	GeneratorEvery time.Duration
	Batch          int           // containers per generator run (10)
	Retention      time.Duration // the daemon's VIGIA_RETENTION (60s)
	KeepLow        int           // VIGIA_KEEP_LOW (3)
	KeepHigh       int           // VIGIA_KEEP_HIGH (2)

	// Offender starts, before the daemon, one of the run's "low" containers
	// that burns a core, so the daemon's patterns have something to catch;
	// the offender_acted check then wants an action of the daemon on it. The
	// first generator run waits for that action (one minute at most).
	Offender bool

	// Settings are more vigia.conf lines (KEY=value) for the run's daemon
	// and generator, after the soak's own, so they win: for example a policy
	// option the soak should exercise.
	Settings []string

	Root string // repository root, holding bash/generate.sh (required)
	Bin  string // the vigia binary run as the daemon (required)
	// Dir is where the run's files go (database, logs, cron entry, results);
	// it is created. Default: Root/build/soak/<run id>.
	Dir string

	StartTimeout time.Duration // until the first tick (3m: the daemon may build modules)
	StopTimeout  time.Duration // from SIGTERM until the daemon must have exited (60s)

	Log *slog.Logger
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Duration, 3*time.Minute)
	def(&o.Tick, 2*time.Second)
	def(&o.GeneratorEvery, 10*time.Second)
	def(&o.Retention, 60*time.Second)
	def(&o.StartTimeout, 3*time.Minute)
	def(&o.StopTimeout, 60*time.Second)
	if o.Batch == 0 {
		o.Batch = 10
	}
	if o.KeepLow == 0 && o.KeepHigh == 0 {
		o.KeepLow, o.KeepHigh = 3, 2
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

func (o *Options) validate() error {
	switch {
	case o.Tick < 500*time.Millisecond:
		return fmt.Errorf("tick %s: want at least 500ms", o.Tick)
	case o.Duration < 10*o.Tick:
		return fmt.Errorf("duration %s: want at least 10 ticks (%s)", o.Duration, 10*o.Tick)
	case o.GeneratorEvery < o.Tick:
		return fmt.Errorf("generator every %s: want at least one tick (%s)", o.GeneratorEvery, o.Tick)
	case o.Batch < 1 || o.Batch > 1000:
		return fmt.Errorf("batch %d: want 1 to 1000", o.Batch)
	case o.Retention < time.Second:
		return fmt.Errorf("retention %s: want at least 1s", o.Retention)
	case o.KeepLow < 0 || o.KeepHigh < 0:
		return fmt.Errorf("keep low %d, keep high %d: want 0 or more", o.KeepLow, o.KeepHigh)
	case o.Root == "" || o.Bin == "":
		return errors.New("the repository root and the vigia binary are required")
	}
	for _, kv := range o.Settings {
		if !settingRE.MatchString(kv) {
			return fmt.Errorf("setting %q: want VIGIA_KEY=value on one line", kv)
		}
	}
	if _, err := os.Stat(filepath.Join(o.Root, "bash", "generate.sh")); err != nil {
		return fmt.Errorf("root %s: %w", o.Root, err)
	}
	return nil
}

var settingRE = regexp.MustCompile(`^VIGIA_[A-Z0-9_]+=[^\n]*$`)

// retentionSlack is how much older than the retention a row may be: the
// daemon prunes now and then, not at every tick.
func (o *Options) retentionSlack() time.Duration {
	return o.Retention/2 + 2*o.Tick
}

// newRunID returns soak-<UTC yyyymmddHHMMSS>-<4 hex>, which is also the
// daemon's VIGIA_INSTANCE (at most 64 of [A-Za-z0-9_.-]).
func newRunID(now time.Time) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return "soak-" + now.UTC().Format("20060102150405") + "-" + hex.EncodeToString(b[:]), nil
}

// configFile renders the vigia.conf the daemon and the generator of the run
// read (through VIGIA_CONFIG), so nothing of the host's /etc/vigia leaks in.
func (o *Options) configFile(dir, runID string) string {
	id := strings.NewReplacer("-", "_").Replace(runID)
	lines := []string{
		"# vigia.conf of soak run " + runID + ", written by `vigia soak`.",
		"VIGIA_ID=" + id,
		"VIGIA_PROC_MODE=0400",
		"VIGIA_DB=" + filepath.Join(dir, "vigia.db"),
		"VIGIA_LOG_DIR=" + filepath.Join(dir, "log"),
		"VIGIA_CRON_FILE=" + filepath.Join(dir, "cron.d", "vigia"),
		"VIGIA_CRON_SCHEDULE=* * * * *",
		"VIGIA_BATCH=" + strconv.Itoa(o.Batch),
		"VIGIA_INTERVAL=" + o.Tick.String(),
		"VIGIA_KEEP_LOW=" + strconv.Itoa(o.KeepLow),
		"VIGIA_KEEP_HIGH=" + strconv.Itoa(o.KeepHigh),
		"VIGIA_DRY_RUN=false",
		"VIGIA_SENSOR_FALLBACK=true",
		"VIGIA_RETENTION=" + o.Retention.String(),
		// TODO: turn Grafana off for the soak's daemon once the daemon has a
		// setting for it; not yet because none exists, so on a host that has
		// the Grafana image the soak's daemon would bring up the shared
		// vigia-grafana container (this host has no image: the daemon warns).
		"VIGIA_GRAFANA_ADDR=127.0.0.1:3000",
		"VIGIA_INSTANCE=" + runID,
	}
	// A setting replaces the soak's line of the same key: the Go loader and
	// the bash one must not disagree on which of two lines wins.
	for _, kv := range o.Settings {
		key := kv[:strings.IndexByte(kv, '=')+1]
		replaced := false
		for i, l := range lines {
			if strings.HasPrefix(l, key) {
				lines[i], replaced = kv, true
			}
		}
		if !replaced {
			lines = append(lines, kv)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// environ is the environment of the daemon and the generator: the harness's
// own without any VIGIA_* setting, plus the run's.
func environ(base []string, extra ...string) []string {
	var out []string
	for _, kv := range base {
		if !strings.HasPrefix(kv, "VIGIA_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}
