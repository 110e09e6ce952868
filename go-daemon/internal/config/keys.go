package config

import (
	"flag"
	"fmt"
	"strings"
)

// Key documents one setting: its name in vigia.conf and the environment, its
// daemon flag, its shipped default and what it means.
type Key struct {
	Name    string
	Flag    string
	Default string
	Usage   string
}

// Keys is the one table of every setting. Its defaults are the shipped
// vigia.conf (a test compares them).
var Keys = []Key{
	{"VIGIA_ID", "sensor.id", "vigia",
		"<ID> of /proc/continfo_so1_<ID> and /proc/sysinfo_so1_<ID>"},
	{"VIGIA_PROC_MODE", "sensor.proc-mode", "0400",
		"permission bits of both /proc files (octal)"},
	{"VIGIA_SENSOR_FALLBACK", "sensor.fallback", "false",
		"allow the /proc/<pid> sensor without the modules"},
	{"VIGIA_DB", "store.db", "/var/lib/vigia/vigia.db", "SQLite database file"},
	{"VIGIA_RETENTION", "store.retention", "168h", "how long samples and actions are kept"},
	{"VIGIA_LOG_DIR", "log.dir", "/var/log/vigia", "directory of the logs"},
	{"VIGIA_LOG_LEVEL", "log.level", "info", "log level: debug, info, warn or error"},
	{"VIGIA_CRON_FILE", "cron.file", "/etc/cron.d/vigia",
		"the cron entry installed at start-up"},
	{"VIGIA_CRON_SCHEDULE", "cron.schedule", "* * * * *", "when cron runs the generator"},
	{"VIGIA_BATCH", "generator.batch", "10", "containers each generator run starts"},
	{"VIGIA_INTERVAL", "daemon.interval", "20s", "time between two decisions"},
	{"VIGIA_KEEP_LOW", "policy.keep-low", "3", "vigia containers of class low to keep running"},
	{"VIGIA_KEEP_HIGH", "policy.keep-high", "2",
		"vigia containers of class high to keep running"},
	{"VIGIA_DRY_RUN", "policy.dry-run", "false",
		"log decisions without acting on any container"},
	{"VIGIA_CAPS", "policy.caps", "false",
		"cap a kept container that crosses a bound instead of replacing it"},
	{"VIGIA_WINDOW", "policy.window", "6", "samples per container the patterns are judged over"},
	{"VIGIA_INSTANCE", "policy.instance", "",
		"manage only containers labelled io.vigia.instance=<value>"},
	{"VIGIA_GRAFANA_ADDR", "grafana.addr", "127.0.0.1:3000",
		"where Grafana listens (host:port)"},
	{"VIGIA_DEBUG_ADDR", "debug.addr", "",
		"loopback host:port for /debug/vars and /debug/pprof; empty: off"},
}

// RootFlag is the flag that sets Config.Root; VIGIA_ROOT is its environment
// variable. It is not a vigia.conf key: it says where that file lives.
const RootFlag = "root"

// Flags holds the command-line flags of every key, registered on one FlagSet.
type Flags struct {
	fs   *flag.FlagSet
	vals map[string]*value
	root *string
}

// value is a flag's text, kept as given so Load validates it like any other
// layer. A key whose default is true or false is a boolean flag:
// --policy.dry-run alone means true.
type value struct {
	text    string
	boolean bool
}

func (v *value) String() string     { return v.text }
func (v *value) Set(s string) error { v.text = s; return nil }
func (v *value) IsBoolFlag() bool   { return v.boolean }

// AddFlags registers one flag per key, plus --root, on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, vals: make(map[string]*value, len(Keys))}
	for _, k := range Keys {
		v := &value{boolean: k.Default == "true" || k.Default == "false"}
		f.vals[k.Name] = v
		fs.Var(v, k.Flag, k.Usage+" ("+k.Name+", default "+k.Default+")")
	}
	f.root = fs.String(RootFlag, "",
		"repository or install root holding bash/ and dashboard/ (VIGIA_ROOT)")
	return f
}

// Inputs returns the layers for Load: the flags set explicitly on the command
// line (after fs.Parse), the given environment, and --root.
func (f *Flags) Inputs(environ []string) Inputs {
	in := Inputs{Environ: environ, Flags: map[string]string{}, Root: *f.root}
	f.fs.Visit(func(fl *flag.Flag) {
		for _, k := range Keys {
			if k.Flag == fl.Name {
				in.Flags[k.Name] = f.vals[k.Name].text
			}
		}
	})
	return in
}

// Table returns the flag <-> key table as text, for a --help footer.
func Table() string {
	var b strings.Builder
	b.WriteString("Every flag has a vigia.conf key and environment variable of the same name:\n")
	for _, k := range Keys {
		fmt.Fprintf(&b, "  --%-18s %-22s %s\n", k.Flag, k.Name, k.Usage)
	}
	return b.String()
}
