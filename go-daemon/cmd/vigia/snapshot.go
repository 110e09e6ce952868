package main

import (
	"fmt"
	"io"
	"os"

	"vigia/internal/sensor"
)

// cmdSnapshot is `vigia snapshot check FILE...`: each file through the strict
// parser, one line per file, non-zero exit when any is not valid.
func cmdSnapshot(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "check" {
		return fmt.Errorf("%w: vigia snapshot check FILE...", errUsage)
	}
	failed := 0
	for _, file := range args[1:] {
		summary, err := checkSnapshot(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok: %s\n", file, summary)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d snapshot files are not valid", failed, len(args)-1)
	}
	return nil
}

// checkSnapshot parses one file and summarises it.
func checkSnapshot(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, sensor.MaxSnapshotBytes+1))
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	if len(data) > sensor.MaxSnapshotBytes {
		return "", fmt.Errorf("larger than %d bytes", sensor.MaxSnapshotBytes)
	}
	s, err := sensor.Parse(data)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, kernel %s, %d processes, %d containers", s.Kind, s.Kernel,
		len(s.Processes), len(s.Containers)), nil
}
