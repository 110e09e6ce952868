//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"vigia/internal/docker"
)

// createWith runs a container of the test with extra environment and host
// config (limits set at creation).
func (e *env) createWith(name, image string, labels map[string]string, envs []string,
	hc container.HostConfig) string {
	e.t.Helper()
	ctx := context.Background()
	l := map[string]string{"io.vigia.test": e.instance}
	for k, v := range labels {
		l[k] = v
	}
	hc.NetworkMode = "none"
	r, err := e.docker.ContainerCreate(ctx, &container.Config{Image: image, Labels: l, Env: envs},
		&hc, nil, nil, name)
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	if err := e.docker.ContainerStart(ctx, r.ID, container.StartOptions{}); err != nil {
		e.t.Fatalf("start %s: %v", name, err)
	}
	return r.ID
}

func (e *env) vigiaLabels(class, kind string) map[string]string {
	return map[string]string{"io.vigia.managed": "true", "io.vigia.class": class,
		"io.vigia.kind": kind, "io.vigia.instance": e.instance}
}

// TestDockerUpdateCaps drives Update against the engine: the limits land in
// the container's host config (memory+swap with memory), a container with a
// CFS quota is capped through its quota, List reports the limits, and what
// is not vigia's is refused and left as it was.
func TestDockerUpdateCaps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ours := e.vigiaContainer("high", "ram", 0)
	quota := e.createWith("quota-"+e.instance, "vigia/low:latest", e.vigiaLabels("low", "low"),
		nil, container.HostConfig{Resources: container.Resources{CPUPeriod: 100_000,
			CPUQuota: 80_000}})
	foreign := e.create("foreign-"+e.instance, "vigia/low:latest", nil)
	grafana := e.create("grafana-"+e.instance, "vigia/low:latest", map[string]string{
		"io.vigia.role": "grafana", "io.vigia.managed": "true", "io.vigia.instance": e.instance})

	c, err := docker.New(e.instance)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lim := docker.Limits{MemoryBytes: 320 << 20, NanoCPUs: 5e8}
	if err := c.Update(ctx, ours, lim); err != nil {
		t.Fatalf("update ours: %v", err)
	}
	info, err := e.docker.ContainerInspect(ctx, ours)
	if err != nil {
		t.Fatal(err)
	}
	hc := info.HostConfig
	if hc.Memory != 320<<20 || hc.MemorySwap != 320<<20 || hc.NanoCPUs != 5e8 || !info.State.Running {
		t.Errorf("after the cap: memory %d, swap %d, nano cpus %d, running %v", hc.Memory,
			hc.MemorySwap, hc.NanoCPUs, info.State.Running)
	}
	if err := c.Update(ctx, quota, docker.Limits{NanoCPUs: 25e7}); err != nil {
		t.Fatalf("update a container with a CFS quota: %v", err)
	}
	info, err = e.docker.ContainerInspect(ctx, quota)
	if err != nil || info.HostConfig.CPUQuota != 25_000 {
		t.Errorf("quota after the cap: %+v, %v; want 25000 of 100000", info.HostConfig.Resources, err)
	}
	if err := c.Update(ctx, ours, docker.Limits{}); !errors.Is(err, docker.ErrCapInvalid) {
		t.Errorf("update with no limit: %v, want ErrCapInvalid", err)
	}
	for _, id := range []string{foreign, grafana} {
		if err := c.Update(ctx, id, lim); !errors.Is(err, docker.ErrNotManaged) {
			t.Errorf("update %s: %v, want ErrNotManaged", id[:12], err)
		}
		info, err := e.docker.ContainerInspect(ctx, id)
		if err != nil || info.HostConfig.Memory != 0 || info.HostConfig.NanoCPUs != 0 {
			t.Errorf("container %s touched: %v", id[:12], err)
		}
	}
	gone := e.vigiaContainer("low", "low", 5)
	if err := c.RemoveAll(ctx, []string{gone}, 1, 20*time.Second)[0]; err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, gone, lim); !errors.Is(err, docker.ErrGone) {
		t.Errorf("update a removed container: %v, want ErrGone", err)
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]docker.Limits{ours: lim, quota: {NanoCPUs: 25e7}} {
		i := slices.IndexFunc(list, func(ct docker.Container) bool { return ct.ID == id })
		if i < 0 || list[i].Limits != want {
			t.Errorf("List limits of %s: %+v, want %+v", id[:12], list, want)
		}
	}
}

// TestDaemonCapsPatterns runs the real daemon with caps on over a host that
// holds its targets, where a low-labelled container burns a CPU and a high
// one leaks memory: both are capped, not removed, with the pattern, the
// threshold and its value in the recorded reason, and the counts hold.
func TestDaemonCapsPatterns(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	suffix := strings.TrimPrefix(e.instance, "itest-")[:4]
	name := func(kind string, n int) string {
		return fmt.Sprintf("vigia-%s-%s-%s%02d", kind, time.Now().UTC().Format("20060102150405"),
			suffix, n)
	}
	e.vigiaContainer("low", "low", 0)
	e.vigiaContainer("low", "low", 1)
	hog := e.createWith(name("low", 2), "vigia/cpu:latest", e.vigiaLabels("low", "low"), nil,
		container.HostConfig{})
	leak := e.createWith(name("ram", 3), "vigia/ram:latest", e.vigiaLabels("high", "ram"),
		[]string{"VIGIA_RAM_MIB=64", "VIGIA_RAM_GROW_MIB=24", "VIGIA_RAM_GROW_EVERY=1",
			"VIGIA_RAM_MAX_MIB=1024"}, container.HostConfig{})
	e.createWith(name("cpu", 4), "vigia/low:latest", e.vigiaLabels("high", "cpu"), nil,
		container.HostConfig{})

	d := e.startEnv("VIGIA_CAPS=true", "VIGIA_WINDOW=4", "VIGIA_LOG_LEVEL=debug")
	capped := func(id, pattern string) string {
		return fmt.Sprintf("SELECT COUNT(*) FROM actions WHERE action = 'cap' AND ok = 1 "+
			"AND dry_run = 0 AND container_id = '%s' AND reason LIKE '%%%s%%' "+
			"AND reason LIKE '%%thresholds x%%'", id, pattern)
	}
	eventually(t, 60*time.Second, "the CPU hog labelled low capped", func() bool {
		return e.query(capped(hog, "labelled low but behaves like a high: cpu")) == 1
	})
	eventually(t, 60*time.Second, "the leak capped", func() bool {
		return e.query(capped(leak, "memory grows")) == 1
	})
	for id, want := range map[string]string{hog: "'mismatch' AND threshold = 'low cpu'",
		leak: "'leak' AND threshold = 'leak'"} {
		q := fmt.Sprintf("SELECT COUNT(*) FROM actions WHERE action = 'cap' AND container_id = '%s' "+
			"AND pattern_value > threshold_value AND pressure BETWEEN 0 AND 1 AND pattern = %s",
			id, want)
		if n := e.query(q); n < 1 {
			t.Errorf("cap of %s without its pattern, threshold and pressure columns", id[:12])
		}
	}
	info, err := e.docker.ContainerInspect(ctx, hog)
	if err != nil || !info.State.Running || info.HostConfig.NanoCPUs <= 0 ||
		info.HostConfig.NanoCPUs > 2e8 {
		t.Errorf("hog after its cap: %+v, %v; want running, at most 0.2 CPUs", info.HostConfig, err)
	}
	if n := e.query(fmt.Sprintf("SELECT COUNT(*) FROM actions WHERE action = 'remove' "+
		"AND container_id = '%s'", hog)); n != 0 {
		t.Errorf("the hog was removed %d times; caps are on", n)
	}
	// Capped below the low bound, the hog is judged on fresh samples only
	// and not capped again every tick (once more if the pressure tightened
	// the bound by a fifth).
	time.Sleep(12 * time.Second)
	if n := e.query(capped(hog, "")); n > 2 {
		t.Errorf("the hog was capped %d times in 6 ticks", n)
	}
	if low, high := e.census(); low != 3 || high < 1 {
		t.Errorf("census %d low, %d high", low, high)
	}
	if !strings.Contains(d.log.String(), `msg=pattern`) {
		t.Errorf("no pattern line in the daemon's log")
	}
	if err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestDaemonReplacesMismatch: with caps off (the default), a container
// labelled low that burns a CPU is removed and a fresh low started in the
// same tick; the mismatch is in the recorded reason and the counts hold.
func TestDaemonReplacesMismatch(t *testing.T) {
	e := newEnv(t)
	e.vigiaContainer("low", "low", 0)
	e.vigiaContainer("low", "low", 1)
	hog := e.createWith(fmt.Sprintf("vigia-low-%s-%s02", time.Now().UTC().Format("20060102150405"),
		strings.TrimPrefix(e.instance, "itest-")[:4]), "vigia/cpu:latest",
		e.vigiaLabels("low", "low"), nil, container.HostConfig{})
	e.vigiaContainer("high", "ram", 3)
	e.vigiaContainer("high", "cpu", 4)

	d := e.startEnv("VIGIA_WINDOW=4")
	removed := fmt.Sprintf("SELECT COUNT(*) FROM actions WHERE action = 'remove' AND ok = 1 "+
		"AND container_id = '%s' AND pattern = 'mismatch' AND reason LIKE "+
		"'%%replaced, it crosses a bound (caps off)%%labelled low but behaves like a high%%'", hog)
	eventually(t, 60*time.Second, "the CPU hog labelled low replaced", func() bool {
		return e.query(removed) == 1
	})
	// The replacement is started in the tick that removed the hog.
	if n := e.query(fmt.Sprintf("SELECT COUNT(*) FROM actions a JOIN actions r "+
		"ON a.ts = r.ts WHERE r.container_id = '%s' AND r.action = 'remove' "+
		"AND a.action = 'start' AND a.class = 'low' AND a.ok = 1 "+
		"AND a.reason LIKE '%%to replace%%'", hog)); n != 1 {
		t.Errorf("%d starts replace the hog in its tick, want 1", n)
	}
	if n := e.query("SELECT COUNT(*) FROM actions WHERE action = 'cap'"); n != 0 {
		t.Errorf("%d caps with caps off", n)
	}
	eventually(t, 20*time.Second, "3 low and 2 high running", func() bool {
		low, high := e.census()
		return low == 3 && high == 2
	})
	if err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}
