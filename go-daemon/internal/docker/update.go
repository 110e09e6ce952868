package docker

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/container"
)

// Limits are a container's memory and CPU limits; zero means none.
type Limits struct {
	MemoryBytes int64
	// NanoCPUs is the CPU limit in billionths of a CPU (5e8 = half a CPU),
	// whether set as NanoCPUs or as a CFS quota over its period.
	NanoCPUs int64
}

var (
	// ErrCapInvalid means Update was given no limit to apply.
	ErrCapInvalid = errors.New("no limit to apply")
	// ErrGone means the container no longer exists: there is nothing to cap.
	ErrGone = errors.New("container no longer exists")
)

// limitsOf reads the limits in force from a container's host config.
func limitsOf(hc *container.HostConfig) Limits {
	if hc == nil {
		return Limits{}
	}
	l := Limits{MemoryBytes: hc.Memory, NanoCPUs: hc.NanoCPUs}
	if l.NanoCPUs == 0 && hc.CPUQuota > 0 {
		period := hc.CPUPeriod
		if period == 0 {
			period = 100_000 // the kernel's default CFS period, in µs
		}
		l.NanoCPUs = hc.CPUQuota * 1e9 / period
	}
	return l
}

// Update caps a running container's memory and CPU. A memory limit also sets
// the memory+swap limit to the same value (no swap beyond it; the engine
// refuses a memory limit above an older memory+swap one). A CPU limit is set
// as NanoCPUs, or as a CFS quota when the container already has one (the
// engine refuses to mix the two). Like Remove, it re-reads the container's
// labels first and refuses with ErrNotManaged what vigia did not create.
func (c *Client) Update(ctx context.Context, id string, l Limits) error {
	if l.MemoryBytes <= 0 && l.NanoCPUs <= 0 {
		return fmt.Errorf("update container %s: %w", short(id), ErrCapInvalid)
	}
	info, err := c.api.ContainerInspect(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("update container %s: %w", short(id), ErrGone)
		}
		return fmt.Errorf("inspect container %s: %w", short(id), classify(err))
	}
	ct := Container{ID: info.ID, Labels: map[string]string{}}
	if info.Config != nil && info.Config.Labels != nil {
		ct.Labels = info.Config.Labels
	}
	if ct = c.inInstance(ct); !ct.Managed() {
		return fmt.Errorf("update container %s: %w", short(id), ErrNotManaged)
	}
	var res container.Resources
	if l.MemoryBytes > 0 {
		res.Memory, res.MemorySwap = l.MemoryBytes, l.MemoryBytes
	}
	if l.NanoCPUs > 0 {
		hc := info.HostConfig
		if hc != nil && hc.NanoCPUs == 0 && hc.CPUQuota > 0 {
			res.CPUPeriod = hc.CPUPeriod
			if res.CPUPeriod == 0 {
				res.CPUPeriod = 100_000
			}
			res.CPUQuota = l.NanoCPUs * res.CPUPeriod / 1e9
		} else {
			res.NanoCPUs = l.NanoCPUs
		}
	}
	if _, err := c.api.ContainerUpdate(ctx, id, container.UpdateConfig{Resources: res}); err != nil {
		if isNotFound(err) {
			return fmt.Errorf("update container %s: %w", short(id), ErrGone)
		}
		return fmt.Errorf("update container %s: %w", short(id), classify(err))
	}
	return nil
}
