# py_threads.py — the program behind python-threads.trace.gz: a producer
# thread builds objects that two consumer threads parse and drop, so most
# blocks are freed by a thread other than the one that allocated them.
import json
import queue
import threading

work = queue.Queue(maxsize=64)
results = []
lock = threading.Lock()


def producer(n):
    for i in range(n):
        work.put(json.dumps({"id": i, "payload": ["x" * (i % 50)] * (i % 8), "n": list(range(i % 30))}))
    for _ in range(2):
        work.put(None)


def consumer():
    total = 0
    while True:
        item = work.get()
        if item is None:
            break
        total += len(json.loads(item)["payload"])
    with lock:
        results.append(total)


threads = [threading.Thread(target=producer, args=(800,))] + [threading.Thread(target=consumer) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(results))
