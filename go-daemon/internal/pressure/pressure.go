// Package pressure reads the kernel's pressure stall information (PSI) from
// /proc/pressure: the share of recent time in which some task waited for a
// CPU or for memory. The policy tightens its thresholds with it.
//
// Limitations: only the "some avg10" figure is read (the last 10 s, matching
// a tick of 20 s); kernels built without CONFIG_PSI, or booted with psi=0,
// have no /proc/pressure and give no figures, which is not an error.
package pressure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dir is where the kernel offers PSI.
const Dir = "/proc/pressure"

// PSI holds the "some avg10" percentages; nil when the kernel offers none.
type PSI struct {
	CPU    *float64
	Memory *float64
}

// ErrFormat is wrapped by every error about a file that is not PSI.
var ErrFormat = errors.New("not a pressure file")

// Read reads cpu and memory under dir. A missing file leaves its figure nil;
// a file that cannot be read or parsed is an error naming it, and the other
// figure is still returned.
func Read(dir string) (PSI, error) {
	var p PSI
	var errs []error
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"cpu", &p.CPU}, {"memory", &p.Memory}} {
		path := filepath.Join(dir, f.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			var v float64
			if v, err = Parse(data); err == nil {
				*f.dst = &v
				continue
			}
		}
		errs = append(errs, fmt.Errorf("read %s: %w", path, err))
	}
	return p, errors.Join(errs...)
}

// Parse returns the avg10 of the "some" line of a pressure file, a
// percentage from 0 to 100.
func Parse(data []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "some" {
			continue
		}
		for _, kv := range fields[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k != "avg10" {
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
				return 0, fmt.Errorf("%w: some avg10=%q is not a percentage", ErrFormat, v)
			}
			return f, nil
		}
		return 0, fmt.Errorf("%w: the some line has no avg10", ErrFormat)
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return 0, fmt.Errorf("%w: no some line", ErrFormat)
}
