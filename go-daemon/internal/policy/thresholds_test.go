package policy

import (
	"math"
	"strings"
	"testing"
)

func TestThresholdsFor(t *testing.T) {
	const total = 24 << 20 // KiB
	tests := []struct {
		name     string
		host     Host
		bounds   Bounds
		pressure float64
		cause    string
		cpu      float64 // CPUPct in force
		lowMem   float64
	}{
		{"idle host", Host{MemTotalKB: total, MemUsedPct: 40}, Bounds{}, 0, "none", 75, 0.5},
		{"memory at the start of the ramp", Host{MemTotalKB: total, MemUsedPct: 70}, Bounds{},
			0, "none", 75, 0.5},
		{"memory half way", Host{MemTotalKB: total, MemUsedPct: 82.5}, Bounds{},
			0.5, "memory used 82.5%", 56.25, 0.375},
		{"memory full", Host{MemTotalKB: total, MemUsedPct: 99}, Bounds{},
			1, "memory used 99.0%", 37.5, 0.25},
		{"no memory total: used % is not trusted", Host{MemUsedPct: 99}, Bounds{},
			0, "none", 75, 0.5},
		{"psi memory severe", Host{MemTotalKB: total, PSIMemory: f(30)}, Bounds{},
			1, "psi memory 30.0%", 37.5, 0.25},
		{"psi cpu of a busy shared host", Host{MemTotalKB: total, PSICPU: f(75)}, Bounds{},
			0.5, "psi cpu 75.0%", 56.25, 0.375},
		{"the highest pressure wins", Host{MemTotalKB: total, MemUsedPct: 76,
			PSIMemory: f(10), PSICPU: f(60)}, Bounds{}, 0.24, "memory used 76.0%", 66, 0.44},
		{"psi absent is fine", Host{MemTotalKB: total, MemUsedPct: 50}, Bounds{}, 0, "none",
			75, 0.5},
		{"own bounds", Host{MemTotalKB: total}, Bounds{CPUPct: 40, LowMemPct: 2, MinSamples: 3},
			0, "none", 40, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := ThresholdsFor(tt.host, tt.bounds)
			if math.Abs(th.Pressure-tt.pressure) > 1e-9 || th.Cause != tt.cause {
				t.Errorf("pressure %v (%s), want %v (%s)", th.Pressure, th.Cause, tt.pressure,
					tt.cause)
			}
			if math.Abs(th.CPUPct-tt.cpu) > 1e-9 || math.Abs(th.LowMemPct-tt.lowMem) > 1e-9 {
				t.Errorf("cpu %v low mem %v, want %v %v", th.CPUPct, th.LowMemPct, tt.cpu,
					tt.lowMem)
			}
			if th.Factor < MinFactor || th.Factor > 1 {
				t.Errorf("factor %v outside [%v, 1]", th.Factor, MinFactor)
			}
			if s := th.String(); !strings.Contains(s, tt.cause) {
				t.Errorf("%q does not name the cause %q", s, tt.cause)
			}
		})
	}
}

func TestThresholdsStricterUnderPressure(t *testing.T) {
	prev := ThresholdsFor(Host{MemTotalKB: 1 << 20}, Bounds{})
	for used := 60.0; used <= 100; used += 2.5 {
		th := ThresholdsFor(Host{MemTotalKB: 1 << 20, MemUsedPct: used}, Bounds{})
		if th.CPUPct > prev.CPUPct || th.LeakPctPerMin > prev.LeakPctPerMin ||
			th.LowCPUPct > prev.LowCPUPct || th.LowMemPct > prev.LowMemPct {
			t.Fatalf("at %.1f%% used the thresholds loosened: %v after %v", used, th, prev)
		}
		prev = th
	}
	if prev.Factor != MinFactor {
		t.Errorf("full pressure factor %v, want %v", prev.Factor, MinFactor)
	}
}
