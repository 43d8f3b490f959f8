#!/bin/bash
# docs/reproduce.md's results table is generated from the committed reports
# (results/reproduced/*/verdicts.csv) by `asbench reproduce --docs-table`:
# the committed table must equal what the committed reports give, a stale
# table is found (exit 1) and rewritten in place, and the rest of the
# document is left as it was.
asbench=$1 source=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { # description, command...
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
doc="$source/docs/reproduce.md" reports="$source/results/reproduced"
"$asbench" reproduce --docs-table --check --from "$reports" --doc "$doc"
rc=$?
check "committed docs table equals the committed reports' (got $rc; regenerate with asbench reproduce --docs-table)" \
    test "$rc" = 0

# A stale copy: one verdict changed inside the generated section.
sed '/^<!-- BEGIN generated/,/^<!-- END generated/ s/\*\*holds\*\*/**does not hold**/' "$doc" >"$out/doc.md"
check "the stale copy differs" bash -c '! cmp -s "$0" "$1"' "$doc" "$out/doc.md"
"$asbench" reproduce --docs-table --check --from "$reports" --doc "$out/doc.md" 2>"$out/err"
rc=$?
check "a stale table is found: exit 1 (got $rc)" test "$rc" = 1
check "and named" grep -q 'differs from what the reports' "$out/err"
"$asbench" reproduce --docs-table --from "$reports" --doc "$out/doc.md" 2>/dev/null
check "regenerated: the whole document equals the committed one" cmp -s "$doc" "$out/doc.md"

# Text outside the markers is kept as it is.
printf 'before\n%s\n%s\nafter\n' "$(grep '^<!-- BEGIN generated' "$doc")" "$(grep '^<!-- END generated' "$doc")" >"$out/small.md"
"$asbench" reproduce --docs-table --from "$reports" --doc "$out/small.md" 2>/dev/null
check "text before the section kept" test "$(head -n 1 "$out/small.md")" = before
check "text after the section kept" test "$(tail -n 1 "$out/small.md")" = after
check "one table row per committed check" \
    test "$(grep -c '^| \[' "$out/small.md")" = "$(cat "$reports"/*/verdicts.csv | grep -vc '^recipe,')"

# A document without the markers is bad input.
echo "no markers" >"$out/plain.md"
"$asbench" reproduce --docs-table --from "$reports" --doc "$out/plain.md" 2>/dev/null
rc=$?
check "no generated section: exit 2 (got $rc)" test "$rc" = 2
exit $fail
