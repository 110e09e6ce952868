// Package sensor reads the snapshots of vigia's two /proc files (or builds the
// same documents in userspace), parses them strictly, finds the container of a
// process from its cgroup path, and turns two samples into CPU and I/O rates.
//
// The document is modulo-kernel/schema/vigia-proc.v1.schema.json: kind
// "continfo" lists the processes of containers and one entry per container;
// kind "sysinfo" lists every process of the system. Parse refuses anything the
// schema refuses (unknown fields, names in another case, wrong types, missing
// fields, another schema_version, truncated input, invalid container ids),
// and more: a pid or container listed twice, a member name given twice in one
// object, a process whose container has no entry, integers past 64 bits. Its
// errors name the field or item at fault ("processes[3].pid: ..."). Tests hold it to the schema file with a JSON
// Schema validator.
//
// Limitations: a snapshot is best effort, as the kernel's is: processes may
// appear or vanish between two reads, and the CPU time of a process that ended
// between two samples is lost to its container's rate.
package sensor

// SchemaVersion is the only schema_version Parse accepts.
const SchemaVersion = 1

// Kind tells the two documents apart.
type Kind string

// The two kinds of snapshot.
const (
	KindContinfo Kind = "continfo"
	KindSysinfo  Kind = "sysinfo"
)

// Runtime names the container engine a container id was found for.
type Runtime string

// Runtimes vigia detects (see Detect).
const (
	RuntimeDocker     Runtime = "docker"
	RuntimeContainerd Runtime = "containerd"
	RuntimePodman     Runtime = "podman"
	RuntimeKubernetes Runtime = "kubernetes"
)

// Snapshot is one read of a /proc file.
type Snapshot struct {
	SchemaVersion int         `json:"schema_version"`
	Kind          Kind        `json:"kind"`
	Kernel        string      `json:"kernel"`
	TimestampNS   uint64      `json:"timestamp_ns"`
	UptimeNS      uint64      `json:"uptime_ns"`
	CPUs          int         `json:"cpus"`
	Memory        Memory      `json:"memory"`
	Processes     []Process   `json:"processes"`
	Containers    []Container `json:"containers,omitzero"` // continfo only, never nil there
}

// Memory is the host's memory at the sample.
type Memory struct {
	TotalKB     uint64  `json:"total_kb"`
	FreeKB      uint64  `json:"free_kb"`
	AvailableKB uint64  `json:"available_kb"`
	UsedKB      uint64  `json:"used_kb"`
	UsedPct     float64 `json:"used_pct"`
}

// Process is one thread group.
type Process struct {
	PID              int     `json:"pid"`
	PPID             int     `json:"ppid"`
	Name             string  `json:"name"`
	Cmdline          string  `json:"cmdline"`
	CmdlineTruncated bool    `json:"cmdline_truncated"`
	State            string  `json:"state,omitempty"`        // sysinfo only
	ContainerID      string  `json:"container_id,omitempty"` // continfo only
	Cgroup           string  `json:"cgroup,omitempty"`       // continfo only
	UID              uint32  `json:"uid"`
	Threads          int     `json:"threads"`
	VszKB            uint64  `json:"vsz_kb"`
	RssKB            uint64  `json:"rss_kb"`
	MemPct           float64 `json:"mem_pct"`
	CPUPct           float64 `json:"cpu_pct"` // over the process's whole life
	CPUTimeNS        uint64  `json:"cpu_time_ns"`
	StartTimeNS      uint64  `json:"start_time_ns"`
	IOReadBytes      uint64  `json:"io_read_bytes"`
	IOWriteBytes     uint64  `json:"io_write_bytes"`
}

// Container is the sums of the processes of one container (continfo only).
type Container struct {
	ID           string  `json:"id"`
	Runtime      Runtime `json:"runtime"`
	Processes    int     `json:"processes"`
	VszKB        uint64  `json:"vsz_kb"`
	RssKB        uint64  `json:"rss_kb"`
	MemPct       float64 `json:"mem_pct"`
	CPUPct       float64 `json:"cpu_pct"` // sum of the processes' lifetime cpu_pct
	CPUTimeNS    uint64  `json:"cpu_time_ns"`
	IOReadBytes  uint64  `json:"io_read_bytes"`
	IOWriteBytes uint64  `json:"io_write_bytes"`
}

// add counts process p into the sums of c; MemPct is left to the caller,
// which knows the host's memory.
func (c *Container) add(p Process) {
	c.Processes++
	c.VszKB += p.VszKB
	c.RssKB += p.RssKB
	c.CPUPct += p.CPUPct
	c.CPUTimeNS += p.CPUTimeNS
	c.IOReadBytes += p.IOReadBytes
	c.IOWriteBytes += p.IOWriteBytes
}
