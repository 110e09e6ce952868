package sensor

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the contract between the kernel modules and this package.
var schemaPath = filepath.Join("..", "..", "..", "modulo-kernel", "schema",
	"vigia-proc.v1.schema.json")

type schemaObject struct {
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func loadSchema(t *testing.T) (top schemaObject, defs map[string]schemaObject) {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		schemaObject
		Defs map[string]schemaObject `json:"$defs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.schemaObject, doc.Defs
}

func jsonNames(v any) []string {
	var names []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTypesMatchSchema fails when the schema gains, loses or renames a field
// that the Go types do not follow.
func TestTypesMatchSchema(t *testing.T) {
	top, defs := loadSchema(t)
	for _, tt := range []struct {
		name   string
		schema schemaObject
		typ    any
	}{
		{"snapshot", top, Snapshot{}},
		{"memory", defs["memory"], Memory{}},
		{"process", defs["process"], Process{}},
		{"container", defs["container"], Container{}},
	} {
		got, want := jsonNames(tt.typ), keys(tt.schema.Properties)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Go fields %v, schema properties %v", tt.name, got, want)
		}
	}
}

// TestSchemaRequired removes, one at a time, every property the schema
// requires from a valid document: Parse must refuse each.
func TestSchemaRequired(t *testing.T) {
	top, defs := loadSchema(t)
	type place struct{ file, path string }
	where := map[string][]place{
		"":          {{"continfo-valid.json", ""}, {"sysinfo-valid.json", ""}},
		"memory":    {{"continfo-valid.json", "memory."}},
		"process":   {{"continfo-valid.json", "processes.0."}, {"sysinfo-valid.json", "processes.0."}},
		"container": {{"continfo-valid.json", "containers.0."}},
	}
	required := map[string][]string{"": top.Required}
	for name, def := range defs {
		required[name] = def.Required
	}
	// The kind-dependent requirements of the schema's allOf.
	extra := map[string][]string{
		"continfo-valid.json": {"containers", "processes.0.container_id", "processes.0.cgroup"},
		"sysinfo-valid.json":  {"processes.0.state"},
	}
	for def, places := range where {
		if len(required[def]) == 0 {
			t.Fatalf("schema %q has no required list", def)
		}
		for _, p := range places {
			for _, field := range required[def] {
				checkRefused(t, p.file, p.path+field)
			}
		}
	}
	for file, fields := range extra {
		for _, field := range fields {
			checkRefused(t, file, field)
		}
	}
}

func checkRefused(t *testing.T, file, path string) {
	t.Helper()
	_, err := Parse(mutate(t, file, path, remove))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("%s without %s: %v", file, path, err)
	}
}

// compileSchema compiles the contract with a JSON Schema 2020-12 validator,
// to hold Parse against the schema itself.
func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("vigia-proc.v1.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("vigia-proc.v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// schemaAccepts reports whether data is one JSON document the schema allows.
func schemaAccepts(sch *jsonschema.Schema, data []byte) bool {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	return err == nil && sch.Validate(doc) == nil
}

// stricterThanSchema are the refusals of Parse that the schema does not
// express: links between items, integers past 64 bits (no counter of the
// kernel's reaches them) and a member given twice (JSON leaves it undefined).
var stricterThanSchema = map[string]bool{
	"duplicate pid": true, "duplicate container": true, "orphan process": true,
	"rss huge": true, "member twice": true, "top member twice": true,
}

// TestSchemaAgrees checks that the schema accepts every valid fixture and
// refuses what Parse refuses, but for the checks it cannot express.
func TestSchemaAgrees(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("testdata/*.json")
	vm, _ := filepath.Glob("testdata/vm-*/*.json")
	for _, f := range append(files, vm...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !schemaAccepts(sch, data) {
			t.Errorf("%s: the schema refuses a fixture Parse accepts", f)
		}
	}
	for _, tt := range invalidCases(t) {
		if accepted := schemaAccepts(sch, tt.data); accepted != stricterThanSchema[tt.name] {
			t.Errorf("%s: schema accepts %v, Parse refuses", tt.name, accepted)
		}
	}
}

// FuzzParseSchema holds Parse to the schema on arbitrary input: whatever
// Parse accepts, the schema accepts too.
func FuzzParseSchema(f *testing.F) {
	sch := compileSchema(f)
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		f.Add(readFixture(f, filepath.Base(file)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Parse(data); err == nil && !schemaAccepts(sch, data) {
			t.Fatalf("Parse accepted what the schema refuses:\n%s", data)
		}
	})
}
