package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// Remove stops the container (SIGTERM, then SIGKILL after the stop timeout)
// and removes it with its anonymous volumes. It re-reads the container's
// labels first and refuses, with ErrNotManaged, anything vigia did not create
// and its Grafana. A container already gone counts as removed.
func (c *Client) Remove(ctx context.Context, id string) error {
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("inspect container %s: %w", short(id), classify(err))
	}
	ct := Container{ID: info.ID, Labels: map[string]string{}}
	if info.Config != nil && info.Config.Labels != nil {
		ct.Labels = info.Config.Labels
	}
	ct = c.inInstance(ct)
	if !ct.Managed() {
		return fmt.Errorf("remove container %s: %w", short(id), ErrNotManaged)
	}
	secs := int(c.stopTimeout / time.Second)
	if err := c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &secs}); err != nil &&
		!isNotFound(err) {
		return fmt.Errorf("stop container %s: %w", short(id), classify(err))
	}
	err = c.api.ContainerRemove(ctx, id, container.RemoveOptions{RemoveVolumes: true, Force: true})
	if err != nil && !isNotFound(err) && !isRemovalInProgress(err) {
		return fmt.Errorf("remove container %s: %w", short(id), classify(err))
	}
	return nil
}

// RemoveAll removes the containers with at most limit calls in flight, each
// bounded by timeout. The i-th error belongs to ids[i] (nil when it worked).
func (c *Client) RemoveAll(ctx context.Context, ids []string, limit int,
	timeout time.Duration) []error {
	return forEach(ctx, ids, limit, timeout, c.Remove)
}

// forEach runs fn over ids, at most limit at a time, each under its own
// timeout, and collects the errors in order.
func forEach(ctx context.Context, ids []string, limit int, timeout time.Duration,
	fn func(context.Context, string) error) []error {
	if limit < 1 {
		limit = 1
	}
	errs := make([]error, len(ids))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("remove container %s: %w", short(id), ctx.Err())
				return
			}
			defer func() { <-sem }()
			// A panic here would end the process without the daemon's
			// clean-up (its cron entry): turn it into this call's error.
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("container %s: panic: %v", short(id), r)
				}
			}()
			opCtx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			errs[i] = fn(opCtx, id)
		}()
	}
	wg.Wait()
	return errs
}

// Spec describes a container to start.
type Spec struct {
	Class string // "low" or "high"
	Kind  string // "ram", "cpu" or "low"
	Now   time.Time
}

// Image is the workload image of a kind.
func Image(kind string) string { return "vigia/" + kind + ":latest" }

// Name returns vigia-<kind>-<UTC yyyymmddHHMMSS>-<6 hex>.
func Name(kind string, now time.Time) (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random name suffix: %w", err)
	}
	return fmt.Sprintf("vigia-%s-%s-%s", kind, now.UTC().Format("20060102150405"),
		hex.EncodeToString(b[:])), nil
}

// cleanupTimeout bounds the removal of a container that was created but did
// not start.
const cleanupTimeout = 10 * time.Second

// Start creates and starts a container of the spec's class and kind from the
// kind's workload image, with vigia's labels and no network. A container that
// was created but failed to start is removed again. On error the returned
// Container still carries the name (and the id, once created), so the failed
// action can be recorded against it.
func (c *Client) Start(ctx context.Context, s Spec) (Container, error) {
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	name, err := Name(s.Kind, s.Now)
	if err != nil {
		return Container{}, err
	}
	labels := map[string]string{LabelManaged: "true", LabelClass: s.Class, LabelKind: s.Kind}
	if c.instance != "" {
		labels[LabelInstance] = c.instance
	}
	cfg := &container.Config{Image: Image(s.Kind), Labels: labels}
	host := &container.HostConfig{NetworkMode: network.NetworkNone}
	created, err := c.api.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		if isNotFound(err) {
			return Container{Name: name}, fmt.Errorf("create %s from %s: %w", name,
				cfg.Image, ErrImageMissing)
		}
		return Container{Name: name}, fmt.Errorf("create container %s: %w", name, classify(err))
	}
	if err := c.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		// The start may have failed because ctx ran out: the clean-up gets
		// its own short deadline so it neither inherits that nor hangs.
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		rmErr := c.api.ContainerRemove(rmCtx, created.ID, container.RemoveOptions{Force: true})
		return Container{ID: created.ID, Name: name}, errors.Join(
			fmt.Errorf("start container %s: %w", name, classify(err)), rmErr)
	}
	return Container{ID: created.ID, Name: name, Image: cfg.Image, State: "running",
		Created: s.Now, Labels: labels}, nil
}

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

func isRemovalInProgress(err error) bool {
	return cerrdefs.IsConflict(err)
}

// ImageExists reports whether the image is on the host.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	if _, err := c.api.ImageInspect(ctx, ref); err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("inspect image %s: %w", ref, classify(err))
	}
	return true, nil
}
