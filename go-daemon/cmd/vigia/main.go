// Command vigia watches the containers of this host and keeps 3 low and 2 high
// of its own running. See `vigia help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"vigia/internal/config"
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
