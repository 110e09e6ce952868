// Package config loads vigia's settings in the same layers as bash/lib/common.sh
// and validates them, naming the key of every bad value.
//
// Layers, last wins: the shipped defaults (the Keys table, which a test keeps
// equal to the repository's vigia.conf, then ROOT/vigia.conf when it exists),
// the installed file (/etc/vigia/vigia.conf, or the file VIGIA_CONFIG names),
// environment variables of the same name, and command-line flags. Each key has
// one flag, namespaced by the part of vigia that uses it; Keys is the one table
// that documents key, flag and meaning.
//
// Limitations: a file line is KEY=value with no quoting, exactly as the bash
// loader reads it. Keys that vigia's daemon does not know are accepted (the
// scripts may use them) and reported in Config.Unknown.
package config

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultInstalled is the installed configuration file read when VIGIA_CONFIG
// is not set.
const DefaultInstalled = "/etc/vigia/vigia.conf"

// ErrInvalid is wrapped by every error about a bad value or a bad line.
var ErrInvalid = errors.New("invalid configuration")

// Config holds every setting of vigia, typed and validated.
type Config struct {
	ID             string        // VIGIA_ID: the <ID> of both /proc files
	ProcMode       os.FileMode   // VIGIA_PROC_MODE: permission bits of the /proc files
	DB             string        // VIGIA_DB: SQLite database path
	LogDir         string        // VIGIA_LOG_DIR
	CronFile       string        // VIGIA_CRON_FILE: the cron.d entry
	CronSchedule   string        // VIGIA_CRON_SCHEDULE: five cron fields
	Batch          int           // VIGIA_BATCH: containers per generator run
	Interval       time.Duration // VIGIA_INTERVAL: time between two ticks
	KeepLow        int           // VIGIA_KEEP_LOW
	KeepHigh       int           // VIGIA_KEEP_HIGH
	DryRun         bool          // VIGIA_DRY_RUN: decide and log, act on nothing
	SensorFallback bool          // VIGIA_SENSOR_FALLBACK: allow the userspace sensor
	Retention      time.Duration // VIGIA_RETENTION: how long rows are kept
	GrafanaAddr    string        // VIGIA_GRAFANA_ADDR: host:port

	// Root is the repository or install root, where bash/ and dashboard/
	// live. Empty when none was given or found.
	Root string

	// Sources names, per key, the layer its value came from: "default",
	// a file path, "environment" or "flag".
	Sources map[string]string

	// Unknown lists VIGIA_* keys of the files that the daemon does not use,
	// as "path:line: KEY".
	Unknown []string
}

// ContinfoPath is the container snapshot file of the kernel module.
func (c *Config) ContinfoPath() string { return "/proc/continfo_so1_" + c.ID }

// SysinfoPath is the system snapshot file of the kernel module.
func (c *Config) SysinfoPath() string { return "/proc/sysinfo_so1_" + c.ID }

// Inputs are the outside layers Load reads besides the shipped defaults.
type Inputs struct {
	// Root is the repository or install root. Empty: VIGIA_ROOT from
	// Environ, then FindRoot from the executable's directory.
	Root string
	// Environ is the environment as os.Environ returns it.
	Environ []string
	// Flags maps keys (VIGIA_*) to the values given on the command line.
	Flags map[string]string
}

// Load builds a Config from the shipped defaults, the installed file, the
// environment and the flags, and validates it.
func Load(in Inputs) (*Config, error) {
	return nil, fmt.Errorf("load config: %w", errNotYet)
}

var errNotYet = errors.New("not implemented yet")

// FindRoot returns the first of dir and its parents that holds vigia.conf and
// bash/load-modules.sh, or "" when none does.
func FindRoot(dir string) string {
	return ""
}
