// Package docker is vigia's only way to talk to the Docker engine: it lists
// containers with their vigia labels and main PID, stops and removes vigia's own
// containers (concurrently, with a bound and a timeout each) and starts new
// ones of a class. It uses the Docker Engine SDK and negotiates the API version,
// so it works with engines as old as 20.10 (API 1.41).
//
// Every destructive call checks the container's labels again right before it
// acts: a container without io.vigia.managed=true, or one carrying
// io.vigia.role=grafana, is refused with ErrNotManaged whatever the caller asked.
//
// Limitations: the client follows DOCKER_HOST and the other DOCKER_* variables
// (client.FromEnv); TLS to a remote engine works but is not tested.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/docker/docker/client"
)

// The labels of the vigia contract (see the repository's README).
const (
	LabelManaged  = "io.vigia.managed"
	LabelClass    = "io.vigia.class"
	LabelKind     = "io.vigia.kind"
	LabelRole     = "io.vigia.role"
	LabelInstance = "io.vigia.instance"
	RoleGrafana   = "grafana"
)

var (
	// ErrUnavailable means the engine could not be reached; the caller should
	// try again later.
	ErrUnavailable = errors.New("docker engine unreachable")
	// ErrNotManaged means the container is not vigia's to touch.
	ErrNotManaged = errors.New("container is not managed by vigia")
	// ErrImageMissing means the workload image of a kind is not on the host.
	ErrImageMissing = errors.New("image not found (run make images)")
)

// Container is what vigia needs to know about one Docker container.
type Container struct {
	ID      string // full 64 hex
	Name    string // without the leading '/'
	Image   string
	State   string // created, running, exited, ...
	Pid     int    // main process in the host PID namespace; 0 when not running
	Created time.Time
	Labels  map[string]string
	Limits  Limits // memory and CPU limits in force; read for running containers

	// otherInstance is set by a Client limited to one instance for vigia
	// containers of another: they are treated as foreign.
	otherInstance bool
}

// Running reports whether the container's process is alive.
func (c Container) Running() bool { return c.State == "running" }

// Managed reports whether vigia created the container (and may act on it).
func (c Container) Managed() bool {
	return c.Labels[LabelManaged] == "true" && !c.Grafana() && !c.otherInstance
}

// Grafana reports whether the container is vigia's Grafana, never touched.
func (c Container) Grafana() bool { return c.Labels[LabelRole] == RoleGrafana }

// Class is the io.vigia.class label: "low", "high" or "" when absent.
func (c Container) Class() string { return c.Labels[LabelClass] }

// Kind is the io.vigia.kind label: "ram", "cpu", "low" or "" when absent.
func (c Container) Kind() string { return c.Labels[LabelKind] }

// Client wraps the SDK client with vigia's rules.
type Client struct {
	api         *client.Client
	stopTimeout time.Duration
	instance    string
}

// New returns a client configured from the environment (DOCKER_HOST ...) that
// negotiates the API version with the engine on first use. It does not
// connect: call Ping to check the engine is there.
//
// The instance partitions vigia's containers: a client owns only those whose
// io.vigia.instance label equals its instance, an absent label counting as "".
// The default daemon (instance "") therefore never touches the containers of a
// test run or soak that set one, and the containers Start creates carry the
// label when it is not empty.
func New(instance string) (*Client, error) {
	api, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("create docker client: %w", err)
	}
	return &Client{api: api, stopTimeout: 5 * time.Second, instance: instance}, nil
}

// inInstance applies the client's instance to a container read from the engine.
func (c *Client) inInstance(ct Container) Container {
	ct.otherInstance = ct.Labels[LabelInstance] != c.instance
	return ct
}

// Close releases the client's idle connections.
func (c *Client) Close() error { return c.api.Close() }

// Ping checks that the engine answers.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx); err != nil {
		return fmt.Errorf("ping docker: %w", classify(err))
	}
	return nil
}

// classify marks connection failures with ErrUnavailable so callers can tell
// "Docker is down" (Warn, retry next tick) from "Docker refused" (Error).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var netErr net.Error
	switch {
	case client.IsErrConnectionFailed(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
