#!/usr/bin/env python3
"""Issue 15: times `goto` in a REPL session on wordcount after `step N`.

usage: scripts/repl_goto_times.py BINARY N [TARGET...]   (wrap in /usr/bin/time -v for peak RSS)
Each goto is timed from writing it to the REPL printing its `goto: now at` line."""
import subprocess, sys, time
binp, n = sys.argv[1], int(sys.argv[2])
targets = [int(x) for x in sys.argv[3:]] or [n // 2, n - n // 100, 10]
p = subprocess.Popen([binp, "repl", "wordcount", "--max-batches", str(n), "--out", "out"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
def run(cmd, marker):
    t0 = time.perf_counter()
    p.stdin.write(cmd + "\n"); p.stdin.flush()
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit("eof")
        if marker in line:
            return time.perf_counter() - t0, line.strip()
dt, _ = run(f"step {n}\ntime", "next batch:")
print(f"step {n}: {dt:.1f} s")
for t in targets:
    dt, line = run(f"goto {t}", "goto: now at")
    print(f"goto {t}: {dt*1000:.1f} ms  ({line.split(';',1)[1].strip()})")
p.stdin.close(); p.wait()
