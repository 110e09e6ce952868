package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrRunning means another vigia daemon holds the instance lock.
var ErrRunning = errors.New("another vigia daemon is running")

// Lock is the instance lock: one daemon per database. The kernel releases it
// when the process ends, however it ends, so a kill -9 leaves no stale lock.
type Lock struct{ f *os.File }

// LockPath is the lock file of the database at db.
func LockPath(db string) string { return db + ".lock" }

// AcquireLock takes the lock at path without waiting, and writes our pid in
// it. When another process holds it, the error wraps ErrRunning and names
// that process.
func AcquireLock(path string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (pid %s holds %s)", ErrRunning,
				strings.TrimSpace(string(b)), path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The file stays: removing it would race with a
// daemon that is starting.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
