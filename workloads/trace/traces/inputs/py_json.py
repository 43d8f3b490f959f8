# py_json.py — the program behind python-json.trace.gz: builds a few thousand
# records, round-trips them through json and scans the text with re, the
# allocation pattern of a small data-processing script.
import json
import re

records = []
for i in range(600):
    records.append({
        "id": i,
        "name": "user%05d" % i,
        "email": "user%d@example.org" % i,
        "tags": ["t%d" % (i % 7), "g%d" % (i % 13)],
        "score": i * 0.75,
        "history": list(range(i % 20)),
    })
text = json.dumps(records)
again = json.loads(text)
emails = re.findall(r'"email": "([a-z0-9]+)@example\.org"', text)
by_tag = {}
for rec in again:
    for tag in rec["tags"]:
        by_tag.setdefault(tag, []).append(rec["id"])
words = re.sub(r"[^a-z]+", " ", text.lower()).split()
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
print(len(text), len(emails), len(by_tag), len(counts))
