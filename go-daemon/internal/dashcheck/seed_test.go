package dashcheck

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"

	"vigia/internal/store"
)

// writeTicks writes ticks into the database at path with the daemon's own
// store code: store.Open (creating and migrating it if needed), one WriteTick
// per tick, Close.
func writeTicks(t *testing.T, path string, ticks []*store.Tick) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tk := range ticks {
		if _, err := db.WriteTick(ctx, tk); err != nil {
			t.Fatalf("tick %s: %v", tk.Time, err)
		}
	}
}

// pluginDB opens a database the way the datasource does: prefix, path, "?",
// options (see the plugin's connection string).
func pluginDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
