#!/bin/bash
# python3.sh DIR — a json/re/collections script over 200 000 words: builds, serialises
# and re-reads nested objects, and prints digests of the results.
set -u
command -v python3 >/dev/null || { echo "python3 not installed: skipped (Debian: apt-get install -y python3)"; exit 77; }
mkdir -p "$1" && cd "$1" || exit 1
python3 - <<'PY'
import collections, json, random, re
random.seed(7)
words = ["".join(random.choice("abcdefgh") for _ in range(random.randint(1, 12))) for _ in range(200000)]
counts = collections.Counter(words)
print(len(counts), counts.most_common(3))
tree = {}
for i, w in enumerate(words[:50000]):
    tree.setdefault(w[:2], []).append({"i": i, "w": w, "sq": [j * j for j in range(i % 7)]})
blob = json.dumps(tree, sort_keys=True)
print(len(blob), sum(len(v) for v in json.loads(blob).values()))
print(len(re.findall(r"a+b", " ".join(words))))
print(sorted(words, key=lambda w: (len(w), w))[-3:])
PY
