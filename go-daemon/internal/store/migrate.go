package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	return migrationsIn(migrationFiles)
}

// migrationsIn reads migrations/*.sql of fsys; their numbers must run 1, 2,
// 3 ... without a gap or a repeat.
func migrationsIn(fsys fs.ReadDirFS) ([]migration, error) {
	entries, err := fsys.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		data, err := fs.ReadFile(fsys, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// Latest is the schema version this binary migrates to.
func Latest() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies, each in its own transaction, every migration newer than
// the file's user_version. Two processes migrating at once are serialised by
// the write lock; the version is read again inside each transaction.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := d.apply(ctx, m); err != nil {
			return fmt.Errorf("migrate to %s: %w", m.name, err)
		}
	}
	return d.checkVersion(ctx)
}

func (d *DB) apply(ctx context.Context, m migration) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err, d.timeout)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	if current >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	// PRAGMA takes no parameters; the version is an int we formatted.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return err
	}
	return classify(tx.Commit(), d.timeout)
}

// checkVersion refuses a file whose schema is not the one this binary knows.
func (d *DB) checkVersion(ctx context.Context) error {
	v, err := d.Version(ctx)
	if err != nil {
		return err
	}
	switch latest := Latest(); {
	case v > latest:
		return fmt.Errorf("%w: the file is at version %d, newer than this vigia's %d",
			ErrSchema, v, latest)
	case v < latest:
		return fmt.Errorf("%w: the file is at version %d, this vigia needs %d "+
			"(start the daemon once to migrate it)", ErrSchema, v, latest)
	}
	return nil
}
