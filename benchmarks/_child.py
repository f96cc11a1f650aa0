"""What the benchmarks share: one measured pipeline per fresh process, and its peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any


def run_child(script: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``script --child SPEC`` in a fresh process: the JSON it prints last, plus ``seconds`` (wall)
    and ``cpu`` (its reaped workers included; ru_maxrss would carry this process's peak over)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, script, "--child", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{spec['kind']} failed with exit code {os.waitstatus_to_exitcode(status)}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(seconds=seconds, cpu=usage.ru_utime + usage.ru_stime)
    return result


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ru_maxrss)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def grown(texts: list[str], n: int) -> tuple[list[str], list[int]]:
    """``n`` training texts from ``texts``: the texts themselves, then copies with one word dropped each
    (seeded), so that the copies differ; with each one's source row."""
    import random

    rng = random.Random(0)
    out, rows = [], []
    while len(out) < n:
        i = len(out) % len(texts)
        text = texts[i]
        if len(out) >= len(texts):
            words = text.split()
            if len(words) > 3:
                words.pop(rng.randrange(len(words)))
            text = " ".join(words)
        out.append(text)
        rows.append(i)
    return out, rows
