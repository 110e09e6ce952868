package pressure

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want float64
		err  string
	}{
		{"kernel 6.x cpu", "some avg10=31.87 avg60=57.92 avg300=72.33 total=2118628464\n" +
			"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", 31.87, ""},
		{"kernel 5.x cpu: some line only", "some avg10=2.50 avg60=1.00 avg300=0.50 total=9\n",
			2.5, ""},
		{"full line first", "full avg10=9.00 avg60=0 avg300=0 total=0\n" +
			"some avg10=1.25 avg60=0 avg300=0 total=0\n", 1.25, ""},
		{"idle", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", 0, ""},
		{"empty", "", 0, "no some line"},
		{"garbage", "hello\n", 0, "no some line"},
		{"no avg10", "some avg60=1.00 total=3\n", 0, "has no avg10"},
		{"not a number", "some avg10=abc\n", 0, `"abc" is not a percentage`},
		{"above 100", "some avg10=100.01\n", 0, "not a percentage"},
		{"negative", "some avg10=-1\n", 0, "not a percentage"},
		{"NaN", "some avg10=NaN\n", 0, "not a percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	p, err := Read("testdata")
	if err != nil || p.CPU == nil || p.Memory == nil || *p.CPU != 31.87 || *p.Memory != 0 {
		t.Fatalf("Read(testdata) = %+v, %v", p, err)
	}

	p, err = Read(t.TempDir())
	if err != nil || p.CPU != nil || p.Memory != nil {
		t.Fatalf("no PSI: %+v, %v; want nil figures and no error", p, err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cpu"), []byte("some avg10=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mem := []byte("some avg10=4.00 avg60=0 avg300=0 total=1\n")
	if err := os.WriteFile(filepath.Join(dir, "memory"), mem, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = Read(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "cpu")) {
		t.Fatalf("bad cpu file: error %v, want one naming it", err)
	}
	if p.CPU != nil || p.Memory == nil || *p.Memory != 4 {
		t.Fatalf("bad cpu file: %+v; want memory still read", p)
	}
}

// TestReadHost reads this host's PSI when it has any: the real files parse.
func TestReadHost(t *testing.T) {
	if _, err := os.Stat(Dir); err != nil {
		t.Skipf("no %s on this kernel", Dir)
	}
	p, err := Read(Dir)
	if err != nil || p.CPU == nil || p.Memory == nil {
		t.Fatalf("Read(%s) = %+v, %v", Dir, p, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"cpu", "memory"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("some avg10=1e400\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err == nil && (v < 0 || v > 100) {
			t.Fatalf("Parse(%q) = %v: outside 0-100", data, v)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("Parse(%q): error %v does not wrap ErrFormat", data, err)
		}
	})
}
