#!/bin/bash
# python_threads.sh DIR — a threaded python3 script that builds and tears
# down many objects of all sizes in 4 threads; PYTHONMALLOC=malloc routes
# every Python allocation (small objects included) through malloc.  Prints a
# digest that does not depend on thread timing.
set -eu
PYTHONMALLOC=malloc exec python3 - <<'PY'
import hashlib, threading

results = [None] * 4

def work(index):
    h = hashlib.sha256()
    for round_ in range(300):
        d = {("k%d-%d" % (index, i)): bytes([(i + index) % 256]) * (i % 700 + 1) for i in range(400)}
        lst = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))
        big = b"".join(v for _, v in lst[:50]) * (1 + round_ % 7)
        h.update(big[:4096])
        h.update(str(len(big)).encode())
        del d, lst, big
    results[index] = h.hexdigest()

threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i, r in enumerate(results):
    print(i, r)
PY
