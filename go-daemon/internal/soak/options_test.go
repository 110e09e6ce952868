package soak

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRunIDIsAValidInstanceAndID(t *testing.T) {
	id, err := newRunID(time.Date(2026, 12, 3, 16, 40, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^soak-20261203164005-[0-9a-f]{4}$`).MatchString(id) {
		t.Errorf("run id %q", id)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_.-]{0,64}$`).MatchString(id) {
		t.Errorf("run id %q is not a valid VIGIA_INSTANCE", id)
	}
	conf := (&Options{Batch: 10, Tick: time.Second, Retention: time.Minute}).configFile("/d", id)
	m := regexp.MustCompile(`(?m)^VIGIA_ID=(.*)$`).FindStringSubmatch(conf)
	if m == nil || !regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`).MatchString(m[1]) {
		t.Errorf("VIGIA_ID line %q is not a valid id", m)
	}
}

func TestConfigFileSettingsReplaceOrAppend(t *testing.T) {
	o := Options{Batch: 4, Tick: 2 * time.Second, Retention: time.Minute, KeepLow: 3, KeepHigh: 2,
		Settings: []string{"VIGIA_RETENTION=5m", "VIGIA_POLICY_CAPS=true"}}
	conf := o.configFile("/run/x", "soak-1")
	for _, want := range []string{"VIGIA_RETENTION=5m\n", "VIGIA_POLICY_CAPS=true\n",
		"VIGIA_INTERVAL=2s\n", "VIGIA_INSTANCE=soak-1\n", "VIGIA_SENSOR_FALLBACK=true\n",
		"VIGIA_DB=/run/x/vigia.db\n", "VIGIA_CRON_FILE=/run/x/cron.d/vigia\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if n := strings.Count(conf, "VIGIA_RETENTION="); n != 1 {
		t.Errorf("VIGIA_RETENTION appears %d times", n)
	}
}

func TestOptionsValidate(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bash"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bash", "generate.sh"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Options)
		err    string
	}{
		{"defaults", func(*Options) {}, ""},
		{"tick too short", func(o *Options) { o.Tick = time.Millisecond }, "tick"},
		{"too short for ten ticks", func(o *Options) { o.Duration = 5 * time.Second }, "10 ticks"},
		{"generator faster than the tick", func(o *Options) { o.GeneratorEvery = time.Second },
			"generator every"},
		{"batch zero after default is fine", func(o *Options) { o.Batch = 0 }, ""},
		{"batch too big", func(o *Options) { o.Batch = 5000 }, "batch"},
		{"bad setting", func(o *Options) { o.Settings = []string{"retention=1"} }, "VIGIA_KEY"},
		{"setting with a newline", func(o *Options) { o.Settings = []string{"VIGIA_X=1\nVIGIA_Y=2"} },
			"VIGIA_KEY"},
		{"no generator", func(o *Options) { o.Root = t.TempDir() }, "generate.sh"},
		{"no binary", func(o *Options) { o.Bin = "" }, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Root: root, Bin: "/bin/true"}
			tt.change(&o)
			o.setDefaults()
			err := o.validate()
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestEnvironDropsInheritedSettings(t *testing.T) {
	env := environ([]string{"PATH=/bin", "VIGIA_DB=/etc/x", "HOME=/root", "VIGIA_DRY_RUN=true"},
		"VIGIA_CONFIG=/run/x/vigia.conf")
	want := "PATH=/bin HOME=/root VIGIA_CONFIG=/run/x/vigia.conf"
	if got := strings.Join(env, " "); got != want {
		t.Errorf("environ = %q, want %q", got, want)
	}
}
