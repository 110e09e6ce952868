// Command vigia watches the containers of this host and keeps 3 low and 2 high
// of its own running. See `vigia help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"vigia/internal/config"
	"vigia/internal/daemon"
	"vigia/internal/docker"
	"vigia/internal/logfile"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
	"vigia/internal/ui"
)

// version is set by the Makefile (-X main.version=...).
var version = "dev"

const usage = `Usage: vigia COMMAND [flags]

Commands:
  run                     run the daemon (start-up, loop every VIGIA_INTERVAL)
  status [--json]         containers with class, CPU%, memory, I/O and the policy's verdict now
  top [--json]            status, redrawn every --refresh until Ctrl-C
  events [--json]         recent actions with their reasons, from the database
  cleanup                 remove the cron entry a killed daemon left behind
  soak [flags]            run the whole system for a while, check its invariants, report
  snapshot check FILE...  parse /proc snapshot files strictly; non-zero exit names the fault
  version                 print the version

Every command takes the configuration flags (vigia COMMAND --help lists them);
each has a vigia.conf key and an environment variable of the same name.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code; everything deferred below it has run by then.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "run":
		err = cmdRun(ctx, rest, stderr)
	case "status":
		err = cmdStatus(ctx, rest, stdout, stderr, false)
	case "top":
		err = cmdStatus(ctx, rest, stdout, stderr, true)
	case "events":
		err = cmdEvents(ctx, rest, stdout, stderr)
	case "cleanup":
		err = cmdCleanup(rest, stderr)
	case "soak":
		err = cmdSoak(ctx, rest, stdout, stderr)
	case "snapshot":
		err = cmdSnapshot(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "vigia", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "vigia: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	return finish(cmd, err, stderr)
}

// finish reports a subcommand's error and turns it into the exit status.
func finish(cmd string, err error, stderr io.Writer) int {
	var coded *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &coded):
		fmt.Fprintf(stderr, "vigia %s: %v\n", cmd, coded.err)
		return coded.code
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "vigia %s: %v\n", cmd, err)
		return 2
	}
	fmt.Fprintf(stderr, "vigia %s: %v\n", cmd, err)
	return 1
}

var errUsage = errors.New("usage")

// exitError asks run for a given exit status (77 for "cannot run here"), so a
// subcommand never calls os.Exit past the deferred clean-up.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// command is a subcommand's flag set with the configuration flags on it.
type command struct {
	fs    *flag.FlagSet
	flags *config.Flags
}

// summaries are the one-line descriptions --help prints per subcommand.
var summaries = map[string]string{
	"run":     "Runs the daemon: start-up, then a tick every VIGIA_INTERVAL until SIGINT or SIGTERM.",
	"status":  "Shows the containers with class, CPU%, memory, I/O and what the policy would do now.",
	"top":     "Shows status, redrawn every --refresh, until Ctrl-C.",
	"events":  "Lists the daemon's recent actions with their reasons, newest first.",
	"cleanup": "Removes the cron entry a daemon killed with -9 left behind.",
}

func newCommand(name string, stderr io.Writer) *command {
	fs := flag.NewFlagSet("vigia "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: vigia %s [flags]\n\n%s\n\nFlags:\n", name, summaries[name])
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\n%s", config.Table())
	}
	return &command{fs: fs, flags: config.AddFlags(fs)}
}

// load parses the arguments and loads the configuration.
func (c *command) load(args []string) (*config.Config, error) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return config.Load(c.flags.Inputs(os.Environ()))
}

// newLogger logs at level (VIGIA_LOG_LEVEL): Info shows the lifecycle and
// every action, Debug adds a line per tick and the verdicts kept or skipped.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	c := newCommand("run", stderr)
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, c.fs.Arg(0))
	}
	out, closeLog := logOutput(cfg.LogDir, stderr)
	defer closeLog()
	log := newLogger(out, cfg.LogLevel)
	for _, u := range cfg.Unknown {
		log.Warn("configuration key not used by the daemon", "key", u)
	}
	logConfig(log, cfg)
	return daemon.Run(ctx, daemon.Options{Config: cfg, Log: log})
}

// logConfig writes every setting the daemon starts with, and where it came
// from unless it is the shipped default.
func logConfig(log *slog.Logger, cfg *config.Config) {
	attrs := make([]any, 0, 2*len(config.Keys))
	for _, k := range config.Keys {
		v := cfg.Values[k.Name]
		if src := cfg.Sources[k.Name]; src != "" && src != "default" {
			v += " (" + src + ")"
		}
		attrs = append(attrs, k.Name, v)
	}
	log.Info("configuration", append(attrs, "root", cfg.Root)...)
}

// logOutput tees the daemon's log to LogDir/daemon.log (rotated to
// daemon.log.1 past 16 MiB); stderr alone when the file cannot be opened.
func logOutput(dir string, stderr io.Writer) (io.Writer, func()) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "vigia: log only to stderr: %v\n", err)
		return stderr, func() {}
	}
	f, err := logfile.Open(filepath.Join(dir, "daemon.log"), logfile.DefaultMaxBytes)
	if err != nil {
		fmt.Fprintf(stderr, "vigia: log only to stderr: %v\n", err)
		return stderr, func() {}
	}
	return io.MultiWriter(stderr, f), func() { f.Close() }
}

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer, live bool) error {
	name := "status"
	if live {
		name = "top"
	}
	c := newCommand(name, stderr)
	asJSON := c.fs.Bool("json", false, "print JSON instead of a table")
	refresh := c.fs.Duration("refresh", 2*time.Second, "top: time between two redraws")
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	eng, err := docker.New(cfg.Instance)
	if err != nil {
		return err
	}
	defer eng.Close()
	o := &ui.Observer{Source: viewSource(cfg), Engine: eng, Gap: time.Second,
		Targets: policy.Targets{KeepLow: cfg.KeepLow, KeepHigh: cfg.KeepHigh}}
	if live {
		return ui.Top(ctx, stdout, o, max(*refresh, 200*time.Millisecond), *asJSON)
	}
	st, err := o.Observe(ctx)
	if err != nil {
		return err
	}
	st.LastTick = lastTick(ctx, cfg.DB)
	if *asJSON {
		return ui.JSON(stdout, st)
	}
	return ui.WriteStatus(stdout, st)
}

// lastTick reads the daemon's newest tick, or nil when there is none to read.
func lastTick(ctx context.Context, path string) *ui.LastTick {
	db, err := store.Open(ctx, path, store.ReadOnly())
	if err != nil {
		return nil
	}
	defer db.Close()
	t, err := db.LatestTick(ctx)
	if err != nil {
		return nil
	}
	return &ui.LastTick{Time: t.Time, Removed: t.Removed, Started: t.Started, Error: t.Error}
}

// viewSource reads the modules' files when they are there; else the
// userspace sensor, which only reads (viewing needs no fallback permission).
func viewSource(cfg *config.Config) sensor.Source {
	if _, err := os.Stat(cfg.ContinfoPath()); err == nil {
		return sensor.NewKernel(cfg.ContinfoPath(), cfg.SysinfoPath())
	}
	return sensor.NewUserspace("/proc")
}

func cmdEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("events", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON instead of a table")
	limit := c.fs.Int("limit", 20, "how many actions, newest first")
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.ReadOnly())
	if err != nil {
		return err
	}
	defer db.Close()
	actions, err := db.RecentActions(ctx, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return ui.JSON(stdout, ui.Events(actions))
	}
	return ui.WriteEvents(stdout, actions)
}

func cmdCleanup(args []string, stderr io.Writer) error {
	c := newCommand("cleanup", stderr)
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	return daemon.Cleanup(cfg, newLogger(stderr, cfg.LogLevel))
}

func cmdSnapshot(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "check" {
		return fmt.Errorf("%w: vigia snapshot check FILE...", errUsage)
	}
	failed := 0
	for _, file := range args[1:] {
		summary, err := checkSnapshot(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok: %s\n", file, summary)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d snapshot files are not valid", failed, len(args)-1)
	}
	return nil
}

func checkSnapshot(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sensor.MaxSnapshotBytes+1))
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	if len(data) > sensor.MaxSnapshotBytes {
		return "", fmt.Errorf("larger than %d bytes", sensor.MaxSnapshotBytes)
	}
	s, err := sensor.Parse(data)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, kernel %s, %d processes, %d containers", s.Kind, s.Kernel,
		len(s.Processes), len(s.Containers)), nil
}
