package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"vigia/internal/config"
	"vigia/internal/daemon"
	"vigia/internal/logfile"
)

// newLogger logs at level (VIGIA_LOG_LEVEL): Info shows the lifecycle and
// every action, Debug adds a line per tick and the verdicts kept or skipped.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// cmdRun is `vigia run`: the daemon, until SIGINT or SIGTERM.
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

// cmdCleanup is `vigia cleanup`: remove a stale cron entry.
func cmdCleanup(args []string, stderr io.Writer) error {
	c := newCommand("cleanup", stderr)
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	return daemon.Cleanup(cfg, newLogger(stderr, cfg.LogLevel))
}
