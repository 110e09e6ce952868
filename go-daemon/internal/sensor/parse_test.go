package sensor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// remove, as a mutation value, deletes the key.
type removeKey struct{}

var remove = removeKey{}

// mutate loads a fixture as generic JSON, sets (or removes) the value at a
// dotted path such as "processes.0.pid", and returns the new document.
func mutate(t *testing.T, file, path string, value any) []byte {
	t.Helper()
	return mutateJSON(t, readFixture(t, file), path, value)
}

func mutateJSON(t *testing.T, data []byte, path string, value any) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	node := doc
	for _, k := range keys[:len(keys)-1] {
		node = child(t, node, k)
	}
	last := keys[len(keys)-1]
	switch n := node.(type) {
	case map[string]any:
		if value == remove {
			delete(n, last)
		} else {
			n[last] = value
		}
	case []any:
		i, _ := strconv.Atoi(last)
		n[i] = value
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func child(t *testing.T, node any, key string) any {
	t.Helper()
	switch n := node.(type) {
	case map[string]any:
		return n[key]
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i >= len(n) {
			t.Fatalf("bad index %q", key)
		}
		return n[i]
	}
	t.Fatalf("cannot descend into %T at %q", node, key)
	return nil
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseValid(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			s, err := Parse(readFixture(t, name))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !strings.Contains(name, string(s.Kind)) {
				t.Errorf("kind %q, but the file is %s", s.Kind, name)
			}
			if s.Kind == KindContinfo && s.Containers == nil {
				t.Error("continfo parsed with nil Containers")
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	s, err := Parse(readFixture(t, "continfo-valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := s.Processes[2]
	if p.Name != `cpu "x"\y` || p.UID != 1000 || p.CPUTimeNS != 99e9 || p.Cgroup == "" {
		t.Errorf("process 2 = %+v", p)
	}
	got := s.Containers[0]
	if got.Processes != 2 || got.RssKB != 67584 || got.Runtime != RuntimeDocker {
		t.Errorf("container 0 = %+v", got)
	}
	if s.Memory.UsedPct != 25 || s.CPUs != 2 || s.UptimeNS != 101e9 {
		t.Errorf("header = %+v %d %d", s.Memory, s.CPUs, s.UptimeNS)
	}
	sys, err := Parse(readFixture(t, "sysinfo-valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sys.Processes[5].Name; got != "caf\u00e9\u00ff" {
		t.Errorf("escaped name = %q", got)
	}
}

// invalidCase is a document Parse must refuse, and how.
type invalidCase struct {
	name string
	data []byte
	is   error
	msg  string
}

func invalidCases(t *testing.T) []invalidCase {
	valid := readFixture(t, "continfo-valid.json")
	const c, s = "continfo-valid.json", "sysinfo-valid.json"
	hexUpper := strings.ToUpper(strings.Repeat("ab", 32))
	return []invalidCase{
		{"empty", nil, ErrEmpty, "empty"},
		{"blank", []byte(" \n\t"), ErrEmpty, "empty"},
		{"truncated", valid[:len(valid)/2], ErrTruncated, "ends inside"},
		{"one byte", []byte("{"), ErrTruncated, "ends inside"},
		{"trailing data", append(append([]byte{}, valid...), "{}"...), ErrInvalid,
			"after the end"},
		{"array", []byte("[]"), ErrInvalid, "array"},
		{"syntax", []byte(`{"kind": continfo}`), ErrInvalid, "syntax"},
		{"unknown field", mutate(t, c, "extra", 1), ErrInvalid, `unknown field "extra"`},
		{"unknown process field", mutate(t, c, "processes.1.oom_score", 1), ErrInvalid,
			`processes[1]: unknown field "oom_score"`},
		{"unknown container field", mutate(t, c, "containers.1.x", 1), ErrInvalid,
			`containers[1]: unknown field "x"`},
		{"unknown memory field", mutate(t, c, "memory.swap_kb", 1), ErrInvalid,
			`memory: unknown field "swap_kb"`},
		{"name in another case", []byte(strings.Replace(string(valid), `"kind"`, `"Kind"`, 1)),
			ErrInvalid, `unknown field "Kind"`},
		{"name with a Kelvin sign", []byte(strings.Replace(string(valid), `"kind"`,
			`"\u212aind"`, 1)), ErrInvalid, "unknown field \"\u212aind\""},
		{"process name in another case", []byte(strings.Replace(string(valid), `"pid"`, `"PID"`,
			1)), ErrInvalid, `unknown field "PID"`},
		{"member twice", []byte(strings.Replace(string(valid), `"pid": 4101,`,
			`"pid": 4101, "pid": 4102,`, 1)), ErrInvalid, `member "pid" appears twice`},
		{"top member twice", []byte(strings.Replace(string(valid), `"cpus": 2,`,
			`"cpus": 2, "cpus": 3,`, 1)), ErrInvalid, `member "cpus" appears twice`},
		{"schema 2", mutate(t, c, "schema_version", 2), ErrSchemaVersion, "2, want 1"},
		{"schema 0", mutate(t, c, "schema_version", 0), ErrSchemaVersion, "0, want 1"},
		{"schema 2 new field", mutateJSON(t, mutate(t, c, "schema_version", 2), "new", 1),
			ErrSchemaVersion, "2, want 1"},
		{"schema missing", mutate(t, c, "schema_version", remove), ErrInvalid,
			"schema_version is missing"},
		{"kind", mutate(t, c, "kind", "procinfo"), ErrInvalid, `kind "procinfo"`},
		{"pid string", mutate(t, c, "processes.2.pid", "12"), ErrInvalid,
			"processes[2].pid: a JSON string is not a valid integer"},
		{"container rss string", mutate(t, c, "containers.1.rss_kb", "1"), ErrInvalid,
			"containers[1].rss_kb: a JSON string is not a valid non-negative integer"},
		{"cpus string", mutate(t, c, "cpus", "2"), ErrInvalid, "cpus: a JSON string"},
		{"pid zero", mutate(t, c, "processes.0.pid", 0), ErrInvalid, "processes[0].pid is 0"},
		{"rss negative", mutate(t, c, "processes.1.rss_kb", -1), ErrInvalid,
			"processes[1].rss_kb: a JSON number -1 is not a valid non-negative integer"},
		{"rss fraction", mutate(t, c, "processes.1.rss_kb", 1.5), ErrInvalid, "rss_kb"},
		{"rss huge", mutate(t, c, "processes.1.rss_kb", 1e30), ErrInvalid, "rss_kb"},
		{"cmdline missing", mutate(t, c, "processes.1.cmdline", remove), ErrInvalid,
			"processes[1].cmdline is missing"},
		{"name null", mutate(t, c, "processes.1.name", nil), ErrInvalid, "processes[1].name is missing"},
		{"truncated flag type", mutate(t, c, "processes.0.cmdline_truncated", "no"), ErrInvalid,
			"cmdline_truncated"},
		{"cpu_pct negative", mutate(t, c, "processes.0.cpu_pct", -0.5), ErrInvalid,
			"processes[0].cpu_pct is -0.5"},
		{"continfo without container_id", mutate(t, c, "processes.2.container_id", remove),
			ErrInvalid, "processes[2].container_id is missing"},
		{"continfo without cgroup", mutate(t, c, "processes.2.cgroup", remove),
			ErrInvalid, "processes[2].cgroup is missing"},
		{"sysinfo without state", mutate(t, s, "processes.3.state", remove), ErrInvalid,
			"processes[3].state is missing"},
		{"bad state", mutate(t, s, "processes.3.state", "Q"), ErrInvalid, `state is "Q"`},
		{"two-letter state", mutate(t, s, "processes.3.state", "RS"), ErrInvalid, `state is "RS"`},
		{"upper-case id", mutate(t, c, "processes.0.container_id", hexUpper), ErrInvalid,
			"64 lowercase hex"},
		{"short id", mutate(t, c, "containers.0.id", strings.Repeat("a", 63)), ErrInvalid,
			"containers[0].id"},
		{"sysinfo with containers", mutate(t, s, "containers", []any{}), ErrInvalid,
			"only continfo has containers"},
		{"continfo without containers", mutate(t, c, "containers", remove), ErrInvalid,
			"containers is missing"},
		{"runtime", mutate(t, c, "containers.1.runtime", "lxc"), ErrInvalid, `runtime is "lxc"`},
		{"container without processes", mutate(t, c, "containers.1.processes", 0), ErrInvalid,
			"containers[1].processes is 0"},
		{"duplicate pid", mutate(t, c, "processes.1.pid", 4100), ErrInvalid, "4100 appears twice"},
		{"duplicate container", mutate(t, c, "containers.1.id", strings.Repeat("3f4e1b2c", 8)),
			ErrInvalid, "appears twice"},
		{"orphan process", mutate(t, c, "processes.2.container_id", strings.Repeat("e", 64)),
			ErrInvalid, "has no entry in containers"},
		{"memory missing", mutate(t, c, "memory", remove), ErrInvalid, "memory is missing"},
		{"memory field missing", mutate(t, c, "memory.available_kb", remove), ErrInvalid,
			"memory.available_kb is missing"},
		{"memory pct negative", mutate(t, c, "memory.used_pct", -1), ErrInvalid, "memory.used_pct"},
		{"cpus zero", mutate(t, c, "cpus", 0), ErrInvalid, "cpus is 0"},
		{"processes null", mutate(t, c, "processes", nil), ErrInvalid, "processes is missing"},
		{"processes object", mutate(t, c, "processes", map[string]any{}), ErrInvalid, "array"},
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", s)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestParseEscapedNames(t *testing.T) {
	valid := string(readFixture(t, "sysinfo-valid.json"))
	escaped := strings.Replace(valid, `"kind"`, `"\u006bind"`, 1)
	escaped = strings.Replace(escaped, `"pid"`, `"p\u0069d"`, -1)
	if _, err := Parse([]byte(escaped)); err != nil {
		t.Errorf("names written with escapes: %v", err)
	}
}

func TestParseKind(t *testing.T) {
	data := readFixture(t, "sysinfo-valid.json")
	if _, err := ParseKind(data, KindSysinfo); err != nil {
		t.Fatalf("ParseKind(sysinfo): %v", err)
	}
	_, err := ParseKind(data, KindContinfo)
	const want = `kind is "sysinfo", want "continfo"`
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("ParseKind(continfo) = %v", err)
	}
}

// TestParseRoundTrip checks that what Parse returns encodes back to a
// document Parse reads to the same value: the userspace sensor relies on it.
func TestParseRoundTrip(t *testing.T) {
	for _, name := range []string{"continfo-valid.json", "sysinfo-valid.json", "continfo-empty.json"} {
		s, err := Parse(readFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		again := roundTrip(t, s)
		if !reflect.DeepEqual(s, again) {
			t.Errorf("%s: round trip differs:\n%+v\n%+v", name, s, again)
		}
	}
}

func roundTrip(t testing.TB, s *Snapshot) *Snapshot {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse of Marshal: %v\n%s", err, data)
	}
	return again
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		f.Add(readFixture(f, filepath.Base(file)))
	}
	f.Add([]byte(`{"schema_version":2}`))
	f.Add([]byte(`{"schema_version":1,"kind":"sysinfo"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTruncated) &&
				!errors.Is(err, ErrEmpty) && !errors.Is(err, ErrSchemaVersion) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if s.SchemaVersion != SchemaVersion || s.CPUs < 1 {
			t.Fatalf("accepted a bad header: %+v", s)
		}
		// The wire types read numbers themselves: encoding/json must read
		// the same values.
		var plain Snapshot
		if err := json.Unmarshal(data, &plain); err != nil {
			t.Fatalf("Parse accepted what encoding/json refuses: %v", err)
		}
		if plain.Kind == KindContinfo && plain.Containers == nil {
			plain.Containers = []Container{}
		}
		if !reflect.DeepEqual(*s, plain) {
			t.Fatalf("Parse and encoding/json differ:\n%+v\n%+v", *s, plain)
		}
		if again := roundTrip(t, s); !reflect.DeepEqual(s, again) {
			t.Fatalf("round trip differs:\n%+v\n%+v", s, again)
		}
	})
}
