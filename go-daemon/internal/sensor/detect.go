package sensor

import "strings"

// Container detection from a cgroup path. The kernel module vigia_continfo
// follows the same rules, so both sensors find the same containers:
//
//   - docker-<id>.scope (systemd driver), or <id> whose parent component is
//     "docker" (cgroupfs driver, /docker/<id>): docker;
//   - cri-containerd-<id>.scope, or <id> anywhere under a kubepods* component:
//     kubernetes;
//   - libpod-<id>.scope, or libpod-<id> under machine.slice: podman
//     (libpod-conmon-<id>.scope is conmon, outside the container);
//
// where <id> is exactly 64 lowercase hex digits. The innermost matching
// component wins, so a container nested in another is found as itself.
// Anything else is a host process: docker.service, containerd.service, a slice
// that merely has "docker" in its name, a process with its own namespaces in a
// host cgroup.
//
// TODO: plain containerd (ctr run, /<namespace>/<id>) is not detected: its
// cgroup path carries a user-chosen id under a namespace name that cannot be
// told from any other directory; it would need the containerd namespaces
// list, which the kernel module cannot have either.

// Detect finds the container of a cgroup path. ok is false for host processes.
func Detect(path string) (id string, rt Runtime, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if id, rt, ok := detectComponent(parts[:i], parts[i]); ok {
			return id, rt, true
		}
	}
	return "", "", false
}

// detectComponent applies the rules to component c whose ancestors are
// parents, outermost first.
func detectComponent(parents []string, c string) (string, Runtime, bool) {
	if id, ok := wrapped(c, "docker-", ".scope"); ok {
		return id, RuntimeDocker, true
	}
	if id, ok := wrapped(c, "cri-containerd-", ".scope"); ok {
		return id, RuntimeKubernetes, true
	}
	if id, ok := wrapped(c, "libpod-", ".scope"); ok {
		return id, RuntimePodman, true
	}
	if id, ok := wrapped(c, "libpod-", ""); ok && hasAncestor(parents, "machine.slice") {
		return id, RuntimePodman, true
	}
	if !isContainerID(c) {
		return "", "", false
	}
	if len(parents) > 0 && parents[len(parents)-1] == "docker" {
		return c, RuntimeDocker, true
	}
	for _, p := range parents {
		if strings.HasPrefix(p, "kubepods") {
			return c, RuntimeKubernetes, true
		}
	}
	return "", "", false
}

// wrapped returns the id in prefix<id>suffix.
func wrapped(c, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(c, prefix) || !strings.HasSuffix(c, suffix) {
		return "", false
	}
	id := c[len(prefix) : len(c)-len(suffix)]
	return id, isContainerID(id)
}

func hasAncestor(parents []string, name string) bool {
	for _, p := range parents {
		if p == name {
			return true
		}
	}
	return false
}

// isContainerID reports whether s is exactly 64 lowercase hex digits.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// DetectCgroupFile finds the container of a process from the contents of its
// /proc/<pid>/cgroup: the unified (v2) path when it matches, else the memory,
// then the cpu, then any other controller's v1 hierarchy, in the file's order.
// Named hierarchies without a controller (name=systemd) are not looked at:
// the kernel module walks the controllers only. path is the cgroup path that
// matched.
func DetectCgroupFile(data []byte) (id string, rt Runtime, path string, ok bool) {
	var unified, memory, cpu string
	var others []string
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-ID:controller-list:cgroup-path; the path may hold ':'.
		fields := strings.SplitN(line, ":", 3)
		if len(fields) != 3 {
			continue
		}
		ctrls, p := fields[1], fields[2]
		switch {
		case fields[0] == "0" && ctrls == "":
			unified = p
		case ctrls == "" || strings.HasPrefix(ctrls, "name="):
		case hasController(ctrls, "memory"):
			memory = p
		case hasController(ctrls, "cpu"):
			cpu = p
		default:
			others = append(others, p)
		}
	}
	for _, p := range append([]string{unified, memory, cpu}, others...) {
		if p == "" {
			continue
		}
		if id, rt, ok := Detect(p); ok {
			return id, rt, p, true
		}
	}
	return "", "", "", false
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
