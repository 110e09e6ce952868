package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestManaged(t *testing.T) {
	tests := []struct {
		name     string
		labels   map[string]string
		instance string
		want     bool
	}{
		{"vigia low", map[string]string{LabelManaged: "true", LabelClass: "low"}, "", true},
		{"no labels", nil, "", false},
		{"managed false", map[string]string{LabelManaged: "false"}, "", false},
		{"managed yes", map[string]string{LabelManaged: "yes"}, "", false},
		{"grafana", map[string]string{LabelManaged: "true", LabelRole: RoleGrafana}, "", false},
		{"same instance", map[string]string{LabelManaged: "true", LabelInstance: "t1"}, "t1", true},
		{"other instance", map[string]string{LabelManaged: "true", LabelInstance: "t2"}, "t1", false},
		{"no label, instance set", map[string]string{LabelManaged: "true"}, "t1", false},
		{"label, no instance set", map[string]string{LabelManaged: "true", LabelInstance: "t2"}, "", false},
		{"empty label, no instance set", map[string]string{LabelManaged: "true", LabelInstance: ""}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Client{instance: tc.instance}
			ct := c.inInstance(Container{Labels: tc.labels})
			if got := ct.Managed(); got != tc.want {
				t.Errorf("Managed() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestName(t *testing.T) {
	now := time.Date(2026, 12, 3, 7, 8, 9, 0, time.FixedZone("x", 3600))
	re := regexp.MustCompile(`^vigia-ram-20261203060809-[0-9a-f]{6}$`)
	seen := map[string]bool{}
	for range 50 {
		n, err := Name("ram", now)
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(n) {
			t.Fatalf("Name = %q, want UTC time and 6 hex", n)
		}
		seen[n] = true
	}
	if len(seen) < 45 {
		t.Fatalf("only %d distinct names out of 50", len(seen))
	}
}

func TestForEachBoundsAndOrders(t *testing.T) {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%02d", i)
	}
	var inFlight, peak atomic.Int32
	start := time.Now()
	errs := forEach(context.Background(), ids, 8, time.Second, func(ctx context.Context, id string) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		switch id {
		case "c07":
			return errors.New("refused")
		case "c09":
			panic("boom")
		case "c11":
			<-ctx.Done() // a call that hangs ends at its timeout
			return ctx.Err()
		}
		return nil
	})
	if p := peak.Load(); p > 8 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..8", p)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("50 calls took %v", d)
	}
	for i, err := range errs {
		switch ids[i] {
		case "c07":
			if err == nil || err.Error() != "refused" {
				t.Errorf("c07: %v", err)
			}
		case "c09":
			if err == nil {
				t.Error("c09: panic not turned into an error")
			}
		case "c11":
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("c11: %v, want deadline exceeded", err)
			}
		default:
			if err != nil {
				t.Errorf("%s: %v", ids[i], err)
			}
		}
	}
}

func TestForEachCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := forEach(ctx, []string{"a", "b", "c"}, 1, time.Second, func(ctx context.Context, _ string) error {
		return ctx.Err()
	})
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errs[%d] = %v, want canceled", i, err)
		}
	}
}

func TestClassify(t *testing.T) {
	if err := classify(fmt.Errorf("x: %w", errors.New("unrelated"))); errors.Is(err, ErrUnavailable) {
		t.Error("an unrelated error was classified as unavailable")
	}
	for _, cause := range []error{syscall.ECONNRESET, syscall.EPIPE, io.ErrUnexpectedEOF} {
		if err := classify(fmt.Errorf("read: %w", cause)); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%v not classified as unavailable", cause)
		}
	}
	c, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no.sock")
	dead, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dead.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping of a dead socket: %v, want ErrUnavailable", err)
	}
	if _, err := dead.List(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("List on a dead socket: %v, want ErrUnavailable", err)
	}
}
