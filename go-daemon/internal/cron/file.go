package cron

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Install writes content to path atomically with mode 0644. An existing file
// there is replaced only when it is vigia's (ErrForeign otherwise).
func Install(path string, content []byte) error {
	if !bytes.HasPrefix(content, []byte(Marker)) {
		return fmt.Errorf("install cron entry %s: content does not start with %q", path, Marker)
	}
	if _, err := owned(path); err != nil {
		return fmt.Errorf("install cron entry: %w", err)
	}
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("install cron entry %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := writeSynced(tmp, content); err != nil {
		return fmt.Errorf("install cron entry %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install cron entry %s: %w", path, err)
	}
	return syncDir(dir)
}

func writeSynced(f *os.File, content []byte) error {
	_, err := f.Write(content)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes 0600; cron.d files are 0644
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Remove deletes vigia's entry at path. It reports whether a file was
// removed; a missing file is not an error, a foreign one is (ErrForeign).
func Remove(path string) (bool, error) {
	exists, err := owned(path)
	if err != nil || !exists {
		if err != nil {
			err = fmt.Errorf("remove cron entry: %w", err)
		}
		return false, err
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("remove cron entry %s: %w", path, err)
	}
	return true, syncDir(filepath.Dir(path))
}

// validName is the run-parts rule Debian's cron applies to /etc/cron.d: a
// file whose name has anything else (a dot, say) is silently skipped.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// IgnoredByCron reports whether Debian's cron would skip a cron.d file of
// this name.
func IgnoredByCron(path string) bool { return !validName.MatchString(filepath.Base(path)) }

// Exists reports whether vigia's entry is at path.
func Exists(path string) (bool, error) { return owned(path) }

// owned reports whether a file exists at path, and fails with ErrForeign when
// it exists but is not vigia's (or is not a regular file).
func owned(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return true, fmt.Errorf("%s: not a regular file: %w", path, ErrForeign)
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return true, fmt.Errorf("%s: empty: %w", path, ErrForeign)
	}
	if !strings.HasPrefix(line, Marker) {
		return true, fmt.Errorf("%s: first line %q: %w", path, strings.TrimSpace(line), ErrForeign)
	}
	return true, nil
}
