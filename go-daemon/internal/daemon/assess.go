package daemon

import (
	"vigia/internal/docker"
	"vigia/internal/policy"
	"vigia/internal/sensor"
	"vigia/internal/store"
)

// Store classes of containers that are not one of vigia's low or high.
const (
	classGrafana = "grafana"
	classForeign = "foreign"
)

// storeClass is the class column of container_samples and actions.
func storeClass(ct docker.Container, known bool) string {
	switch {
	case !known:
		return classForeign
	case ct.Grafana():
		return classGrafana
	case ct.Managed() && (ct.Class() == policy.ClassLow || ct.Class() == policy.ClassHigh):
		return ct.Class()
	}
	return classForeign
}

// PolicyInput joins the sensor's view of the containers with Docker's: every
// running container Docker lists becomes a policy.Container, with figures when
// the sensor sampled it. pending gives the action taken on a container that
// has not been sampled since.
func PolicyInput(u sensor.Usage, list []docker.Container, pending map[string]policy.Action,
	targets policy.Targets) policy.Input {
	byID := make(map[string]*sensor.ContainerUsage, len(u.Containers))
	for i := range u.Containers {
		byID[u.Containers[i].ID] = &u.Containers[i]
	}
	in := policy.Input{Targets: targets, CPUs: max(u.CPUs, 1)}
	for _, ct := range list {
		if !ct.Running() {
			continue
		}
		pc := policy.Container{
			ID: ct.ID, Name: ct.Name, Class: ct.Class(), Kind: ct.Kind(),
			Managed: ct.Managed(), Grafana: ct.Grafana(), Created: ct.Created,
			Pending: pending[ct.ID],
			Limits: policy.Limits{MemoryBytes: ct.Limits.MemoryBytes,
				CPUs: float64(ct.Limits.NanoCPUs) / 1e9},
		}
		if cu, ok := byID[ct.ID]; ok {
			pc.Sampled = true
			pc.CPUPct = cu.CPUPct
			pc.CPULifetimePct = cu.CPULifetimePct
			pc.MemPct = cu.MemPct
			pc.RssKB = cu.RssKB
			pc.IOBytesPerSec = cu.IOBytesPerSec
		}
		in.Containers = append(in.Containers, pc)
	}
	return in
}

// containerSamples turns the sensor's containers into rows, named and
// classified with what Docker last said about them.
func containerSamples(u sensor.Usage, known map[string]docker.Container) []store.ContainerSample {
	out := make([]store.ContainerSample, 0, len(u.Containers))
	for _, cu := range u.Containers {
		ct, ok := known[cu.ID]
		pid := cu.PID
		if ok && ct.Pid > 0 {
			pid = ct.Pid
		}
		out = append(out, store.ContainerSample{
			ContainerID: cu.ID, Name: ct.Name, Class: storeClass(ct, ok), Kind: ct.Kind(),
			PID: pid, Processes: cu.Processes, VszKB: cu.VszKB, RssKB: cu.RssKB,
			MemPct: cu.MemPct, CPUPct: cu.CPUPct,
			IOReadBytes: cu.IOReadBytes, IOWriteBytes: cu.IOWriteBytes,
		})
	}
	return out
}

func processSamples(u sensor.Usage) []store.ProcessSample {
	out := make([]store.ProcessSample, 0, len(u.Processes))
	for _, p := range u.Processes {
		out = append(out, store.ProcessSample{
			PID: p.PID, PPID: p.PPID, Name: p.Name, Cmdline: p.Cmdline, State: p.State,
			ContainerID: p.ContainerID, Threads: p.Threads, VszKB: p.VszKB, RssKB: p.RssKB,
			MemPct: p.MemPct, CPUPct: p.CPUPct,
		})
	}
	return out
}

func memorySample(m sensor.Memory) *store.MemorySample {
	return &store.MemorySample{TotalKB: m.TotalKB, FreeKB: m.FreeKB,
		AvailableKB: m.AvailableKB, UsedKB: m.UsedKB, UsedPct: m.UsedPct}
}

// running counts vigia's running containers per class.
func running(list []docker.Container) (low, high int) {
	for _, ct := range list {
		if !ct.Running() || !ct.Managed() {
			continue
		}
		switch ct.Class() {
		case policy.ClassLow:
			low++
		case policy.ClassHigh:
			high++
		}
	}
	return low, high
}
