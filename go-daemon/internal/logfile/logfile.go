// Package logfile is the daemon's log file: appended to, and rotated when it
// passes a size, keeping one older file (NAME.1), so a daemon that runs for
// months does not fill the disk.
//
// Limitations: one process writes the file; a second writer would rotate it
// under the first one's feet. The daemon's instance lock ensures one daemon
// per database, not per log directory.
package logfile

import (
	"fmt"
	"os"
	"sync"
)

// DefaultMaxBytes is the size past which the file is rotated.
const DefaultMaxBytes = 16 << 20

// File is an append-only log file that rotates itself.
type File struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	f        *os.File
	size     int64
}

// Open opens (creating) path for appending.
func Open(path string, maxBytes int64) (*File, error) {
	l := &File{path: path, maxBytes: maxBytes}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log %s: %w", l.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log %s: %w", l.path, err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends p, first rotating the file when p would take it past the
// limit. A failed rotation keeps writing to the current file.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size > 0 && l.size+int64(len(p)) > l.maxBytes {
		_ = l.rotate()
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate renames the file to NAME.1 (replacing an older one) and starts a
// new one.
func (l *File) rotate() error {
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return err
	}
	old := l.f
	if err := l.open(); err != nil {
		l.f = old // keep writing to the renamed file rather than nowhere
		return err
	}
	return old.Close()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
