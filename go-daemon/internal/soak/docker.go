package soak

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// Labels the harness reads and sets.
const (
	labelManaged  = "io.vigia.managed"
	labelClass    = "io.vigia.class"
	labelKind     = "io.vigia.kind"
	labelRole     = "io.vigia.role"
	labelInstance = "io.vigia.instance"
	// labelSoak marks the stand-ins, so the clean-up finds them all.
	labelSoak = "io.vigia.soak"
)

// standInImage runs the stand-ins: it sleeps and costs nothing.
const standInImage = "vigia/low:latest"

// engine is the harness's view of Docker.
type engine struct {
	api *client.Client
}

func newEngine(ctx context.Context) (*engine, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: docker client: %w", ErrCannotRun, err)
	}
	if _, err := api.Ping(ctx); err != nil {
		api.Close()
		return nil, fmt.Errorf("%w: docker does not answer: %w", ErrCannotRun, err)
	}
	return &engine{api: api}, nil
}

func (e *engine) Close() error { return e.api.Close() }

// checkImages fails, naming the fix, when a workload image is missing.
func (e *engine) checkImages(ctx context.Context) error {
	for _, kind := range []string{"ram", "cpu", "low"} {
		ref := "vigia/" + kind + ":latest"
		if _, err := e.api.ImageInspect(ctx, ref); err != nil {
			if cerrdefs.IsNotFound(err) {
				return fmt.Errorf("%w: image %s is missing: run make images", ErrCannotRun, ref)
			}
			return fmt.Errorf("inspect image %s: %w", ref, err)
		}
	}
	return nil
}

// standInLabels are the labels of each stand-in role. The Grafana stand-in
// also looks like one of the run's own high containers, and the other-instance
// one like a vigia container of another daemon: both must still be left alone.
func standInLabels(role, runID string) map[string]string {
	l := map[string]string{labelSoak: runID}
	switch role {
	case "grafana":
		l[labelRole] = "grafana"
		l[labelManaged] = "true"
		l[labelInstance] = runID
		l[labelClass] = "high"
	case "other-instance":
		l[labelManaged] = "true"
		l[labelInstance] = runID + "-other"
	}
	return l
}

// startStandIn creates and starts one stand-in and returns it as inspected.
func (e *engine) startStandIn(ctx context.Context, role, runID string) (StandIn, error) {
	name := "vigia-soak-" + role + "-" + strings.TrimPrefix(runID, "soak-")
	created, err := e.api.ContainerCreate(ctx, &container.Config{
		Image: standInImage, Labels: standInLabels(role, runID),
	}, &container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	if err != nil {
		return StandIn{}, fmt.Errorf("create stand-in %s: %w", name, err)
	}
	if err := e.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return StandIn{}, fmt.Errorf("start stand-in %s: %w", name, err)
	}
	s, ok, err := e.inspectStandIn(ctx, created.ID)
	if err != nil {
		return StandIn{}, err
	}
	if !ok {
		return StandIn{}, fmt.Errorf("stand-in %s vanished right after it started", name)
	}
	s.Role = role
	return s, nil
}

// startOffender starts a container that breaks its class: vigia/cpu (a busy
// core) labelled as one of the run's low containers, for the daemon's
// patterns to catch (capped with VIGIA_CAPS=true, else removed and replaced).
// It returns the container's id.
func (e *engine) startOffender(ctx context.Context, runID string) (string, error) {
	name := "vigia-soak-offender-" + strings.TrimPrefix(runID, "soak-")
	created, err := e.api.ContainerCreate(ctx, &container.Config{
		Image: "vigia/cpu:latest",
		Labels: map[string]string{labelManaged: "true", labelClass: "low", labelKind: "low",
			labelInstance: runID, labelSoak: runID},
	}, &container.HostConfig{NetworkMode: "none"}, nil, nil, name)
	if err != nil {
		return "", fmt.Errorf("create the offender %s: %w", name, err)
	}
	if err := e.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return "", fmt.Errorf("start the offender %s: %w", name, err)
	}
	return created.ID, nil
}

// inspectStandIn returns the container as Docker sees it; ok is false when it
// is gone.
func (e *engine) inspectStandIn(ctx context.Context, id string) (StandIn, bool, error) {
	info, err := e.api.ContainerInspect(ctx, id)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return StandIn{}, false, nil
		}
		return StandIn{}, false, fmt.Errorf("inspect %.12s: %w", id, err)
	}
	s := StandIn{ID: info.ID, Name: strings.TrimPrefix(info.Name, "/"),
		Restarts: info.RestartCount}
	if info.State != nil {
		s.Running, s.StartedAt = info.State.Running, info.State.StartedAt
	}
	if info.Config != nil {
		s.Labels = info.Config.Labels
	}
	if info.HostConfig != nil {
		s.Limits = Limits{Memory: info.HostConfig.Memory, NanoCPUs: info.HostConfig.NanoCPUs,
			CPUQuota: info.HostConfig.CPUQuota}
	}
	return s, true, nil
}

// runContainers lists the run's vigia containers (io.vigia.instance=runID and
// io.vigia.managed=true), Grafana's stand-in left out, in every state.
func (e *engine) runContainers(ctx context.Context, runID string) ([]RunContainer, error) {
	list, err := e.api.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", labelInstance+"="+runID),
			filters.Arg("label", labelManaged+"=true"))})
	if err != nil {
		return nil, fmt.Errorf("list the run's containers: %w", err)
	}
	out := make([]RunContainer, 0, len(list))
	for _, c := range list {
		if c.Labels[labelRole] == "grafana" {
			continue
		}
		name := ""
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, RunContainer{ID: c.ID, Name: name, Class: c.Labels[labelClass],
			State: string(c.State)})
	}
	return out, nil
}

// limits returns the limits of the containers with the given ids; ids that
// are gone are left out.
func (e *engine) limits(ctx context.Context, ids []string) (map[string]Limits, error) {
	out := map[string]Limits{}
	for _, id := range ids {
		s, ok, err := e.inspectStandIn(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = s.Limits
		}
	}
	return out, nil
}

// cleanup removes every container of the run: the stand-ins, the
// containers labelled with the run's instance (the generator's and the
// daemon's), and the named ones the generator reported (in case a generator
// without instance support started them). It returns how many it removed.
func (e *engine) cleanup(ctx context.Context, runID string, names []string) (int, error) {
	ids := map[string]bool{}
	for _, f := range []filters.Args{
		filters.NewArgs(filters.Arg("label", labelSoak+"="+runID)),
		filters.NewArgs(filters.Arg("label", labelInstance+"="+runID)),
		filters.NewArgs(filters.Arg("label", labelInstance+"="+runID+"-other")),
	} {
		list, err := e.api.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			return 0, fmt.Errorf("clean up: %w", err)
		}
		for _, c := range list {
			ids[c.ID] = true
		}
	}
	for _, n := range names {
		info, err := e.api.ContainerInspect(ctx, n)
		if err == nil && info.Config != nil && info.Config.Labels[labelManaged] == "true" {
			ids[info.ID] = true
		}
	}
	var errs []error
	for id := range ids {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.api.ContainerRemove(rctx, id, container.RemoveOptions{Force: true,
			RemoveVolumes: true})
		cancel()
		if err != nil && !cerrdefs.IsNotFound(err) && !isRemovalInProgress(err) {
			errs = append(errs, fmt.Errorf("remove %.12s: %w", id, err))
		}
	}
	return len(ids), errors.Join(errs...)
}

// unlabelled returns the names, among the generator's, of the containers
// that exist without the run's instance label: the generator did not label
// them, so the run's daemon could not see them as its own.
func (e *engine) unlabelled(ctx context.Context, runID string, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		info, err := e.api.ContainerInspect(ctx, n)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				continue
			}
			return nil, fmt.Errorf("inspect %s: %w", n, err)
		}
		if info.Config == nil || info.Config.Labels[labelInstance] != runID {
			out = append(out, n)
		}
	}
	return out, nil
}

func isRemovalInProgress(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is already in progress")
}
