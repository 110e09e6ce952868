package daemon

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// composeTimeout bounds each docker-compose call.
const composeTimeout = 2 * time.Minute

// ImageChecker tells whether an image is on the host.
type ImageChecker interface {
	ImageExists(ctx context.Context, ref string) (bool, error)
}

// composeCommand returns docker-compose (v1) or `docker compose` (v2).
func composeCommand() ([]string, error) {
	if p, err := exec.LookPath("docker-compose"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("docker"); err == nil {
		if exec.Command(p, "compose", "version").Run() == nil {
			return []string{p, "compose"}, nil
		}
	}
	return nil, errors.New("neither docker-compose nor the docker compose plugin is installed")
}

// StartGrafana brings up dashboard/docker-compose.yml. It never pulls: when the
// Grafana image is not on the host it says so and returns an error that the
// caller logs as a warning before going on without Grafana.
//
// TODO: test `up` end to end with the real Grafana image; no image can be
// pulled on the build host, so a stand-in docker-compose covers the calls and
// the "image missing" path is the one run for real.
func StartGrafana(ctx context.Context, root, db, addr string, images ImageChecker,
	log *slog.Logger) error {
	file := filepath.Join(root, "dashboard", "docker-compose.yml")
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("start grafana: %w", err)
	}
	compose, err := composeCommand()
	if err != nil {
		return fmt.Errorf("start grafana: %w", err)
	}
	env := append(os.Environ(), "VIGIA_DB_DIR="+filepath.Dir(db),
		"VIGIA_DB_NAME="+filepath.Base(db), "VIGIA_GRAFANA_ADDR="+addr)
	run := func(args ...string) ([]byte, error) {
		cctx, cancel := context.WithTimeout(ctx, composeTimeout)
		defer cancel()
		argv := append(append(compose[1:len(compose):len(compose)], "-f", file), args...)
		cmd := exec.CommandContext(cctx, compose[0], argv...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%s %s: %w: %s", filepath.Base(compose[0]),
				strings.Join(args, " "), err, lastLines(stderr.String(), 3))
		}
		return out, nil
	}
	resolved, err := run("config")
	if err != nil {
		return fmt.Errorf("start grafana: %w", err)
	}
	for _, image := range composeImages(resolved) {
		ok, err := images.ImageExists(ctx, image)
		if err != nil {
			return fmt.Errorf("start grafana: %w", err)
		}
		if !ok {
			return fmt.Errorf("start grafana: image %s is not on this host and vigia does not "+
				"pull (load it with docker load or pull it, then restart vigia)", image)
		}
	}
	if _, err := run("up", "-d", "--no-build"); err != nil {
		return fmt.Errorf("start grafana: %w", err)
	}
	log.Info("grafana started", "addr", addr, "compose_file", file)
	return nil
}

// composeImages returns the image of every service of a resolved compose file
// (the output of `compose config`, normalised YAML).
func composeImages(resolved []byte) []string {
	var images []string
	sc := bufio.NewScanner(bytes.NewReader(resolved))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "image:"); ok {
			images = append(images, strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
	return images
}
