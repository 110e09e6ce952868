package docker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

const (
	// inspectConcurrency bounds the parallel inspect calls List makes for PIDs.
	inspectConcurrency = 8
	// stateGone marks a container removed between the list and the inspect.
	stateGone = "gone"
)

// List returns every container of the host (running or not) with its labels;
// running ones also carry their main PID and their limits. Containers that vanish while they
// are listed are left out.
func (c *Client) List(ctx context.Context) ([]Container, error) {
	summaries, err := c.api.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", classify(err))
	}
	out := make([]Container, 0, len(summaries))
	for _, s := range summaries {
		out = append(out, c.inInstance(fromSummary(s)))
	}
	if err := c.fillPids(ctx, out); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, ct := range out {
		if ct.State != stateGone {
			kept = append(kept, ct)
		}
	}
	return kept, nil
}

func fromSummary(s container.Summary) Container {
	name := ""
	if len(s.Names) > 0 {
		name = strings.TrimPrefix(s.Names[0], "/")
	}
	labels := s.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return Container{
		ID:      s.ID,
		Name:    name,
		Image:   s.Image,
		State:   string(s.State),
		Created: time.Unix(s.Created, 0),
		Labels:  labels,
	}
}

// fillPids inspects the running containers, a few at a time, for their PIDs.
func (c *Client) fillPids(ctx context.Context, list []Container) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, inspectConcurrency)
	)
	for i := range list {
		if !list[i].Running() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(ct *Container) {
			defer func() { <-sem; wg.Done() }()
			info, err := c.api.ContainerInspect(ctx, ct.ID)
			if err != nil {
				if isNotFound(err) {
					ct.State = stateGone
					return
				}
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("inspect container %s: %w", short(ct.ID), classify(err))
				}
				mu.Unlock()
				return
			}
			if info.State != nil {
				ct.Pid = info.State.Pid
			}
			if info.ContainerJSONBase != nil {
				ct.Limits = limitsOf(info.HostConfig)
			}
		}(&list[i])
	}
	wg.Wait()
	return firstErr
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
