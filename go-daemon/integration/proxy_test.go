//go:build integration

package integration

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
)

// dockerProxy forwards a unix socket to the real engine's, and can be cut and
// restored: to the daemon that is the engine going away and coming back.
type dockerProxy struct {
	t        *testing.T
	path     string
	upstream string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newDockerProxy(t *testing.T, path, upstream string) *dockerProxy {
	p := &dockerProxy{t: t, path: path, upstream: upstream, conns: map[net.Conn]bool{}}
	p.Restore()
	t.Cleanup(p.Cut)
	return p
}

// Restore listens again.
func (p *dockerProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.ln = ln
	go p.serve(ln)
}

// Cut closes the socket and every connection through it.
func (p *dockerProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
		os.Remove(p.path)
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *dockerProxy) serve(ln net.Listener) {
	for {
		down, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Logf("proxy accept: %v", err)
			}
			return
		}
		up, err := net.Dial("unix", p.upstream)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns[down], p.conns[up] = true, true
		p.mu.Unlock()
		go p.pipe(down, up)
		go p.pipe(up, down)
	}
}

func (p *dockerProxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
