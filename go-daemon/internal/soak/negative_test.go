//go:build soak

package soak

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSoakCatchesABrokenDaemon is the soak's negative control: the real
// daemon, told to keep one high container while the checks expect two (what a
// policy that miscounts would do), must fail the counts check, and the
// clean-up must still leave nothing behind. Run by the soak suite after the
// real soak: go test -tags soak -run TestSoakCatches ./internal/soak/
// (VIGIA_SOAK_BIN: the vigia binary, default ../../bin/vigia; VIGIA_ROOT: the
// repository root, default ../../..).
func TestSoakCatchesABrokenDaemon(t *testing.T) {
	bin := os.Getenv("VIGIA_SOAK_BIN")
	if bin == "" {
		bin = "../../bin/vigia"
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	root := os.Getenv("VIGIA_ROOT")
	if root == "" {
		root = "../../.."
	}
	root, err = filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{
		Duration: 30 * time.Second, Tick: 2 * time.Second, GeneratorEvery: 10 * time.Second,
		Batch: 4, Root: root, Bin: bin, Dir: t.TempDir(),
		Settings: []string{"VIGIA_KEEP_HIGH=1"},
	})
	if err != nil {
		t.Fatalf("the run itself failed: %v", err)
	}
	failed := map[string]int{}
	for _, c := range res.Failed() {
		failed[c.Name]++
	}
	if failed["counts"] == 0 {
		t.Errorf("counts never failed with a daemon keeping 1 high of 2; failed: %v", failed)
	}
	for _, name := range []string{"standins", "standins_final", "cleanup", "daemon_exit",
		"cron_removed", "tick_ok", "cron_present", "generator_labels"} {
		if failed[name] > 0 {
			t.Errorf("%s failed too, but the broken count should be the only fault: %v",
				name, failed)
		}
	}
	if res.Meta["verdict"] != "fail" {
		t.Errorf("verdict %q, want fail", res.Meta["verdict"])
	}
	for _, c := range res.Checks {
		if c.Name == "counts" && c.Status == Fail && !strings.Contains(c.Detail, "high 1/2") &&
			!strings.Contains(c.Detail, "high 1 >= 2") {
			t.Errorf("counts detail %q does not name the short class", c.Detail)
		}
	}
}
