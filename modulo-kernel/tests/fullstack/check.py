#!/usr/bin/env python3
"""Judges what the full-stack lane's guest (guest.sh) brought back.

Every check prints PASS or FAIL with the figures behind it; the exit status
is 1 when one failed. The checks are issue 8's:

- the guest script ran to the end, the daemon ran on the kernel sensors and
  exited 0 on SIGTERM, its cron entry existed while it ran and is gone after;
- exactly KEEP_LOW low and KEEP_HIGH high of vigia's containers run at the
  end; the Grafana stand-in and the foreign container still run;
- the tick after the guest read /proc/continfo_so1_<ID> sampled exactly the
  containers that read listed, each with a main PID that the read lists in
  that container (its process whose parent is outside it) and that Docker
  reports as the container's PID; actions with reasons were recorded;
- the RAM container's recorded RSS is within 10% of its cgroup's
  memory.current; the CPU container's CPU% is within 10 points of what its
  cgroup's cpu.stat usage_usec says over the same interval;
- after the modules were unloaded, dmesg has no WARNING, BUG, Oops or
  "sleeping function called".

Timing: the database keeps Unix seconds (the tick's start, truncated) and
the guest's cgroup samples carry its uptime; clock (wall clock and uptime
read together) maps one onto the other. A tick's read happens in
[ts, ts + 1 s); the cgroup figures are interpolated at ts + 0.5 s.
"""

import argparse
import bisect
import json
import os
import re
import sqlite3
import subprocess
import sys

KEEP_LOW, KEEP_HIGH = 3, 2
MEM_TOLERANCE = 0.10  # relative
CPU_TOLERANCE = 10.0  # percentage points, 100 = one CPU
# A tick's sensor read happens within this many seconds after its ts.
READ_OFFSET = 0.5
DMESG_BAD = re.compile(r"WARNING|BUG|Oops|sleeping function called")


class Checker:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print(("PASS: " if ok else "FAIL: ") + what)
        if not ok:
            self.failed += 1
        return ok


def read(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def labels_of(field):
    out = {}
    for pair in filter(None, field.split(",")):
        key, _, value = pair.partition("=")
        out[key] = value
    return out


def containers_at_end(results):
    """ps.tsv: id -> (name, state, labels)."""
    out = {}
    for line in (read(results, "ps.tsv") or "").splitlines():
        cid, name, state, labels = (line.split("\t") + ["", "", ""])[:4]
        out[cid] = (name, state, labels_of(labels))
    return out


def check_guest(c, results):
    status = (read(results, "status") or "").strip()
    c.check(status == "0", f"the guest script exited {status or '(no status)'}")
    for line in (read(results, "failures") or "").splitlines():
        c.check(False, "guest: " + line)
    daemon = (read(results, "daemon.status") or "").strip()
    c.check(daemon == "0", f"vigia run exited {daemon or '(never stopped)'} on SIGTERM")
    cron = read(results, "cron.installed") or ""
    c.check("/bash/generate.sh" in cron and re.search(r"(?m)^\* \* \* \* \* root ", cron),
            "the cron entry existed while the daemon ran, every minute, as root")
    after = (read(results, "cron.after") or "").strip()
    c.check(after == "gone", f"the cron entry after SIGTERM: {after or '(not checked)'}")
    gen = read(results, "generator.log") or ""
    done = re.findall(r"done: ram (\d+), cpu (\d+), low (\d+), failed (\d+)", gen)
    c.check(bool(done) and done[-1][3] == "0" and sum(map(int, done[-1][:3])) > 0,
            f"the generator, run from the cron entry, started containers: {done[-1:] or gen[-200:]}")


def check_containers(c, results):
    ps = containers_at_end(results)
    running = {cid: v for cid, v in ps.items() if v[1] == "running"}
    managed = [v for v in running.values() if v[2].get("io.vigia.managed") == "true"]
    low = sum(1 for v in managed if v[2].get("io.vigia.class") == "low")
    high = sum(1 for v in managed if v[2].get("io.vigia.class") == "high")
    c.check(low == KEEP_LOW and high == KEEP_HIGH,
            f"vigia's running containers: {low} low, {high} high "
            f"(want {KEEP_LOW} and {KEEP_HIGH})")
    names = {v[0] for v in running.values()}
    for name in ("fullstack-grafana", "fullstack-foreign"):
        c.check(name in names, f"{name} still runs")
    return ps


def continfo_mains(doc):
    """container id -> (set of its pids, pids whose parent is outside it)."""
    procs = {}
    for p in doc["processes"]:
        procs.setdefault(p["container_id"], []).append(p)
    out = {}
    for cid, plist in procs.items():
        pids = {p["pid"] for p in plist}
        out[cid] = (pids, {p["pid"] for p in plist if p["ppid"] not in pids})
    return out


def check_samples(c, results, db, ps):
    raw = read(results, "continfo.json")
    if not c.check(raw is not None, "the guest read continfo at the end"):
        return
    doc = json.loads(raw)
    read_at = wall_of(results, float(read(results, "continfo.uptime")))
    tick = db.execute("SELECT id, ts, sensor FROM ticks WHERE ts >= ? ORDER BY ts LIMIT 1",
                      (int(read_at),)).fetchone()
    if not c.check(tick is not None, "a tick followed the continfo read"):
        return
    c.check(tick[2] == "kernel", f"that tick's sensor: {tick[2]}")
    sensors = [r[0] for r in db.execute("SELECT DISTINCT sensor FROM ticks")]
    c.check(sensors == ["kernel"], f"every tick read the kernel sensor: {sensors}")
    rows = db.execute("SELECT container_id, pid, name, class FROM container_samples "
                      "WHERE ts = ?", (tick[1],)).fetchall()
    mains = continfo_mains(doc)
    listed = {x["id"] for x in doc["containers"]}
    sampled = {r[0] for r in rows}
    c.check(sampled == listed and len(listed) == KEEP_LOW + KEEP_HIGH + 2,
            f"the tick at {tick[1]} sampled the {len(sampled)} containers continfo listed "
            f"({len(listed)}; only in the database: {sorted(sampled - listed)}, only in "
            f"continfo: {sorted(listed - sampled)})")
    running = {cid for cid, v in ps.items() if v[1] == "running"}
    c.check(listed == running, f"continfo listed the {len(running)} running containers "
            f"(missing {sorted(running - listed)}, extra {sorted(listed - running)})")
    docker_pid = {x["Id"]: x["State"]["Pid"] for x in json.loads(read(results, "inspect.json"))}
    for cid, pid, name, cls in rows:
        _, top = mains.get(cid, (set(), set()))
        # A container this tick removed is gone from docker inspect.
        theirs = docker_pid.get(cid, pid if cid not in running else None)
        c.check(pid in top and theirs == pid,
                f"{name or cid[:12]} ({cls}): pid {pid} is its main process in continfo "
                f"{sorted(top)} and Docker's {theirs}")


def check_actions(c, db, ps):
    rows = db.execute("SELECT action, container_id, name, reason, ok, error "
                      "FROM actions").fetchall()
    kinds = {r[0] for r in rows if r[4] == 1}
    c.check({"start", "remove"} <= kinds,
            f"the daemon recorded {len(rows)} actions, successful starts and removals "
            f"among them: {sorted(kinds)}")
    c.check(all(r[3].strip() for r in rows), "every action has a reason")
    # A start can time out on a slow engine; the daemon must then say why.
    failed = [r for r in rows if r[4] != 1]
    c.check(all((r[5] or "").strip() for r in failed),
            f"each of the {len(failed)} failed actions records its error")
    for r in failed[:5]:
        print(f"  failed {r[0]}: {(r[5] or '')[:160]}")
    bystanders = {cid for cid, v in ps.items()
                  if v[0] in ("fullstack-grafana", "fullstack-foreign")}
    c.check(not any(r[1] in bystanders for r in rows),
            "no action touched the Grafana stand-in or the foreign container")
    for r in [r for r in rows if r[4] == 1][:3]:
        print(f"  action {r[0]} {r[2]}: {r[3]}")


def clock(results):
    wall, up = map(float, read(results, "clock").split())
    return wall - up


def wall_of(results, uptime):
    return uptime + clock(results)


def cgroup_series(results):
    """container id -> sorted [(wall, usage_usec, memory_current)]."""
    offset = clock(results)
    out = {}
    for line in (read(results, "cgroup.tsv") or "").splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[2] or not parts[3]:
            continue
        out.setdefault(parts[1], []).append(
            (float(parts[0]) + offset, int(parts[2]), int(parts[3])))
    for series in out.values():
        series.sort()
    return out


def at(series, t, field):
    """field of series interpolated at wall time t, or None outside it."""
    times = [s[0] for s in series]
    i = bisect.bisect_left(times, t)
    if i == 0 or i == len(series):
        return None
    (t0, *a), (t1, *b) = series[i - 1], series[i]
    if t1 - t0 > 2.0:
        return None
    return a[field] + (b[field] - a[field]) * (t - t0) / (t1 - t0)


def check_memory(c, db, series):
    rows = db.execute("SELECT ts, container_id, name, rss_kb FROM container_samples "
                      "WHERE kind = 'ram' ORDER BY container_id, ts").fetchall()
    compared = 0
    prev = {}
    for ts, cid, name, rss in rows:
        before, prev[cid] = prev.get(cid), rss
        # Only held memory: a container still touching its pages moves
        # faster than the half second between two cgroup samples.
        if before is None or abs(rss - before) > 0.01 * rss:
            continue
        mem = at(series.get(cid, []), ts + READ_OFFSET, 1)
        if mem is None:
            continue
        compared += 1
        cg_kb = mem / 1024
        c.check(abs(rss - cg_kb) <= MEM_TOLERANCE * cg_kb,
                f"{name} at {ts}: recorded RSS {rss} kB, cgroup memory.current "
                f"{cg_kb:.0f} kB ({100 * (rss - cg_kb) / cg_kb:+.1f}%)")
    c.check(compared > 0, f"RAM container samples compared with their cgroup: {compared}")


def check_cpu(c, db, series):
    rows = db.execute("SELECT ts, container_id, name, cpu_pct FROM container_samples "
                      "WHERE kind = 'cpu' ORDER BY container_id, ts").fetchall()
    compared = 0
    prev = {}
    for ts, cid, name, pct in rows:
        before, prev[cid] = prev.get(cid), ts
        if before is None or pct is None:
            continue
        s = series.get(cid, [])
        u0, u1 = at(s, before + READ_OFFSET, 0), at(s, ts + READ_OFFSET, 0)
        if u0 is None or u1 is None:
            continue
        compared += 1
        cg = (u1 - u0) / 1e6 / (ts - before) * 100
        c.check(abs(pct - cg) <= CPU_TOLERANCE,
                f"{name} from {before} to {ts}: recorded CPU {pct:.1f}%, "
                f"cgroup cpu.stat {cg:.1f}% ({pct - cg:+.1f} points)")
    c.check(compared > 0, f"CPU container intervals compared with their cgroup: {compared}")


def check_schema(c, results, schema, vigia):
    files = [os.path.join(results, f) for f in ("continfo.json", "sysinfo.json")]
    if schema:
        import jsonschema
        with open(schema, encoding="utf-8") as f:
            validator = jsonschema.Draft202012Validator(json.load(f))
        for path in files:
            with open(path, encoding="utf-8") as f:
                errors = list(validator.iter_errors(json.load(f)))
            c.check(not errors, f"{os.path.basename(path)} fits the schema "
                    f"{[e.message for e in errors[:3]]}")
    if vigia:
        run = subprocess.run([vigia, "snapshot", "check", *files], capture_output=True,
                             text=True, check=False)
        c.check(run.returncode == 0, "vigia snapshot check accepts both reads "
                f"{(run.stdout + run.stderr).strip()[-300:]}")


def check_dmesg(c, results):
    text = read(results, "dmesg.txt")
    if not c.check(text is not None, "dmesg was read after unloading"):
        return
    bad = [line for line in text.splitlines() if DMESG_BAD.search(line)]
    c.check(not bad, f"dmesg: no WARNING, BUG, Oops or sleeping function {bad[:5]}")
    c.check("vigia" in text, "dmesg shows the modules loading and unloading")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--kernel", default="")
    ap.add_argument("--schema")
    ap.add_argument("--vigia")
    args = ap.parse_args()
    c = Checker()
    print(f"full-stack results of {args.kernel or args.results}")
    if not os.path.exists(os.path.join(args.results, "status")):
        c.check(False, "the guest sent results")
        return 1
    check_guest(c, args.results)
    ps = check_containers(c, args.results)
    dbpath = os.path.join(args.results, "vigia.db")
    if c.check(os.path.exists(dbpath), "the daemon's database came back"):
        db = sqlite3.connect(f"file:{dbpath}?mode=ro", uri=True)
        check_samples(c, args.results, db, ps)
        check_actions(c, db, ps)
        series = cgroup_series(args.results)
        check_memory(c, db, series)
        check_cpu(c, db, series)
        db.close()
    if os.path.exists(os.path.join(args.results, "continfo.json")):
        check_schema(c, args.results, args.schema, args.vigia)
    check_dmesg(c, args.results)
    print(f"{c.failed} check(s) failed" if c.failed else "all checks passed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
