package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RecentContainers returns the container samples of the newest ticks ticks
// that wrote any, ordered by container and then oldest first: the window the
// daemon judges patterns over, as far as the database holds it.
func (d *DB) RecentContainers(ctx context.Context, ticks int) ([]ContainerSample, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT ts, container_id, name, class, kind, pid,
		processes, vsz_kb, rss_kb, mem_pct, cpu_pct, io_read_bytes, io_write_bytes
		FROM container_samples WHERE ts >= (SELECT MIN(ts) FROM
			(SELECT DISTINCT ts FROM container_samples ORDER BY ts DESC LIMIT ?))
		ORDER BY container_id, ts`, max(ticks, 0))
	if err != nil {
		return nil, fmt.Errorf("recent containers: %w", classify(err, d.timeout))
	}
	return d.scanContainers(rows, "recent containers")
}

// scanContainers reads rows of container_samples with the columns both
// queries select, in that order, and closes them.
func (d *DB) scanContainers(rows *sql.Rows, what string) ([]ContainerSample, error) {
	defer rows.Close()
	var out []ContainerSample
	for rows.Next() {
		var c ContainerSample
		var ts int64
		err := rows.Scan(&ts, &c.ContainerID, &c.Name, &c.Class, &c.Kind, &c.PID, &c.Processes,
			&c.VszKB, &c.RssKB, &c.MemPct, &c.CPUPct, &c.IOReadBytes, &c.IOWriteBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		c.Time = time.Unix(ts, 0)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err, d.timeout))
	}
	return out, nil
}
