// Package store keeps vigia's samples and actions in SQLite (modernc.org/sqlite,
// pure Go): WAL journal, a busy timeout, versioned migrations embedded from
// migrations/*.sql and tracked in PRAGMA user_version, one transaction per tick,
// retention by Prune, and the read queries of the command line.
//
// Time columns are Unix seconds. A database locked by another writer is
// retried within the busy timeout, then reported as ErrLocked; the caller
// decides whether to go on.
package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// DefaultBusyTimeout is how long a write waits for another writer.
const DefaultBusyTimeout = 5 * time.Second

// Errors of the package, for errors.Is.
var (
	ErrLocked   = errors.New("database is locked by another writer")
	ErrNotFound = errors.New("no rows yet")
	ErrSchema   = errors.New("database schema is newer than this vigia")
)

// DB is an open vigia database.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
}

// Option changes how Open opens the database.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readOnly    bool
}

// WithBusyTimeout sets how long a statement waits for a lock held by another
// connection before ErrLocked.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// ReadOnly opens an existing database for the read queries only; it does not
// create the file or migrate, and fails with ErrSchema when the file's schema
// is newer than this binary knows.
func ReadOnly() Option {
	return func(o *options) { o.readOnly = true }
}

// Open opens (creating the file and its directory if needed) and migrates the
// database at path.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	return nil, errors.New("open store: not implemented yet")
}

// Close closes the database.
func (d *DB) Close() error { return nil }

// Version returns the schema version (PRAGMA user_version).
func (d *DB) Version(ctx context.Context) (int, error) { return 0, errors.New("not implemented yet") }
