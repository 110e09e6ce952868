//go:build integration

package integration

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"vigia/internal/docker"
)

// TestStartsMissing: a host short of both classes gets them started from the
// workload images, labelled and named as the contract says, with no network.
func TestStartsMissing(t *testing.T) {
	e := newEnv(t)
	e.vigiaContainer("low", "low", 0)
	d := e.start()
	eventually(t, 90*time.Second, "3 low and 2 high running", func() bool {
		low, high := e.census()
		return low == 3 && high == 2
	})
	name := regexp.MustCompile(`^/vigia-(low|ram|cpu)-\d{14}-[0-9a-f]{6}$`)
	kinds := map[string]int{}
	for _, c := range e.ours("io.vigia.instance") {
		if c.Labels["io.vigia.test"] == e.instance {
			continue // the one the test made
		}
		info, err := e.docker.ContainerInspect(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		l := info.Config.Labels
		if !name.MatchString(info.Name) || l["io.vigia.managed"] != "true" ||
			l["io.vigia.kind"] == "" || "vigia/"+l["io.vigia.kind"]+":latest" != info.Config.Image {
			t.Errorf("started container %s: labels %v, image %s", info.Name, l, info.Config.Image)
		}
		if string(info.HostConfig.NetworkMode) != "none" {
			t.Errorf("%s has network %q, want none", info.Name, info.HostConfig.NetworkMode)
		}
		kinds[l["io.vigia.kind"]]++
	}
	if kinds["low"] != 2 || kinds["ram"]+kinds["cpu"] != 2 {
		t.Errorf("started kinds %v, want 2 low and 2 high", kinds)
	}
	if n := e.query("SELECT COUNT(*) FROM actions WHERE action = 'start' AND ok = 1 AND container_id <> ''"); n != 4 {
		t.Errorf("%d successful starts recorded, want 4", n)
	}
	if err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// TestDockerRefusesWhatIsNotOurs drives internal/docker against the engine:
// the label check right before a removal holds even if a caller is wrong.
func TestDockerRefusesWhatIsNotOurs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	foreign := e.create("foreign-"+e.instance, "vigia/low:latest", nil)
	grafana := e.create("grafana-"+e.instance, "vigia/low:latest", map[string]string{
		"io.vigia.role": "grafana", "io.vigia.managed": "true", "io.vigia.instance": e.instance})
	other := e.create("other-instance-"+e.instance, "vigia/low:latest", map[string]string{
		"io.vigia.managed": "true", "io.vigia.class": "low", "io.vigia.instance": "not-" + e.instance})
	ours := e.vigiaContainer("low", "low", 1)

	c, err := docker.New(e.instance)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errs := c.RemoveAll(ctx, []string{foreign, grafana, other, ours}, 4, 20*time.Second)
	for i, id := range []string{foreign, grafana, other} {
		if !errors.Is(errs[i], docker.ErrNotManaged) {
			t.Errorf("remove %s: %v, want ErrNotManaged", id[:12], errs[i])
		}
		if info, err := e.docker.ContainerInspect(ctx, id); err != nil || !info.State.Running {
			t.Errorf("container %s touched: %v", id[:12], err)
		}
	}
	if errs[3] != nil {
		t.Errorf("remove our own: %v", errs[3])
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(ct docker.Container) bool { return ct.ID == foreign })
	if i < 0 || list[i].Pid <= 0 || list[i].Managed() {
		t.Errorf("List: foreign container missing, without its PID, or managed: %+v", list)
	}
	if slices.ContainsFunc(list, func(ct docker.Container) bool { return ct.ID == ours }) {
		t.Error("List still shows the removed container")
	}
	if ok, err := c.ImageExists(ctx, "vigia/low:latest"); !ok || err != nil {
		t.Errorf("ImageExists(vigia/low) = %v, %v", ok, err)
	}
	if ok, err := c.ImageExists(ctx, "vigia/absent-"+e.instance+":latest"); ok || err != nil {
		t.Errorf("ImageExists(absent) = %v, %v", ok, err)
	}
}
