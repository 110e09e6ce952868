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
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultInstalled is the installed configuration file read when VIGIA_CONFIG
// is not set.
const DefaultInstalled = "/etc/vigia/vigia.conf"

// defaultInstalled is DefaultInstalled; tests point it elsewhere.
var defaultInstalled = DefaultInstalled

// ErrInvalid is wrapped by every error about a bad value or a bad line.
var ErrInvalid = errors.New("invalid configuration")

// Config holds every setting of vigia, typed and validated.
type Config struct {
	ID             string        // VIGIA_ID: the <ID> of both /proc files
	ProcMode       os.FileMode   // VIGIA_PROC_MODE: permission bits of the /proc files
	DB             string        // VIGIA_DB: SQLite database path
	LogDir         string        // VIGIA_LOG_DIR
	LogLevel       slog.Level    // VIGIA_LOG_LEVEL: debug, info, warn or error
	CronFile       string        // VIGIA_CRON_FILE: the cron.d entry
	CronSchedule   string        // VIGIA_CRON_SCHEDULE: five cron fields
	Batch          int           // VIGIA_BATCH: containers per generator run
	Interval       time.Duration // VIGIA_INTERVAL: time between two ticks
	KeepLow        int           // VIGIA_KEEP_LOW
	KeepHigh       int           // VIGIA_KEEP_HIGH
	DryRun         bool          // VIGIA_DRY_RUN: decide and log, act on nothing
	Caps           bool          // VIGIA_CAPS: cap offenders instead of replacing them
	Window         int           // VIGIA_WINDOW: samples per container for the patterns
	Instance       string        // VIGIA_INSTANCE: "" or the io.vigia.instance label value
	SensorFallback bool          // VIGIA_SENSOR_FALLBACK: allow the userspace sensor
	Retention      time.Duration // VIGIA_RETENTION: how long rows are kept
	GrafanaAddr    string        // VIGIA_GRAFANA_ADDR: host:port
	DebugAddr      string        // VIGIA_DEBUG_ADDR: "" (off) or a loopback host:port

	// Root is the repository or install root, where bash/ and dashboard/
	// live. Empty when none was given or found.
	Root string

	// Values is the text of each key as loaded, before parsing.
	Values map[string]string

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
	// Environ, then FindRoot from the executable's directory, the working
	// directory and the install directories.
	Root string
	// Environ is the environment as os.Environ returns it.
	Environ []string
	// Flags maps keys (VIGIA_*) to the values given on the command line.
	Flags map[string]string
	// Installed overrides the installed file's path; empty: VIGIA_CONFIG
	// from Environ, else DefaultInstalled (read only when it exists).
	Installed string
}

// InstallDirs are where FindRoot looks last, for an installed vigia.
var InstallDirs = []string{"/usr/local/share/vigia", "/usr/share/vigia"}

// Load builds a Config from the shipped defaults, the installed file, the
// environment and the flags, and validates it. The error names every bad key.
func Load(in Inputs) (*Config, error) {
	env := environMap(in.Environ)
	l := newLayers()
	root, err := findRoot(in.Root, env)
	if err != nil {
		return nil, err
	}
	if root != "" {
		shipped := filepath.Join(root, "vigia.conf")
		if err := l.readFile(shipped, false); err != nil {
			return nil, err
		}
	}
	installed, required := in.Installed, in.Installed != ""
	if v, ok := env["VIGIA_CONFIG"]; ok && installed == "" {
		installed, required = v, true
	}
	if installed == "" {
		installed = defaultInstalled
	}
	if err := l.readFile(installed, required); err != nil {
		return nil, err
	}
	for _, k := range Keys {
		if v, ok := env[k.Name]; ok {
			l.set(k.Name, v, "environment")
		}
	}
	for name, v := range in.Flags {
		if keyByName(name) == nil {
			return nil, fmt.Errorf("%w: flag for unknown key %s", ErrInvalid, name)
		}
		l.set(name, v, "flag")
	}
	c, err := l.config()
	if err != nil {
		return nil, err
	}
	c.Root = root
	return c, nil
}

// findRoot picks the root: given, VIGIA_ROOT, or found.
func findRoot(given string, env map[string]string) (string, error) {
	if given == "" {
		given = env["VIGIA_ROOT"]
	}
	if given != "" {
		abs, err := filepath.Abs(given)
		if err != nil {
			return "", fmt.Errorf("%w: root %q: %v", ErrInvalid, given, err)
		}
		if !isRoot(abs) {
			return "", fmt.Errorf("%w: root %s: no vigia.conf and bash/lib/common.sh there",
				ErrInvalid, abs)
		}
		return abs, nil
	}
	var starts []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(real))
		}
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, s := range starts {
		if r := FindRoot(s); r != "" {
			return r, nil
		}
	}
	for _, d := range InstallDirs {
		if isRoot(d) {
			return d, nil
		}
	}
	return "", nil
}

// FindRoot returns the first of dir and its parents that holds vigia.conf and
// bash/lib/common.sh, or "" when none does.
func FindRoot(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if isRoot(dir) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isRoot(dir string) bool {
	for _, f := range []string{"vigia.conf", "bash/lib/common.sh"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "VIGIA_") {
			m[k] = v
		}
	}
	return m
}

func keyByName(name string) *Key {
	for i := range Keys {
		if Keys[i].Name == name {
			return &Keys[i]
		}
	}
	return nil
}
