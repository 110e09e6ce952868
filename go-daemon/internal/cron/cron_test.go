package cron

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func shippedTemplate(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../../bash/cron/vigia.cron.in")
	if err != nil {
		t.Fatalf("read the shipped template: %v", err)
	}
	return b
}

func goodValues() Values {
	return Values{Schedule: "* * * * *", Root: "/opt/vigia", LogDir: "/var/log/vigia",
		Batch: "10", Config: "/etc/vigia/vigia.conf"}
}

func TestRenderErrors(t *testing.T) {
	tmpl := []byte("# vigia test\n@VIGIA_CRON_SCHEDULE@ root @VIGIA_ROOT@/x\n")
	tests := []struct {
		name   string
		modify func(*Values)
		tmpl   string
		want   string
	}{
		{"four fields", func(v *Values) { v.Schedule = "* * * *" }, "", "five cron time fields"},
		{"bad field", func(v *Values) { v.Schedule = "* * * * ;" }, "", "bad field ';'"},
		{"percent", func(v *Values) { v.Root = "/opt/50%" }, "", "VIGIA_ROOT=/opt/50%"},
		{"newline", func(v *Values) { v.LogDir = "/var/log\nx" }, "", "VIGIA_LOG_DIR"},
		{"dollar", func(v *Values) { v.Config = "/etc/$HOME" }, "", "VIGIA_CONFIG"},
		{"backquote", func(v *Values) { v.Batch = "`id`" }, "", "VIGIA_BATCH"},
		{"instance", func(v *Values) { v.Instance = "a$b" }, "", "VIGIA_INSTANCE"},
		{"quote", func(v *Values) { v.Root = `/a"b` }, "", "VIGIA_ROOT"},
		{"unknown placeholder", nil, "# vigia\n@VIGIA_NOPE@\n", "unknown placeholder @VIGIA_NOPE@"},
		{"no marker", nil, "* * * * * root true\n", "must start with"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := goodValues()
			if tc.modify != nil {
				tc.modify(&v)
			}
			in := tmpl
			if tc.tmpl != "" {
				in = []byte(tc.tmpl)
			}
			_, err := Render(in, v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Render error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRenderAddsFinalNewline(t *testing.T) {
	out, err := Render([]byte("# vigia\n@VIGIA_CRON_SCHEDULE@ root true"), goodValues())
	if err != nil {
		t.Fatal(err)
	}
	if want := "# vigia\n* * * * * root true\n"; string(out) != want {
		t.Fatalf("Render = %q, want %q", out, want)
	}
}

// TestRenderMatchesScript renders the shipped template in Go and with
// bash/cron-entry.sh and wants the same bytes: cron must get one entry
// whichever part installs it.
func TestRenderMatchesScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "vigia.conf")
	if err := os.WriteFile(conf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	v := Values{Schedule: "*/2 * * * *", Root: root, LogDir: "/tmp/vigia-logs", Batch: "7",
		Config: conf, Instance: "it-cron.1"}
	cmd := exec.Command("bash", filepath.Join(root, "bash/cron-entry.sh"), "render")
	cmd.Env = append(os.Environ(), "VIGIA_CRON_SCHEDULE="+v.Schedule, "VIGIA_LOG_DIR="+v.LogDir,
		"VIGIA_BATCH="+v.Batch, "VIGIA_CONFIG="+v.Config, "VIGIA_INSTANCE="+v.Instance)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("cron-entry.sh render: %v: %s", err, stderr.String())
	}
	got, err := Render(shippedTemplate(t), v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Go render differs from cron-entry.sh render:\n--- go\n%s\n--- bash\n%s", got, want)
	}
}

// neighbours fills dir with files that are not vigia's and returns a check
// that they are byte for byte and mode for mode what they were.
func neighbours(t *testing.T, dir string) func() {
	t.Helper()
	files := map[string]string{
		"e2scrub_all":    "30 3 * * 0 root test -e /run/systemd/system || /sbin/e2scrub_all\n",
		"php":            "09,39 * * * * root [ -x /usr/lib/php/sessionclean ] && true\n",
		"vigia.dpkg-old": "# vigia: an older entry kept by dpkg\n",
		".placeholder":   "",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for name, body := range files {
			p := filepath.Join(dir, name)
			got, err := os.ReadFile(p)
			if err != nil || string(got) != body {
				t.Errorf("%s changed: %q, %v", name, got, err)
			}
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode changed: %v %v", name, st.Mode(), err)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := files[e.Name()]; !ok && e.Name() != "vigia" {
				t.Errorf("unexpected file left in the cron dir: %s", e.Name())
			}
		}
	}
}

func TestInstallRemoveKeepsOthers(t *testing.T) {
	dir := t.TempDir()
	check := neighbours(t, dir)
	path := filepath.Join(dir, "vigia")
	content, err := Render(shippedTemplate(t), goodValues())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := Install(path, content); err != nil {
			t.Fatalf("Install: %v", err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("installed %q, %v; want %q", got, err, content)
		}
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o644 {
			t.Fatalf("mode = %v, want 0644", st.Mode().Perm())
		}
		check()
	}
	if ok, err := Exists(path); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	removed, err := Remove(path)
	if !removed || err != nil {
		t.Fatalf("Remove = %v, %v; want true, nil", removed, err)
	}
	removed, err = Remove(path)
	if removed || err != nil {
		t.Fatalf("second Remove = %v, %v; want false, nil", removed, err)
	}
	check()
}

func TestForeignFileIsLeftAlone(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"another job", "* * * * * root /usr/bin/backup\n"},
		{"empty", ""},
		{"marker later", "MAILTO=root\n# vigia\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigia")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Install(path, []byte("# vigia\n")); !errors.Is(err, ErrForeign) {
				t.Errorf("Install over a foreign file: %v, want ErrForeign", err)
			}
			if _, err := Remove(path); !errors.Is(err, ErrForeign) {
				t.Errorf("Remove of a foreign file: %v, want ErrForeign", err)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.body {
				t.Errorf("foreign file changed to %q", got)
			}
		})
	}
	dir := filepath.Join(t.TempDir(), "vigia")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Remove(dir); !errors.Is(err, ErrForeign) {
		t.Errorf("Remove of a directory: %v, want ErrForeign", err)
	}
}

// TestInstallIsAtomic has a reader poll the file while entries of different
// sizes replace each other: it must only ever see one whole entry.
func TestInstallIsAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigia")
	a := []byte("# vigia a\n" + strings.Repeat("* * * * * root true a\n", 400))
	b := []byte("# vigia b\n" + strings.Repeat("*/5 * * * * root true b\n", 10))
	if err := Install(path, a); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var torn, reads int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := os.ReadFile(path)
			reads++
			if err != nil || (!bytes.Equal(got, a) && !bytes.Equal(got, b)) {
				torn++
			}
		}
	}()
	for i := range 300 {
		content := a
		if i%2 == 1 {
			content = b
		}
		if err := Install(path, content); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if torn > 0 {
		t.Fatalf("%d of %d reads saw a partial or missing entry", torn, reads)
	}
}

func TestInstallFailsInMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "vigia")
	if err := Install(path, []byte("# vigia\n")); err == nil {
		t.Fatal("Install into a missing directory succeeded")
	}
}

func TestIgnoredByCron(t *testing.T) {
	for path, want := range map[string]bool{
		"/etc/cron.d/vigia": false, "/etc/cron.d/vigia-gen_2": false,
		"/etc/cron.d/vigia.cron": true, "/etc/cron.d/vigia~": true, "/etc/cron.d/.vigia": true,
	} {
		if got := IgnoredByCron(path); got != want {
			t.Errorf("IgnoredByCron(%q) = %v, want %v", path, got, want)
		}
	}
}

// FuzzRender: whatever the values, Render either refuses them or returns an
// entry with no placeholder left and none of the characters cron or the
// shell would reinterpret coming from a value.
func FuzzRender(f *testing.F) {
	tmpl := shippedTemplateF(f)
	f.Add("* * * * *", "/opt/vigia", "/var/log/vigia", "10", "", "")
	f.Add("*/5 1-3 * * 1,2", "/a b", "/l", "1", "/etc/v.conf", "it-1")
	f.Add("* * * * *", "/x%y", "/l", "1", "", "")
	f.Fuzz(func(t *testing.T, sched, root, logDir, batch, conf, inst string) {
		v := Values{Schedule: sched, Root: root, LogDir: logDir, Batch: batch, Config: conf,
			Instance: inst}
		out, err := Render(tmpl, v)
		if err != nil {
			return
		}
		if placeholder.Match(out) {
			t.Fatalf("placeholder left in %q", out)
		}
		for _, s := range []string{sched, root, logDir, batch, conf, inst} {
			if strings.ContainsAny(s, "\n%\"\\$`") {
				t.Fatalf("value %q with a refused character was rendered", s)
			}
		}
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Fatal("entry without a final newline")
		}
	})
}

func shippedTemplateF(f *testing.F) []byte {
	b, err := os.ReadFile("../../../bash/cron/vigia.cron.in")
	if err != nil {
		f.Fatalf("read the shipped template: %v", err)
	}
	return b
}
