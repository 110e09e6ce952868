#!/usr/bin/python3
"""Proves check_lane.py can fail: applies one fault at a time to a copy of a
passing lane's results and asserts the checker rejects each, for the right
reason. Faults are the bugs the issue names: unescaped names, trailing commas,
CPU time in the wrong unit, containers detected wrongly, leaks, warnings.

Usage: check_lane_selftest.py RESULTS --schema SCHEMA
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def edit_text(name, old, new):
    def apply(d):
        path = os.path.join(d, name)
        with open(path) as f:
            text = f.read()
        if old not in text:
            raise RuntimeError("fault not applicable: %r not in %s" % (old, name))
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
    return apply


def edit_doc(name, change):
    def apply(d):
        path = os.path.join(d, name)
        with open(path) as f:
            doc = json.load(f)
        change(doc, d)
        with open(path, "w") as f:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return apply


def append(name, line):
    def apply(d):
        with open(os.path.join(d, name), "a") as f:
            f.write(line + "\n")
    return apply


def wrong_id(doc, _):
    p = doc["processes"][0]
    p["container_id"] = p["container_id"][:-1] + ("0" if p["container_id"][-1] != "0" else "1")


def drop_process(doc, _):
    del doc["processes"][0]


def add_decoy(doc, d):
    with open(os.path.join(d, "expected.tsv")) as f:
        decoy = next(int(l.split("\t")[0]) for l in f if l.split("\t")[1] == "-")
    with open(os.path.join(d, "sysinfo.json")) as f:
        p = next(x for x in json.load(f)["processes"] if x["pid"] == decoy)
    del p["state"]
    p.update(container_id=doc["processes"][0]["container_id"], cgroup="/docker.service")
    doc["processes"] = sorted(doc["processes"] + [p], key=lambda x: x["pid"])


def jiffies(doc, _):
    for p in doc["processes"]:
        p["cpu_time_ns"] //= 10_000_000


def rss_off(doc, _):
    for p in doc["processes"]:
        if p["cmdline"].startswith("vigia-hold"):
            p["rss_kb"] += 512
            p["mem_pct"] = round(p["rss_kb"] * 10000 // doc["memory"]["total_kb"] / 100, 2)


def hostile_name(doc, _):
    for p in doc["processes"]:
        if "\n" in p["name"]:
            p["name"] = p["name"].replace("\n", " ")
            return
    raise RuntimeError("no hostile name to damage")


def total_off(doc, _):
    doc["containers"][0]["rss_kb"] += 4


def leak(d):
    path = os.path.join(d, "leak-after.txt")
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        key, value = line.split()[:2]
        out.append("%s %d" % (key, int(value) + 1000) if key == "task_struct" else line)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


FAULTS = [
    ("unescaped quote in a name", edit_text("continfo.json", 'q\\"uo', 'q"uo'), "does not parse strictly"),
    ("trailing comma", edit_text("sysinfo.json", "}]}", "},]}"), "does not parse strictly"),
    ("duplicate key", edit_text("sysinfo.json", '"pid":1,', '"pid":1,"pid":1,'), "does not parse strictly"),
    ("newline lost from a name", edit_doc("continfo.json", hostile_name), "name"),
    ("wrong container id", edit_doc("continfo.json", wrong_id), "want"),
    ("container process missing", edit_doc("continfo.json", drop_process), "missing"),
    ("decoy reported as a container", edit_doc("continfo.json", add_decoy), "decoy pid"),
    ("CPU time in jiffies", edit_doc("sysinfo.json", jiffies), "cpu_time_ns"),
    ("RSS off by 512 KiB", edit_doc("sysinfo.json", rss_off), "rss_kb"),
    ("container total not the sum", edit_doc("continfo.json", total_off), "processes sum to"),
    ("leak per read", leak, "leak: task_struct"),
    ("WARNING in dmesg", append("dmesg.txt", "[    9.1] WARNING: CPU: 0 PID: 1 at x"), "dmesg:"),
    ("a failed cycle", edit_text("cycles.txt", "100/100", "99/100"), "cycles"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    checker = [sys.executable, os.path.join(HERE, "check_lane.py")]
    failed = 0
    for name, fault, reason in FAULTS:
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "results")
            shutil.copytree(args.results, d)
            fault(d)
            res = subprocess.run(checker + [d, "--schema", args.schema],
                                 capture_output=True, text=True)
            hits = [l for l in res.stdout.splitlines() if l.startswith("FAIL:") and reason in l]
            if res.returncode == 0 or not hits:
                print("SELFTEST FAIL: %s: the checker did not reject it (exit %d)" % (name, res.returncode))
                failed += 1
            else:
                print("rejected: %s: %s" % (name, hits[0][:150]))
    print("checker self-test: %d passed, %d failed" % (len(FAULTS) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
