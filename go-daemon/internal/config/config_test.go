package config

import (
	"bufio"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository this test runs in.
var repoRoot = func() string {
	r := FindRoot(".")
	if r == "" {
		panic("config tests must run inside the vigia repository")
	}
	return r
}()

func TestMain(m *testing.M) {
	// Never read this host's /etc/vigia/vigia.conf.
	defaultInstalled = "/nonexistent/vigia.conf"
	os.Exit(m.Run())
}

// TestKeysMatchShippedConf keeps the built-in defaults equal to vigia.conf, so
// an installed binary without the repository behaves the same.
func TestKeysMatchShippedConf(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, "vigia.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shipped := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := lineRE.FindStringSubmatch(sc.Text()); m != nil {
			shipped[m[1]] = m[2]
		}
	}
	for _, k := range Keys {
		v, ok := shipped[k.Name]
		if !ok {
			t.Errorf("%s is not in vigia.conf", k.Name)
		} else if v != k.Default {
			t.Errorf("%s: Keys says %q, vigia.conf says %q", k.Name, k.Default, v)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	for _, root := range []string{repoRoot, ""} {
		c, err := Load(Inputs{Root: root, Environ: []string{"HOME=/root"}})
		if err != nil {
			t.Fatalf("root %q: %v", root, err)
		}
		want := Config{
			ID: "vigia", ProcMode: 0o400, DB: "/var/lib/vigia/vigia.db", LogDir: "/var/log/vigia",
			CronFile: "/etc/cron.d/vigia", CronSchedule: "* * * * *", Batch: 10,
			Interval: 20 * time.Second, KeepLow: 3, KeepHigh: 2, Window: 6, Retention: 168 * time.Hour,
			GrafanaAddr: "127.0.0.1:3000", Root: repoRoot, LogLevel: slog.LevelInfo,
		}
		got := *c
		got.Values, got.Sources, got.Unknown = nil, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("root %q:\n got %+v\nwant %+v", root, got, want)
		}
		if c.ContinfoPath() != "/proc/continfo_so1_vigia" ||
			c.SysinfoPath() != "/proc/sysinfo_so1_vigia" {
			t.Errorf("paths %s %s", c.ContinfoPath(), c.SysinfoPath())
		}
	}
}

func writeConf(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vigia.conf")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadLayers(t *testing.T) {
	installed := writeConf(t, "# installed", "", "VIGIA_KEEP_LOW=4", "VIGIA_KEEP_HIGH=5",
		"VIGIA_ID=from_file", "VIGIA_EXTRA_FOR_SCRIPTS=1")
	c, err := Load(Inputs{
		Root:    repoRoot,
		Environ: []string{"VIGIA_CONFIG=" + installed, "VIGIA_KEEP_HIGH=6", "VIGIA_ID=from_env"},
		Flags:   map[string]string{"VIGIA_ID": "from_flag", "VIGIA_DRY_RUN": "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepLow != 4 || c.KeepHigh != 6 || c.ID != "from_flag" || !c.DryRun || c.Batch != 10 {
		t.Errorf("layers: %+v", c)
	}
	wantSources := map[string]string{
		"VIGIA_KEEP_LOW": installed, "VIGIA_KEEP_HIGH": "environment", "VIGIA_ID": "flag",
		"VIGIA_BATCH": filepath.Join(repoRoot, "vigia.conf"),
	}
	for k, want := range wantSources {
		if c.Sources[k] != want {
			t.Errorf("source of %s = %q, want %q", k, c.Sources[k], want)
		}
	}
	if len(c.Unknown) != 1 || !strings.HasSuffix(c.Unknown[0], ":6: VIGIA_EXTRA_FOR_SCRIPTS") {
		t.Errorf("unknown keys: %q", c.Unknown)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		file []string // installed file lines; nil: none
		msgs []string
	}{
		{"id", []string{"VIGIA_ID=a-b"}, nil, []string{`VIGIA_ID="a-b" (from environment)`}},
		{"id too long", []string{"VIGIA_ID=" + strings.Repeat("x", 33)}, nil, []string{"VIGIA_ID="}},
		{"empty id", []string{"VIGIA_ID="}, nil, []string{`VIGIA_ID=""`}},
		{"mode", []string{"VIGIA_PROC_MODE=0800"}, nil, []string{"VIGIA_PROC_MODE", "octal"}},
		{"relative db", []string{"VIGIA_DB=vigia.db"}, nil, []string{"VIGIA_DB", "absolute"}},
		{"cron file with a dot", []string{"VIGIA_CRON_FILE=/etc/cron.d/vigia.cron"}, nil,
			[]string{"VIGIA_CRON_FILE", "cron ignores"}},
		{"schedule", []string{"VIGIA_CRON_SCHEDULE=* * *"}, nil, []string{"five cron fields"}},
		{"schedule newline", []string{"VIGIA_CRON_SCHEDULE=* * * * *\nrm -rf /"}, nil,
			[]string{"VIGIA_CRON_SCHEDULE"}},
		{"batch", []string{"VIGIA_BATCH=0"}, nil, []string{"VIGIA_BATCH", "from 1 to 1000"}},
		{"interval unit", []string{"VIGIA_INTERVAL=20"}, nil, []string{"VIGIA_INTERVAL", "duration"}},
		{"interval short", []string{"VIGIA_INTERVAL=10ms"}, nil, []string{"VIGIA_INTERVAL"}},
		{"keep negative", []string{"VIGIA_KEEP_LOW=-1"}, nil, []string{"VIGIA_KEEP_LOW"}},
		{"dry run", []string{"VIGIA_DRY_RUN=yes"}, nil, []string{"VIGIA_DRY_RUN", "true or false"}},
		{"instance", []string{"VIGIA_INSTANCE=a b"}, nil, []string{"VIGIA_INSTANCE"}},
		{"caps", []string{"VIGIA_CAPS=on"}, nil, []string{"VIGIA_CAPS", "true or false"}},
		{"window too short for a pattern", []string{"VIGIA_WINDOW=3"}, nil,
			[]string{"VIGIA_WINDOW", "from 4 to 100"}},
		{"window unbounded", []string{"VIGIA_WINDOW=1000"}, nil, []string{"VIGIA_WINDOW"}},
		{"log level", []string{"VIGIA_LOG_LEVEL=INFO"}, nil,
			[]string{"VIGIA_LOG_LEVEL", "debug, info, warn or error"}},
		{"instance long", []string{"VIGIA_INSTANCE=" + strings.Repeat("i", 65)}, nil,
			[]string{"VIGIA_INSTANCE"}},
		{"retention", []string{"VIGIA_RETENTION=7d"}, nil, []string{"VIGIA_RETENTION"}},
		{"grafana", []string{"VIGIA_GRAFANA_ADDR=localhost"}, nil, []string{"host:port"}},
		{"grafana port", []string{"VIGIA_GRAFANA_ADDR=:70000"}, nil, []string{"port"}},
		{"debug on every address", []string{"VIGIA_DEBUG_ADDR=:6060"}, nil,
			[]string{"VIGIA_DEBUG_ADDR", "loopback"}},
		{"debug on a public address", []string{"VIGIA_DEBUG_ADDR=10.0.0.1:6060"}, nil,
			[]string{"loopback"}},
		{"debug without port", []string{"VIGIA_DEBUG_ADDR=127.0.0.1"}, nil, []string{"host:port"}},
		{"every bad key", []string{"VIGIA_BATCH=x", "VIGIA_KEEP_HIGH=y"}, nil,
			[]string{"VIGIA_BATCH", "VIGIA_KEEP_HIGH"}},
		{"bad value in file", nil, []string{"VIGIA_KEEP_LOW=three"},
			[]string{`VIGIA_KEEP_LOW="three" (from /`}},
		{"crlf", nil, []string{"VIGIA_INTERVAL=20s\r"}, []string{`VIGIA_INTERVAL="20s\r"`}},
		{"not key=value", nil, []string{"# ok", "VIGIA_ID = x"}, []string{":2: not a KEY=value"}},
		{"leading space", nil, []string{" VIGIA_ID=x"}, []string{":1: not a KEY=value"}},
		{"lower case", nil, []string{"vigia_id=x"}, []string{"not a KEY=value"}},
		{"export", nil, []string{"export VIGIA_ID=x"}, []string{"not a KEY=value"}},
		{"duplicate", nil, []string{"VIGIA_ID=a", "VIGIA_ID=b"},
			[]string{":2: VIGIA_ID is already set on line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if tt.file != nil {
				env = append(env, "VIGIA_CONFIG="+writeConf(t, tt.file...))
			}
			c, err := Load(Inputs{Root: repoRoot, Environ: env})
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			for _, msg := range tt.msgs {
				if !strings.Contains(err.Error(), msg) {
					t.Errorf("error %q does not say %q", err, msg)
				}
			}
		})
	}
}

func TestLoadFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.conf")
	_, err := Load(Inputs{Root: repoRoot, Environ: []string{"VIGIA_CONFIG=" + missing}})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing VIGIA_CONFIG: %v", err)
	}
	if _, err := Load(Inputs{Root: repoRoot, Installed: missing}); err == nil {
		t.Error("missing Installed accepted")
	}
	_, err = Load(Inputs{Root: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("root without vigia.conf: %v", err)
	}
	if _, err := Load(Inputs{Environ: []string{"VIGIA_ROOT=/nonexistent"}}); err == nil {
		t.Error("bad VIGIA_ROOT accepted")
	}
	flags := map[string]string{"VIGIA_NOPE": "1"}
	if _, err := Load(Inputs{Root: repoRoot, Flags: flags}); err == nil {
		t.Error("flag of an unknown key accepted")
	}
	if got := FindRoot(filepath.Join(repoRoot, "go-daemon", "internal")); got != repoRoot {
		t.Errorf("FindRoot = %q, want %q", got, repoRoot)
	}
	if got := FindRoot(t.TempDir()); got != "" {
		t.Errorf("FindRoot of a temp dir = %q", got)
	}
}

func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	f := AddFlags(fs)
	err := fs.Parse([]string{"--policy.keep-low=5", "--policy.dry-run", "--sensor.id", "x1",
		"--sensor.fallback=false", "--root", repoRoot, "--debug.addr=[::1]:6060",
		"--log.level", "debug"})
	if err != nil {
		t.Fatal(err)
	}
	in := f.Inputs([]string{"VIGIA_KEEP_LOW=9"})
	want := map[string]string{"VIGIA_KEEP_LOW": "5", "VIGIA_DRY_RUN": "true", "VIGIA_ID": "x1",
		"VIGIA_SENSOR_FALLBACK": "false", "VIGIA_DEBUG_ADDR": "[::1]:6060",
		"VIGIA_LOG_LEVEL": "debug"}
	if len(in.Flags) != len(want) {
		t.Errorf("flags %v, want %v", in.Flags, want)
	}
	for k, v := range want {
		if in.Flags[k] != v {
			t.Errorf("%s = %q, want %q", k, in.Flags[k], v)
		}
	}
	c, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeepLow != 5 || !c.DryRun || c.ID != "x1" || c.Root != repoRoot ||
		c.DebugAddr != "[::1]:6060" || c.LogLevel != slog.LevelDebug {
		t.Errorf("config %+v", c)
	}
	for _, k := range Keys {
		if !strings.Contains(Table(), "--"+k.Flag) || fs.Lookup(k.Flag) == nil {
			t.Errorf("flag %s missing from the table or the flag set", k.Flag)
		}
	}
}

// TestSameAsBash loads the same layers with bash/lib/common.sh and with Load:
// the values must agree key by key.
func TestSameAsBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is required: the scripts use it")
	}
	installed := writeConf(t, "VIGIA_KEEP_LOW=7", "VIGIA_ID=bash_id", "VIGIA_INTERVAL=5s",
		"VIGIA_INSTANCE=it-1.a_b")
	env := []string{"PATH=" + os.Getenv("PATH"), "VIGIA_CONFIG=" + installed,
		"VIGIA_KEEP_HIGH=1", "VIGIA_DRY_RUN=true"}
	script := `source bash/lib/common.sh && vigia::config_load &&
		for k in "$@"; do printf '%s=%s\n' "$k" "${!k}"; done`
	args := []string{"-c", script, "bash"}
	for _, k := range Keys {
		args = append(args, k.Name)
	}
	cmd := exec.Command(bash, args...)
	cmd.Dir, cmd.Env = repoRoot, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	c, err := Load(Inputs{Root: repoRoot, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(Keys) {
		t.Fatalf("bash printed %d keys, want %d:\n%s", len(lines), len(Keys), out)
	}
	for _, line := range lines {
		k, v, _ := strings.Cut(line, "=")
		if c.Values[k] != v {
			t.Errorf("%s: bash %q, Go %q", k, v, c.Values[k])
		}
	}
	if c.KeepLow != 7 || c.KeepHigh != 1 || !c.DryRun || c.ID != "bash_id" ||
		c.Interval != 5*time.Second || c.Instance != "it-1.a_b" {
		t.Errorf("Go config %+v", c)
	}
}

// FuzzParseFile feeds arbitrary file contents through the file layer and the
// validation: no panic, and an accepted file gives values that parse again.
func FuzzParseFile(f *testing.F) {
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "vigia.conf"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(shipped))
	f.Add("VIGIA_ID=x\nVIGIA_ID=y\n")
	f.Add("VIGIA_INTERVAL=1s\r\n# c\n  \nVIGIA_OTHER=1")
	f.Fuzz(func(t *testing.T, data string) {
		l := newLayers()
		if err := l.parseFile("fuzz.conf", data); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		c, err := l.config()
		if err != nil {
			return
		}
		again := newLayers()
		for k, v := range c.Values {
			again.set(k, v, "again")
		}
		if _, err := again.config(); err != nil {
			t.Fatalf("accepted values do not parse again: %v", err)
		}
	})
}
