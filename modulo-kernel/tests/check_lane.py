#!/usr/bin/python3
"""Checks what the VM lane's guest script (guest/lane.sh) left in RESULTS.

Every snapshot must parse strictly and match the schema; the values must agree
with /proc/<pid>/{stat,status,cgroup,comm,cmdline,io} captured just before and
just after the read in the same guest; container detection must be exact; the
concurrent readers, the load/unload cycles and the leak check must have
passed; dmesg must be clean. Prints one line per failed check and exits 1 if
any failed.
"""
import argparse
import codecs
import json
import os
import re
import subprocess
import sys

import jsonschema

CMDLINE_MAX = 4096
USER_HZ_NS = 10_000_000
DMESG_BAD = re.compile(
    r"WARNING:|BUG:|Oops|sleeping function called|Voluntary context switch"
    r"|kmemleak|memory leak|general protection|RCU stall|self-detected stall"
    r"|Call Trace|refcount_t:|list_del corruption|UBSAN|KASAN")
LEAK_OBJECTS = 400      # per slab cache, over 1,000 reads
LEAK_VMALLOC_KB = 4096


def _bytes_as_latin1(err):
    """Each byte outside well-formed UTF-8 becomes U+00XX, as the modules write it."""
    return "".join(chr(b) for b in err.object[err.start:err.end]), err.end


codecs.register_error("vigia", _bytes_as_latin1)


def module_text(raw):
    return raw.decode("utf-8", "vigia")


def pct100(part, whole):
    """The modules' integer percentage times 100 (vigia_pct100)."""
    if whole == 0:
        return 0
    while part > (2**64 - 1) // 10000:
        part >>= 1
        whole >>= 1
    return part * 10000 // max(whole, 1)


def as_pct100(value):
    return round(value * 100)


class Checker:
    def __init__(self, results, schema):
        self.dir = results
        self.failures = []
        self.validator = jsonschema.Draft202012Validator(schema)

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL:", msg)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def read(self, *parts, mode="r"):
        with open(self.path(*parts), mode) as f:
            return f.read()

    # ---- parsing ----
    def load_json(self, name):
        def no_dupes(pairs):
            keys = [k for k, _ in pairs]
            if len(keys) != len(set(keys)):
                raise ValueError("duplicate key in %s" % keys)
            return dict(pairs)

        def no_constants(c):
            raise ValueError("non-standard constant %s" % c)

        raw = self.read(name, mode="rb")
        try:
            text = raw.decode("utf-8")
            doc = json.loads(text, object_pairs_hook=no_dupes,
                             parse_constant=no_constants)
        except (UnicodeDecodeError, ValueError) as e:
            self.fail("%s: does not parse strictly: %s" % (name, e))
            return None
        if not text.endswith("}\n"):
            self.fail("%s: does not end with a newline after the object" % name)
        errors = sorted(self.validator.iter_errors(doc), key=str)
        for e in errors[:5]:
            self.fail("%s: schema: %s at %s" % (name, e.message, list(e.path)))
        return None if errors else doc

    # ---- /proc captures ----
    def proc(self, phase, pid, what):
        p = self.path(phase, "%d.%s" % (pid, what))
        if not os.path.exists(p):
            return None
        with open(p, "rb") as f:
            return f.read()

    def pids(self, phase):
        return {int(n.split(".")[0]) for n in os.listdir(self.path(phase))
                if n.endswith(".stat") and os.path.getsize(self.path(phase, n))}

    @staticmethod
    def stat_fields(raw):
        text = raw.decode("latin-1")
        rest = text[text.rindex(")") + 2:].split()
        return rest  # rest[0] is field 3 (state)

    @staticmethod
    def status_field(raw, key):
        for line in raw.decode("latin-1").splitlines():
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].split()
        return None

    def stable(self):
        """Pids alive before and after the reads, with the same start time."""
        out = set()
        for pid in self.pids("proc-pre") & self.pids("proc-post"):
            a, b = self.proc("proc-pre", pid, "stat"), self.proc("proc-post", pid, "stat")
            if a and b and self.stat_fields(a)[19] == self.stat_fields(b)[19]:
                out.add(pid)
        return out

    # ---- document checks ----
    def check_header(self, name, doc, kind):
        if doc["kind"] != kind:
            self.fail("%s: kind %r, want %r" % (name, doc["kind"], kind))
        if doc["kernel"] != self.read("kernel.txt").strip():
            self.fail("%s: kernel %r is not uname -r" % (name, doc["kernel"]))
        mem = doc["memory"]
        meminfo = dict(re.findall(r"^(\w+):\s+(\d+)", self.read("meminfo"), re.M))
        if name in ("continfo.json", "sysinfo.json") and \
                mem["total_kb"] != int(meminfo["MemTotal"]):
            self.fail("%s: total_kb %d, MemTotal %s" % (name, mem["total_kb"], meminfo["MemTotal"]))
        if mem["used_kb"] != mem["total_kb"] - mem["available_kb"]:
            self.fail("%s: used_kb is not total_kb - available_kb" % name)
        if as_pct100(mem["used_pct"]) != pct100(mem["used_kb"], mem["total_kb"]):
            self.fail("%s: used_pct %s is not used/total" % (name, mem["used_pct"]))
        pids = [p["pid"] for p in doc["processes"]]
        if pids != sorted(set(pids)):
            self.fail("%s: processes are not sorted by pid without repeats" % name)
        for p in doc["processes"]:
            self.check_pcts(name, doc, p)

    def check_pcts(self, name, doc, p):
        total = doc["memory"]["total_kb"]
        if as_pct100(p["mem_pct"]) != pct100(p["rss_kb"], total):
            self.fail("%s: pid %d mem_pct %s" % (name, p["pid"], p["mem_pct"]))
        alive = max(doc["uptime_ns"] - p["start_time_ns"], 0)
        if as_pct100(p["cpu_pct"]) != pct100(p["cpu_time_ns"], alive):
            self.fail("%s: pid %d cpu_pct %s" % (name, p["pid"], p["cpu_pct"]))

    def expected_cmdline(self, raw):
        truncated = len(raw) > CMDLINE_MAX
        raw = raw[:CMDLINE_MAX]
        if not truncated and raw.endswith(b"\0"):
            raw = raw[:-1]
        return module_text(raw.replace(b"\0", b" ")), truncated

    def check_process(self, name, p):
        pid = p["pid"]
        pre = {w: self.proc("proc-pre", pid, w) for w in
               ("stat", "status", "comm", "cmdline", "io")}
        post = {w: self.proc("proc-post", pid, w) for w in ("stat", "status", "cmdline", "io")}
        comm = module_text(pre["comm"][:-1]) if pre["comm"] is not None else None
        # /proc/<pid>/comm of a workqueue worker appends what it works on.
        kworker = comm is not None and p["ppid"] in (0, 2) and comm.startswith(p["name"])
        if comm is not None and p["name"] != comm and not kworker:
            self.fail("%s: pid %d name %r, comm %r" % (name, pid, p["name"], pre["comm"]))
        if pre["cmdline"] is not None and pre["cmdline"] == post["cmdline"]:
            want, trunc = self.expected_cmdline(pre["cmdline"])
            if p["cmdline"] != want or p["cmdline_truncated"] != trunc:
                self.fail("%s: pid %d cmdline %r (truncated %s), want %r (%s)" % (
                    name, pid, p["cmdline"][:80], p["cmdline_truncated"], want[:80], trunc))
        st = pre["status"]
        for key, field, idx in (("ppid", "PPid", 0), ("uid", "Uid", 0), ("threads", "Threads", 0)):
            got = self.status_field(st, field)
            if got is not None and int(got[idx]) != p[key] and \
                    self.status_field(post["status"], field) == got:
                self.fail("%s: pid %d %s %d, status %s" % (name, pid, key, p[key], got[idx]))
        a, b = self.stat_fields(pre["stat"]), self.stat_fields(post["stat"])
        lo = (int(a[11]) + int(a[12]) - 2) * USER_HZ_NS
        hi = (int(b[11]) + int(b[12]) + 2) * USER_HZ_NS
        if not lo <= p["cpu_time_ns"] <= hi:
            self.fail("%s: pid %d cpu_time_ns %d outside [%d, %d]" % (name, pid, p["cpu_time_ns"], lo, hi))
        if abs(p["start_time_ns"] // USER_HZ_NS - int(a[19])) > 1:
            self.fail("%s: pid %d start_time_ns %d, stat starttime %s" % (name, pid, p["start_time_ns"], a[19]))
        if pre["io"] and post["io"]:
            for key, field in (("io_read_bytes", "read_bytes"), ("io_write_bytes", "write_bytes")):
                x = int(re.search(rb"^%s: (\d+)" % field.encode(), pre["io"], re.M).group(1))
                y = int(re.search(rb"^%s: (\d+)" % field.encode(), post["io"], re.M).group(1))
                if not x <= p[key] <= y:
                    self.fail("%s: pid %d %s %d outside [%d, %d]" % (name, pid, key, p[key], x, y))
        if pre["cmdline"] and pre["cmdline"].startswith(b"vigia-hold\0"):
            self.check_holder(name, p, a, pre["status"])

    def check_holder(self, name, p, stat, status):
        """Our idle holders: exact state and VSZ, RSS within a tolerance."""
        pid = p["pid"]
        if "state" in p and p["state"] != stat[0]:
            self.fail("%s: pid %d state %s, stat %s" % (name, pid, p["state"], stat[0]))
        vsz = self.status_field(status, "VmSize")
        if vsz and int(vsz[0]) != p["vsz_kb"]:
            self.fail("%s: pid %d vsz_kb %d, VmSize %s" % (name, pid, p["vsz_kb"], vsz[0]))
        rss = self.status_field(status, "VmRSS")
        if rss and abs(int(rss[0]) - p["rss_kb"]) > max(64, int(rss[0]) // 20):
            self.fail("%s: pid %d rss_kb %d, VmRSS %s" % (name, pid, p["rss_kb"], rss[0]))

    def readers(self):
        return {int(x) for x in self.read("continfo.json.pid").split()} | \
               {int(x) for x in self.read("sysinfo.json.pid").split()}

    def check_sysinfo(self, doc, stable):
        got = {p["pid"]: p for p in doc["processes"]}
        missing = stable - set(got)
        if missing:
            self.fail("sysinfo.json: stable pids missing: %s" % sorted(missing)[:20])
        known = self.pids("proc-pre") | self.pids("proc-post") | self.readers()
        # Kernel workers come and go on their own between the two captures.
        extra = {pid for pid in set(got) - known if got[pid]["ppid"] != 2}
        if extra:
            self.fail("sysinfo.json: pids never seen in /proc: %s" % sorted(extra)[:20])
        for pid in sorted(stable & set(got)):
            self.check_process("sysinfo.json", got[pid])
        return len(stable & set(got))

    def expected(self):
        rows = {}
        for line in self.read("expected.tsv").splitlines():
            pid, cid, cgroup, runtime = line.split("\t")
            rows[int(pid)] = (cid, cgroup, runtime)
        return rows

    def check_continfo(self, doc, stable):
        want = self.expected()
        got = {p["pid"]: p for p in doc["processes"]}
        n_containers = sum(1 for v in want.values() if v[0] != "-")
        if n_containers < 15 or len(want) - n_containers < 10:
            self.fail("expected.tsv: too few cases (%d container, %d decoy pids)" % (
                n_containers, len(want) - n_containers))
        for pid, (cid, cgroup, _) in sorted(want.items()):
            if pid not in stable:
                self.fail("continfo.json: test process %d did not stay up" % pid)
            elif cid == "-" and pid in got:
                self.fail("continfo.json: decoy pid %d (%s) reported as %s" % (pid, cgroup, got[pid]["container_id"]))
            elif cid != "-" and pid not in got:
                self.fail("continfo.json: pid %d of container %s (%s) missing" % (pid, cid[:12], cgroup))
            elif cid != "-" and (got[pid]["container_id"], got[pid]["cgroup"]) != (cid, cgroup):
                self.fail("continfo.json: pid %d is %s in %s, want %s in %s" % (
                    pid, got[pid]["container_id"][:12], got[pid]["cgroup"], cid[:12], cgroup))
        extra = set(got) - {p for p, v in want.items() if v[0] != "-"}
        if extra:
            self.fail("continfo.json: pids not in any test container: %s" % sorted(extra))
        for pid in sorted(stable & set(got)):
            self.check_process("continfo.json", got[pid])
        self.check_totals(doc, {v[0]: v[2] for v in want.values() if v[0] != "-"})
        return len(got)

    def check_totals(self, doc, runtimes):
        ids = [c["id"] for c in doc["containers"]]
        if ids != sorted(set(ids)):
            self.fail("continfo.json: containers not sorted by id without repeats")
        if set(ids) != set(runtimes):
            self.fail("continfo.json: containers %s, want %s" % (sorted(ids), sorted(runtimes)))
        total_kb = doc["memory"]["total_kb"]
        for c in doc["containers"]:
            procs = [p for p in doc["processes"] if p["container_id"] == c["id"]]
            sums = {k: sum(p[k] for p in procs) for k in
                    ("vsz_kb", "rss_kb", "cpu_time_ns", "io_read_bytes", "io_write_bytes")}
            sums["processes"] = len(procs)
            for k, v in sums.items():
                if c[k] != v:
                    self.fail("continfo.json: container %s %s %d, processes sum to %d" % (c["id"][:12], k, c[k], v))
            if as_pct100(c["cpu_pct"]) != sum(as_pct100(p["cpu_pct"]) for p in procs):
                self.fail("continfo.json: container %s cpu_pct" % c["id"][:12])
            if as_pct100(c["mem_pct"]) != pct100(c["rss_kb"], total_kb):
                self.fail("continfo.json: container %s mem_pct" % c["id"][:12])
            if c["id"] in runtimes and c["runtime"] != runtimes[c["id"]]:
                self.fail("continfo.json: container %s runtime %s, want %s" % (
                    c["id"][:12], c["runtime"], runtimes[c["id"]]))

    # ---- the other phases ----
    def check_readers(self):
        lines = self.read("readers.txt").splitlines()
        readers = [l for l in lines if l.startswith("reader ")]
        if len(readers) != 4:
            self.fail("readers.txt: %d readers reported, want 4" % len(readers))
        for line in readers:
            ok, total = line.split()[-1].split("/")
            if int(total) != 200:
                self.fail("reader did %s reads, want 200" % total)
            if ok != total or int(total) < 1:
                self.fail("concurrent reads failed: %s" % line)
        if not any(l.startswith("churn rounds ") and int(l.split()[2]) >= 1 for l in lines):
            self.fail("readers.txt: no churn round completed while reading")
        for n in range(1, 5):
            doc = self.load_json("read%d.json" % n)
            if doc:
                self.check_header("read%d.json" % n, doc, "sysinfo" if n <= 2 else "continfo")

    def check_load_modules(self):
        if "load-modules.sh: all steps done" not in self.read("load-modules.txt"):
            self.fail("load-modules.sh in the guest did not finish (see load-modules.txt)")

    def check_unload_readers(self):
        if not os.path.exists(self.path("unload-readers.txt")):
            self.fail("the unload under readers did not complete")

    def check_cycles(self):
        text = self.read("cycles.txt").split()
        ok, total = text[1].split("/")
        if ok != total or int(total) < 1:
            self.fail("load/unload cycles: %s" % " ".join(text))

    def check_leak(self):
        def figures(name):
            out = {}
            for line in self.read(name).splitlines():
                key, value = line.split()[:2]
                out[key.rstrip(":")] = int(value)
            return out

        a, b = figures("leak-before.txt"), figures("leak-after.txt")
        for key in sorted(set(a) & set(b)):
            grew = b[key] - a[key]
            if key == "VmallocUsed" and grew > LEAK_VMALLOC_KB:
                self.fail("leak: VmallocUsed grew %d kB over 1,000 reads" % grew)
            elif key not in ("VmallocUsed", "Slab", "SUnreclaim", "MemAvailable") \
                    and grew > LEAK_OBJECTS:
                self.fail("leak: %s grew by %d objects over 1,000 reads" % (key, grew))

    def check_dmesg(self):
        for line in self.read("dmesg.txt").splitlines():
            if DMESG_BAD.search(line):
                self.fail("dmesg: %s" % line.strip())

    def check_proc_files(self):
        for line in self.read("proc-files.txt").splitlines():
            if not line.startswith("-r-------- "):
                self.fail("/proc file mode: %s" % line)

    def run(self, vigia):
        if os.path.exists(self.path("failures")):
            for line in self.read("failures").splitlines():
                self.fail("guest: %s" % line)
        for f in ("dmesg.txt",):
            if os.path.exists(self.path(f)):
                self.check_dmesg()
        if not os.path.exists(self.path("continfo.json")):
            self.fail("no snapshot was taken")
            return
        stable = self.stable()
        cont, sysi = self.load_json("continfo.json"), self.load_json("sysinfo.json")
        if cont:
            self.check_header("continfo.json", cont, "continfo")
            n = self.check_continfo(cont, stable)
            print("continfo: %d container processes, %d containers checked" % (n, len(cont["containers"])))
        if sysi:
            self.check_header("sysinfo.json", sysi, "sysinfo")
            n = self.check_sysinfo(sysi, stable)
            print("sysinfo: %d stable processes checked against /proc" % n)
        self.check_proc_files()
        self.check_readers()
        self.check_unload_readers()
        self.check_load_modules()
        self.check_cycles()
        self.check_leak()
        self.check_bench()
        self.check_vigia(vigia)

    def check_bench(self):
        """The benchmark's big snapshots: valid, and as large as they should be."""
        for name in sorted(os.listdir(self.dir)):
            m = re.fullmatch(r"bench-(\d+)\.json", name)
            if not m:
                continue
            doc = self.load_json(name)
            if doc is None:
                continue
            self.check_header(name, doc, "sysinfo")
            if len(doc["processes"]) < int(m.group(1)):
                self.fail("%s: %d processes, want at least %s" % (
                    name, len(doc["processes"]), m.group(1)))
            else:
                print("%s: %d processes, %d bytes, valid" % (
                    name, len(doc["processes"]), os.path.getsize(self.path(name))))

    def check_vigia(self, vigia):
        files = [self.path(f) for f in ("continfo.json", "sysinfo.json", "read1.json", "read3.json")]
        if not vigia:
            print("NOTE: no vigia binary (go-daemon missing or not building): skipped vigia snapshot check")
            return
        res = subprocess.run([vigia, "snapshot", "check"] + files,
                             capture_output=True, text=True)
        if res.returncode != 0:
            self.fail("vigia snapshot check: %s" % (res.stdout + res.stderr).strip()[-2000:])
        else:
            print("vigia snapshot check: %d files accepted" % len(files))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--schema", required=True)
    ap.add_argument("--vigia", help="the daemon binary, for `vigia snapshot check`")
    args = ap.parse_args()
    with open(args.schema) as f:
        schema = json.load(f)
    c = Checker(args.results, schema)
    c.run(args.vigia)
    print("%s: %d checks failed" % (args.results, len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
