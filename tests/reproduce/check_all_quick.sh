#!/bin/bash
# `asbench reproduce all --quick` runs every shipped recipe in reduced form and
# writes a report per recipe (one verdict row per check) and an index with a
# row per check of every recipe.  What this build lacks must read "not
# comparable", never fail the command.  The verdicts themselves are not
# judged here: they depend on the machine.
asbench=$1 recipes=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
"$asbench" reproduce all --quick --recipes "$recipes" -o "$out" 2>"$out/stderr"
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL exit status $rc"; tail -20 "$out/stderr"; exit 1
fi
[ -s "$out/index.md" ] || { echo "FAIL no index.md"; fail=1; }
index_rows=$(grep -c '^| \[' "$out/index.md")
all_checks=$(cat "$recipes"/*.recipe | grep -c '^check ')
[ "$index_rows" = "$all_checks" ] || { echo "FAIL index.md has $index_rows rows for $all_checks checks"; fail=1; }
for f in "$recipes"/*.recipe; do
    name=$(basename "$f" .recipe)
    report="$out/$name/report.md"
    if [ ! -s "$report" ]; then
        echo "FAIL $name: no report"; fail=1; continue
    fi
    checks=$(grep -c '^check ' "$f")
    rows=$(grep -cE '^\| [a-z0-9_-]+ \| .*\*\*(holds|does not hold|unstable|not comparable)\*\*' "$report")
    if [ "$checks" != "$rows" ]; then
        echo "FAIL $name: $checks checks but $rows verdict rows"; fail=1
    else
        echo "ok   $name: $rows verdicts ($(grep -oE '\*\*(holds|does not hold|unstable|not comparable)\*\*' "$report" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
    fi
done
exit $fail
