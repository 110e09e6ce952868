package config

import "flag"

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
	{"VIGIA_ID", "sensor.id", "vigia", "<ID> of /proc/continfo_so1_<ID> and /proc/sysinfo_so1_<ID>"},
	{"VIGIA_PROC_MODE", "sensor.proc-mode", "0400", "permission bits of both /proc files (octal)"},
	{"VIGIA_SENSOR_FALLBACK", "sensor.fallback", "false", "use the userspace sensor when the modules cannot load"},
	{"VIGIA_DB", "store.db", "/var/lib/vigia/vigia.db", "SQLite database file"},
	{"VIGIA_RETENTION", "store.retention", "168h", "how long samples and actions are kept"},
	{"VIGIA_LOG_DIR", "log.dir", "/var/log/vigia", "directory of the logs"},
	{"VIGIA_CRON_FILE", "cron.file", "/etc/cron.d/vigia", "the cron entry installed at start-up"},
	{"VIGIA_CRON_SCHEDULE", "cron.schedule", "* * * * *", "when cron runs the generator (five fields)"},
	{"VIGIA_BATCH", "generator.batch", "10", "containers each generator run starts"},
	{"VIGIA_INTERVAL", "daemon.interval", "20s", "time between two decisions"},
	{"VIGIA_KEEP_LOW", "policy.keep-low", "3", "vigia containers of class low to keep running"},
	{"VIGIA_KEEP_HIGH", "policy.keep-high", "2", "vigia containers of class high to keep running"},
	{"VIGIA_DRY_RUN", "policy.dry-run", "false", "log decisions without acting on any container"},
	{"VIGIA_GRAFANA_ADDR", "grafana.addr", "127.0.0.1:3000", "where Grafana listens (host:port)"},
}

// RootFlag is the flag that sets Config.Root; VIGIA_ROOT is its environment
// variable. It is not a vigia.conf key: it says where that file lives.
const RootFlag = "root"

// Flags holds the command-line flags of every key, registered on one FlagSet.
type Flags struct {
	fs   *flag.FlagSet
	vals map[string]*string
	root *string
}

// AddFlags registers one string flag per key, plus --root, on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, vals: make(map[string]*string, len(Keys))}
	for _, k := range Keys {
		f.vals[k.Name] = fs.String(k.Flag, "", k.Usage+" ("+k.Name+", default "+k.Default+")")
	}
	f.root = fs.String(RootFlag, "", "repository or install root holding bash/ and dashboard/ (VIGIA_ROOT)")
	return f
}

// Inputs returns the layers for Load: the flags set explicitly on the command
// line (after fs.Parse), the given environment, and --root.
func (f *Flags) Inputs(environ []string) Inputs {
	in := Inputs{Environ: environ, Flags: map[string]string{}, Root: *f.root}
	f.fs.Visit(func(fl *flag.Flag) {
		for _, k := range Keys {
			if k.Flag == fl.Name {
				in.Flags[k.Name] = *f.vals[k.Name]
			}
		}
	})
	return in
}
