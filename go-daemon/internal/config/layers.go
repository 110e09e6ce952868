package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// layers holds each key's value and the layer it came from, the later layer
// replacing the earlier.
type layers struct {
	values  map[string]string
	sources map[string]string
	unknown []string
}

func newLayers() *layers {
	l := &layers{values: map[string]string{}, sources: map[string]string{}}
	for _, k := range Keys {
		l.set(k.Name, k.Default, "default")
	}
	return l
}

func (l *layers) set(key, value, source string) {
	l.values[key] = value
	l.sources[key] = source
}

// lineRE is a KEY=value line, as bash/lib/common.sh reads it.
var lineRE = regexp.MustCompile(`^(VIGIA_[A-Z0-9_]+)=(.*)$`)

// readFile reads one KEY=value file. A missing file is an error only when
// required. A key given twice in one file is an error: bash would keep the
// first and silently drop the second.
func (l *layers) readFile(path string, required bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: read %s: %v", ErrInvalid, path, err)
	}
	return l.parseFile(path, string(data))
}

// parseFile reads the KEY=value lines of data, the contents of path.
func (l *layers) parseFile(path, data string) error {
	seen := map[string]int{}
	// Split on '\n' only: a '\r' stays in the value, as bash keeps it, and
	// is then refused with the key named.
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("%w: %s:%d: not a KEY=value line: %q", ErrInvalid, path, n, line)
		}
		key, value := m[1], m[2]
		if first, dup := seen[key]; dup {
			return fmt.Errorf("%w: %s:%d: %s is already set on line %d", ErrInvalid, path, n,
				key, first)
		}
		seen[key] = n
		if keyByName(key) == nil {
			l.unknown = append(l.unknown, fmt.Sprintf("%s:%d: %s", path, n, key))
			continue
		}
		l.set(key, value, path)
	}
	return nil
}

// config parses every value; the error lists every bad key with its source.
func (l *layers) config() (*Config, error) {
	c := &Config{Values: l.values, Sources: l.sources, Unknown: l.unknown}
	var errs []error
	for _, k := range Keys {
		if err := parsers[k.Name](c, l.values[k.Name]); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s=%q (from %s): %v", ErrInvalid, k.Name,
				l.values[k.Name], l.sources[k.Name], err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}
