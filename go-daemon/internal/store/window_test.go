package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestRecentContainers(t *testing.T) {
	ctx := context.Background()
	d := open(t, filepath.Join(t.TempDir(), "vigia.db"))
	at := time.Unix(1_800_000_000, 0)
	// a in every tick, b only in the first, c from the third; the fourth
	// tick read nothing and wrote no samples.
	present := [][]string{{"a", "b"}, {"a"}, {"a", "c"}, nil}
	for i, ids := range present {
		tk := &Tick{Time: at.Add(time.Duration(i) * 20 * time.Second), Sensor: "kernel"}
		for _, id := range ids {
			tk.Containers = append(tk.Containers, ContainerSample{ContainerID: id,
				Class: "high", RssKB: uint64(100 * (i + 1)), CPUPct: f(float64(i))})
		}
		if _, err := d.WriteTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ticks int
		want  []string // id@tick
	}{
		{0, nil},
		{1, []string{"a@2", "c@2"}},
		{2, []string{"a@1", "a@2", "c@2"}},
		{9, []string{"a@0", "a@1", "a@2", "b@0", "c@2"}},
	} {
		got, err := d.RecentContainers(ctx, tc.ticks)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range got {
			i := int(c.Time.Sub(at) / (20 * time.Second))
			ids = append(ids, c.ContainerID+"@"+string(rune('0'+i)))
			if c.RssKB != uint64(100*(i+1)) || c.CPUPct == nil || *c.CPUPct != float64(i) {
				t.Errorf("ticks %d: %s read back as rss %d cpu %v", tc.ticks, c.ContainerID,
					c.RssKB, c.CPUPct)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("ticks %d: %v, want %v", tc.ticks, ids, tc.want)
		}
	}
}
