package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vigia/internal/config"
	"vigia/internal/report"
	"vigia/internal/soak"
)

// exitCannotRun is the test runner's "cannot run here" status (bash/test.sh).
const exitCannotRun = 77

// The soak needs a daemon that limits itself to one instance's containers
// (VIGIA_INSTANCE); this line stops the build if that setting ever goes away.
var _ = config.Config{Instance: ""}

const soakUsage = `Usage: vigia soak [flags]
       vigia soak report --results FILE --out FILE

Runs the whole system on this host for --duration: the daemon (this binary's
"run", as a child process, with a temporary database, log directory and cron
file path), the generator bash/generate.sh --generator-every after its last run, a Grafana
stand-in and foreign containers that must stay untouched. After every tick it
checks the invariants; at the end it writes an HTML report and exits non-zero
when one failed (77 when this host cannot run a soak: no Docker, no images).
"soak report" redraws the report of a finished run from its results.db.

Flags:
`

func cmdSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return cmdSoakReport(ctx, args[1:], stderr)
	}
	fs := flag.NewFlagSet("vigia soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, soakUsage); fs.PrintDefaults() }
	var o soak.Options
	fs.DurationVar(&o.Duration, "duration", 3*time.Minute, "how long the daemon runs")
	fs.DurationVar(&o.Tick, "tick", 2*time.Second, "the daemon's interval (VIGIA_INTERVAL)")
	fs.DurationVar(&o.GeneratorEvery, "generator-every", 10*time.Second,
		"pause from the end of one run of bash/generate.sh to the start of the next")
	fs.IntVar(&o.Batch, "batch", 10, "containers per generator run")
	fs.DurationVar(&o.Retention, "retention", 60*time.Second,
		"the daemon's VIGIA_RETENTION (short, so pruning is exercised)")
	fs.IntVar(&o.KeepLow, "keep-low", 3, "VIGIA_KEEP_LOW")
	fs.IntVar(&o.KeepHigh, "keep-high", 2, "VIGIA_KEEP_HIGH")
	fs.StringVar(&o.Root, "root", os.Getenv("VIGIA_ROOT"),
		"repository root holding bash/generate.sh (default: found from the working directory)")
	fs.StringVar(&o.Dir, "dir", "", "directory of the run's files (default ROOT/build/soak/<run id>)")
	fs.BoolVar(&o.Offender, "offender", false,
		"start one of the run's low containers that burns a core, for the patterns to catch")
	fs.Func("set", "one more vigia.conf line KEY=value for the run (repeatable)",
		func(v string) error { o.Settings = append(o.Settings, v); return nil })
	out := fs.String("report", "build/soak/report.html", "where the HTML report goes")
	verbose := fs.Bool("v", false, "log every check, not only the failed ones")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if o.Root == "" {
		o.Root = findRoot()
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("soak: find the vigia binary: %w", err)
	}
	o.Bin = bin
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	res, err := soak.Run(ctx, o)
	if errors.Is(err, soak.ErrCannotRun) {
		return &exitError{code: exitCannotRun, err: err}
	}
	if res == nil {
		return err
	}
	if rerr := report.WriteFile(*out, res); rerr != nil {
		return errors.Join(err, rerr)
	}
	f := report.Summarize(res)
	fmt.Fprintf(stdout, "soak %s: %d ticks, %d removed, %d started, %d caps, peak RSS %.1f MiB, "+
		"database %d bytes; %d checks failed; report %s\n", res.Meta["verdict"], f.Ticks,
		f.Removed, f.Started, f.Cap, float64(f.PeakRSSKB)/1024, f.FinalDBBytes, f.ChecksFailed,
		*out)
	for _, c := range res.Failed() {
		fmt.Fprintf(stdout, "FAIL tick %d %s: %s\n", c.TickID, c.Name, c.Detail)
	}
	if err != nil {
		return err
	}
	if n := len(res.Failed()); n > 0 || res.Meta["verdict"] != "pass" {
		return fmt.Errorf("%d checks failed", n)
	}
	return nil
}

func cmdSoakReport(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigia soak report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	results := fs.String("results", "", "the results.db of a soak run")
	out := fs.String("out", "build/soak/report.html", "where the HTML report goes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *results == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: vigia soak report --results FILE [--out FILE]", errUsage)
	}
	return report.FromFile(ctx, *results, *out)
}

// parseFlags parses args; a bad flag is a usage error (exit status 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", errUsage, err)
}

// findRoot walks up from the working directory, then from the binary's,
// to the first directory holding vigia.conf and bash/generate.sh.
func findRoot() string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for {
			if isRoot(dir) {
				return dir
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return ""
}

func isRoot(dir string) bool {
	for _, f := range []string{"vigia.conf", filepath.Join("bash", "generate.sh")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}
