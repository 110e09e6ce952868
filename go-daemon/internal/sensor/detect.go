package sensor

// Detect finds the container of a cgroup path (rules in the package doc of
// detect.go). The innermost matching component wins. ok is false for host
// processes.
func Detect(path string) (id string, rt Runtime, ok bool) {
	return "", "", false
}

// DetectCgroupFile finds the container of a process from the contents of its
// /proc/<pid>/cgroup: the unified (v2) path when it matches, else the memory,
// then cpu, then any other v1 hierarchy. path is the cgroup path matched.
func DetectCgroupFile(data []byte) (id string, rt Runtime, path string, ok bool) {
	return "", "", "", false
}
