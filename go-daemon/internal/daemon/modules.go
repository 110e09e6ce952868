package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"vigia/internal/config"
	"vigia/internal/sensor"
)

// modulesTimeout bounds bash/load-modules.sh, which may build the modules.
const modulesTimeout = 5 * time.Minute

// LoadModules runs bash/load-modules.sh, which builds the kernel modules if
// needed, loads both with the configured id and mode, and checks both /proc
// files. The error carries the script's last lines.
func LoadModules(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if cfg.Root == "" {
		return fmt.Errorf("load kernel modules: install root unknown (set VIGIA_ROOT or --root)")
	}
	script := filepath.Join(cfg.Root, "bash", "load-modules.sh")
	if _, err := os.Stat(script); err != nil {
		return fmt.Errorf("load kernel modules: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, modulesTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), configEnv(cfg)...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line != "" {
			log.Debug("load-modules.sh", "line", line)
		}
	}
	if err != nil {
		return fmt.Errorf("load kernel modules: %s: %w: %s", script, err, lastLines(out.String(), 3))
	}
	return nil
}

// configEnv hands the daemon's effective settings to a script, so flags given
// to the daemon reach it too.
func configEnv(cfg *config.Config) []string {
	return []string{
		"VIGIA_ID=" + cfg.ID,
		fmt.Sprintf("VIGIA_PROC_MODE=%04o", cfg.ProcMode.Perm()),
		"VIGIA_LOG_DIR=" + cfg.LogDir,
		"VIGIA_DB=" + cfg.DB,
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// ChooseSensor loads the kernel modules and returns the kernel source, or,
// when they cannot load and cfg.SensorFallback allows it, the userspace
// source. load is LoadModules outside tests.
func ChooseSensor(ctx context.Context, cfg *config.Config, log *slog.Logger,
	load func(context.Context, *config.Config, *slog.Logger) error) (sensor.Source, string, error) {
	err := load(ctx, cfg, log)
	if err == nil {
		k := sensor.NewKernel(cfg.ContinfoPath(), cfg.SysinfoPath())
		if _, err = k.Read(ctx); err == nil {
			log.Info("kernel modules loaded", "continfo", cfg.ContinfoPath(),
				"sysinfo", cfg.SysinfoPath())
			return k, "kernel", nil
		}
		err = fmt.Errorf("read the modules' /proc files: %w", err)
	}
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	if !cfg.SensorFallback {
		return nil, "", fmt.Errorf("the kernel modules cannot be used on this kernel (%w); "+
			"to watch with the userspace sensor instead, set VIGIA_SENSOR_FALLBACK=true "+
			"or pass --sensor.fallback=true", err)
	}
	log.Warn("the kernel modules cannot be used on this kernel; "+
		"using the userspace sensor (/proc/<pid>) as VIGIA_SENSOR_FALLBACK allows", "err", err)
	return sensor.NewUserspace("/proc"), "userspace", nil
}
