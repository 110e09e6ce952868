package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// parsers turn the text of each key into its Config field.
var parsers = map[string]func(*Config, string) error{
	"VIGIA_ID": func(c *Config, v string) error {
		if !idRE.MatchString(v) {
			return errors.New("want 1 to 32 letters, digits or '_'")
		}
		c.ID = v
		return nil
	},
	"VIGIA_PROC_MODE": func(c *Config, v string) error {
		if !modeRE.MatchString(v) {
			return errors.New("want octal permission bits such as 0400")
		}
		m, _ := strconv.ParseUint(v, 8, 32)
		c.ProcMode = os.FileMode(m)
		return nil
	},
	"VIGIA_DB":      func(c *Config, v string) error { return absPath(&c.DB, v) },
	"VIGIA_LOG_DIR": func(c *Config, v string) error { return absPath(&c.LogDir, v) },
	"VIGIA_LOG_LEVEL": func(c *Config, v string) error {
		l, ok := logLevels[v]
		if !ok {
			return errors.New("want debug, info, warn or error")
		}
		c.LogLevel = l
		return nil
	},
	"VIGIA_CRON_FILE": cronFile,
	"VIGIA_CRON_SCHEDULE": func(c *Config, v string) error {
		if f := strings.Fields(v); len(f) != 5 || !scheduleRE.MatchString(v) {
			return errors.New("want five cron fields such as '* * * * *'")
		}
		c.CronSchedule = v
		return nil
	},
	"VIGIA_BATCH": func(c *Config, v string) error { return intIn(&c.Batch, v, 1, 1000) },
	"VIGIA_INTERVAL": func(c *Config, v string) error {
		return durationIn(&c.Interval, v, time.Second, 24*time.Hour)
	},
	"VIGIA_KEEP_LOW":  func(c *Config, v string) error { return intIn(&c.KeepLow, v, 0, 1000) },
	"VIGIA_KEEP_HIGH": func(c *Config, v string) error { return intIn(&c.KeepHigh, v, 0, 1000) },
	"VIGIA_DRY_RUN":   func(c *Config, v string) error { return boolean(&c.DryRun, v) },
	"VIGIA_CAPS":      func(c *Config, v string) error { return boolean(&c.Caps, v) },
	"VIGIA_WINDOW":    func(c *Config, v string) error { return intIn(&c.Window, v, 4, 100) },
	"VIGIA_INSTANCE": func(c *Config, v string) error {
		if !instanceRE.MatchString(v) {
			return errors.New("want at most 64 letters, digits, '_', '.' or '-'")
		}
		c.Instance = v
		return nil
	},
	"VIGIA_SENSOR_FALLBACK": func(c *Config, v string) error {
		return boolean(&c.SensorFallback, v)
	},
	"VIGIA_RETENTION": func(c *Config, v string) error {
		return durationIn(&c.Retention, v, time.Minute, 100*365*24*time.Hour)
	},
	"VIGIA_GRAFANA_ADDR": func(c *Config, v string) error {
		if _, err := hostPort(v); err != nil {
			return err
		}
		c.GrafanaAddr = v
		return nil
	},
	"VIGIA_DEBUG_ADDR": func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		host, err := hostPort(v)
		if err != nil {
			return err
		}
		if host != "127.0.0.1" && host != "::1" && host != "localhost" {
			return errors.New("want a loopback host (127.0.0.1, [::1] or localhost): " +
				"pprof must not be reachable from outside")
		}
		c.DebugAddr = v
		return nil
	},
}

// logLevels are the values of VIGIA_LOG_LEVEL.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo,
	"warn": slog.LevelWarn, "error": slog.LevelError}

var (
	idRE       = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	modeRE     = regexp.MustCompile(`^0?[0-7]{3}$`)
	instanceRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{0,64}$`)
	scheduleRE = regexp.MustCompile(`^[0-9A-Za-z*/,\- ]+$`)
	// cronNameRE is what Debian's cron accepts as a file name in /etc/cron.d:
	// it silently ignores any other, such as one with a dot.
	cronNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// hostPort checks host:port with a port from 1 to 65535 and returns host.
func hostPort(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", errors.New("want host:port such as 127.0.0.1:3000")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", errors.New("want a port from 1 to 65535")
	}
	return host, nil
}

func absPath(dst *string, v string) error {
	if !filepath.IsAbs(v) {
		return errors.New("want an absolute path")
	}
	*dst = filepath.Clean(v)
	return nil
}

func cronFile(c *Config, v string) error {
	if err := absPath(&c.CronFile, v); err != nil {
		return err
	}
	if filepath.Dir(c.CronFile) == "/etc/cron.d" && !cronNameRE.MatchString(filepath.Base(v)) {
		return errors.New("cron ignores a file in /etc/cron.d unless its name is only " +
			"letters, digits, '_' and '-'")
	}
	return nil
}

func intIn(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	*dst = n
	return nil
}

func durationIn(dst *time.Duration, v string, lo, hi time.Duration) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return fmt.Errorf("want a Go duration from %s to %s, such as 20s or 1m", lo, hi)
	}
	*dst = d
	return nil
}

func boolean(dst *bool, v string) error {
	switch v {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return errors.New("want true or false")
	}
	return nil
}
