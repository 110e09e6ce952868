// Package store keeps vigia's samples and actions in SQLite (modernc.org/sqlite,
// pure Go): WAL journal, a busy timeout, versioned migrations embedded from
// migrations/*.sql and tracked in PRAGMA user_version, one transaction per tick,
// retention by Prune, and the read queries of the command line.
//
// Time columns are Unix seconds. A database locked by another writer is
// retried within the busy timeout, then reported as ErrLocked; the caller
// decides whether to go on.
//
// The journal is synchronous=NORMAL, as usual with WAL: a power cut may lose
// the last ticks, never the file's consistency.
//
// Limitations: the sample tables carry the tick's second, not its id, so two
// ticks within one second (possible only with a 1 s interval) read back as
// one in LatestContainers.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultBusyTimeout is how long a write waits for another writer.
const DefaultBusyTimeout = 5 * time.Second

// Errors of the package, for errors.Is.
var (
	ErrLocked   = errors.New("database is locked by another writer")
	ErrNotFound = errors.New("no rows yet")
	ErrSchema   = errors.New("database schema version mismatch")
)

// DB is an open vigia database.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
	timeout  time.Duration
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
// is not the one this binary knows.
func ReadOnly() Option {
	return func(o *options) { o.readOnly = true }
}

// Open opens (creating the file and its directory if needed) and migrates the
// database at path.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	d := &DB{path: path, readOnly: o.readOnly, timeout: o.busyTimeout}
	if err := d.open(ctx, o); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) open(ctx context.Context, o options) error {
	if o.readOnly {
		if _, err := os.Stat(d.path); err != nil {
			return fmt.Errorf("no database yet (has the daemon run?): %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(d.path, o))
	if err != nil {
		return err
	}
	// One connection: the daemon writes from one goroutine, and a second
	// connection of the same process would only wait on the first's locks.
	db.SetMaxOpenConns(1)
	d.db = db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return classify(err, d.timeout)
	}
	if o.readOnly {
		err = d.checkVersion(ctx)
	} else {
		err = d.migrate(ctx)
	}
	if err != nil {
		db.Close()
		return err
	}
	return nil
}

// dsn builds a SQLite URI: the path is escaped, so '?' or '#' in a directory
// name cannot be taken for parameters.
func dsn(path string, o options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if o.readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// BEGIN IMMEDIATE: a tick takes the write lock when it starts,
		// inside the busy timeout, instead of failing half-way.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", d.path, err)
	}
	return nil
}

// Version returns the schema version (PRAGMA user_version).
func (d *DB) Version(ctx context.Context) (int, error) {
	var v int
	if err := d.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", classify(err, d.timeout))
	}
	return v, nil
}

// classify turns SQLite's busy and locked results into ErrLocked, keeping
// the driver's message.
func classify(err error, timeout time.Duration) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w (waited %s): %v", ErrLocked, timeout, err)
		}
	}
	return err
}
