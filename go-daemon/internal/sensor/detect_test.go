package sensor

import (
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	id := strings.Repeat("0123abcd", 8)
	id2 := strings.Repeat("fedc9876", 8)
	tests := []struct {
		path string
		want string // id, "" for a host process
		rt   Runtime
	}{
		{"/docker/" + id, id, RuntimeDocker},
		{"/docker/" + id + "/", id, RuntimeDocker},
		{"/system.slice/docker-" + id + ".scope", id, RuntimeDocker},
		{"/system.slice/docker-" + id + ".scope/init", id, RuntimeDocker},
		{"/docker/" + id + "/docker/" + id2, id2, RuntimeDocker},
		{"/system.slice/docker-" + id + ".scope/docker/" + id2, id2, RuntimeDocker},
		{"/kubepods/burstable/pod0f/" + id, id, RuntimeKubernetes},
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/" + id, id,
			RuntimeKubernetes},
		{"/kubepods.slice/kubepods-besteffort.slice/cri-containerd-" + id + ".scope", id,
			RuntimeKubernetes},
		{"/machine.slice/libpod-" + id + ".scope", id, RuntimePodman},
		{"/machine.slice/libpod-" + id + ".scope/container", id, RuntimePodman},
		{"/machine.slice/libpod-" + id, id, RuntimePodman},
		// Not containers.
		{"/", "", ""},
		{"", "", ""},
		{"/system.slice/docker.service", "", ""},
		{"/system.slice/containerd.service", "", ""},
		{"/system.slice/docker-cleanup.scope", "", ""},
		{"/docker", "", ""},
		{"/machine.slice/libpod-conmon-" + id + ".scope", "", ""},
		{"/libpod-" + id, "", ""},
		{"/user.slice/" + id, "", ""},
		{"/default/" + id, "", ""}, // plain containerd: see the TODO in detect.go
		{"/docker/" + strings.ToUpper(id), "", ""},
		{"/docker/" + id[:63], "", ""},
		{"/docker/" + id + "0", "", ""},
		{"/docker/" + id[:63] + "g", "", ""},
		{"/system.slice/docker-" + id + ".service", "", ""},
		{"/system.slice/docker-" + id[:12] + ".scope", "", ""},
		{"/mydocker/" + id, "", ""},
		{"/kube/" + id, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, rt, ok := Detect(tt.path)
			if got != tt.want || rt != tt.rt || ok != (tt.want != "") {
				t.Errorf("Detect = %q, %q, %v; want %q, %q", got, rt, ok, tt.want, tt.rt)
			}
		})
	}
}

func TestDetectCgroupFile(t *testing.T) {
	id := strings.Repeat("0123abcd", 8)
	id2 := strings.Repeat("fedc9876", 8)
	tests := []struct {
		name, file string
		want, path string
	}{
		{"v2 only", "0::/system.slice/docker-" + id + ".scope\n", id,
			"/system.slice/docker-" + id + ".scope"},
		{"v1 memory", "4:memory:/docker/" + id + "\n1:cpu,cpuacct:/\n0::/\n", id, "/docker/" + id},
		{"v1 cpu when memory is root", "4:memory:/\n1:cpu,cpuacct:/docker/" + id + "\n", id,
			"/docker/" + id},
		{"v1 other controller", "8:pids:/docker/" + id + "\n4:memory:/\n", id, "/docker/" + id},
		{"named hierarchy is not a controller", "9:name=systemd:/docker/" + id + "\n4:memory:/\n",
			"", ""},
		{"unified wins", "4:memory:/docker/" + id2 + "\n0::/docker/" + id + "\n", id, "/docker/" + id},
		{"memory before cpu", "1:cpu:/docker/" + id2 + "\n4:memory:/docker/" + id + "\n", id,
			"/docker/" + id},
		{"colon in path", "0::/odd:dir/docker/" + id + "\n", id, "/odd:dir/docker/" + id},
		{"host", "4:memory:/user.slice\n0::/user.slice/session-2.scope\n", "", ""},
		{"garbage", "not a cgroup file", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, path, ok := DetectCgroupFile([]byte(tt.file))
			if got != tt.want || path != tt.path || ok != (tt.want != "") {
				t.Errorf("got %q %q %v, want %q %q", got, path, ok, tt.want, tt.path)
			}
		})
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("/docker/" + strings.Repeat("ab", 32))
	f.Add("/machine.slice/libpod-" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, path string) {
		id, rt, ok := Detect(path)
		if ok != (id != "") || ok != (rt != "") {
			t.Fatalf("inconsistent: %q %q %v", id, rt, ok)
		}
		if ok && (!isContainerID(id) || !strings.Contains(path, id)) {
			t.Fatalf("bad id %q from %q", id, path)
		}
	})
}
