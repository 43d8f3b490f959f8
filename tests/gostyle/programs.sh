#!/bin/bash
# programs.sh LIBGOSTYLE PROGRAM — run a real program with and without
# LD_PRELOAD=libgostyle.so and compare its output with glibc's.  PROGRAM is
# python3, sqlite3, gcc or git.  Exits 77 (skipped) when the program is absent.
set -u
lib=$(realpath "$1")
prog=$2
if ! command -v "$prog" >/dev/null 2>&1; then
    echo "$prog not installed: skipped (Debian: apt-get install -y $prog)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Each workload prints its results to stdout; it runs once per allocator.
run_python3() {
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
}

run_sqlite3() {
    rm -f t.db
    sqlite3 t.db <<'SQL'
create table t(id integer primary key, k text, v integer);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
insert into t(k, v) select printf('key%06d', (x * 7919) % 100000), x * 3 from c;
create index t_k on t(k);
select count(*), sum(v), min(k), max(k) from t;
select k, v from t where k between 'key050000' and 'key050005' order by k;
select substr(k, 1, 5) as p, count(*), avg(v) from t group by p order by p limit 5;
delete from t where id % 3 = 0;
vacuum;
select count(*), total(v) from t;
SQL
}

run_gcc() {
    cat > prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { int key; struct node *left, *right; };
static struct node *insert(struct node *t, int key) {
    if (!t) { t = calloc(1, sizeof *t); t->key = key; return t; }
    if (key < t->key) t->left = insert(t->left, key); else t->right = insert(t->right, key);
    return t;
}
static long sum(const struct node *t) { return t ? t->key + sum(t->left) + sum(t->right) : 0; }
int main(void) {
    struct node *t = NULL;
    for (int i = 0; i < 10000; i++) t = insert(t, (i * 7919) % 10007);
    char *s = strdup("compiled under gostyle");
    printf("%s %ld\n", s, sum(t));
    free(s);
    return 0;
}
C
    gcc -O2 -Wall -o prog prog.c && ./prog
}

run_git() {
    rm -rf repo
    git init -q repo && cd repo || return 1
    git config user.name test && git config user.email test@example.com
    for i in $(seq 1 20); do
        seq "$i" 200 > "file$((i % 5)).txt"
        git add -A && GIT_AUTHOR_DATE="2020-01-01T00:00:$((i + 10))" GIT_COMMITTER_DATE="2020-01-01T00:00:$((i + 10))" \
            git commit -q -m "commit $i"
    done
    git log --format='%s %T' | head -25
    git log --stat --format=%s | wc -l
    git gc -q && git count-objects -v | grep -E '^(count|in-pack)'
    cd ..
}

expected=$(run_"$prog" 2>&1) || { echo "$prog failed without gostyle:"; echo "$expected"; exit 1; }
got=$(LD_PRELOAD="$lib" run_"$prog" 2>&1) || { echo "$prog failed under gostyle:"; echo "$got"; exit 1; }
if [ "$expected" != "$got" ]; then
    echo "$prog: output differs under gostyle"
    diff <(echo "$expected") <(echo "$got") | head -20
    exit 1
fi
# The library really served the program: it prints its statistics.
stats=$(GOSTYLEDEBUG=printstats=1 LD_PRELOAD="$lib" run_"$prog" 2>&1 >/dev/null | grep -c '^gostyle: heap_sys_bytes')
if [ "$stats" -lt 1 ]; then
    echo "$prog: libgostyle.so did not report statistics (not preloaded?)"
    exit 1
fi
echo "$prog: same output with gostyle and glibc"
