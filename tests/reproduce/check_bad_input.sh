#!/bin/bash
# Bad input to `asbench reproduce` exits 2 with a message naming the file and
# line: unknown recipes and options, and every malformed recipe in bad/, whose
# first line says which line and message to expect ("# expect LINE: TEXT").
asbench=$1 here=$2 recipes=$3
fail=0
expect_usage() { # description, expected stderr fragment, command...
    local what=$1 want=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" != 2 ]; then
        echo "FAIL $what: exit $rc, want 2 ($err)"
        fail=1
    elif [[ "$err" != *"$want"* ]]; then
        echo "FAIL $what: message '$err' lacks '$want'"
        fail=1
    else
        echo "ok   $what"
    fi
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

expect_usage "unknown recipe" "unknown recipe 'no-such-recipe'" \
    "$asbench" reproduce no-such-recipe --recipes "$recipes" -o "$out/x"
expect_usage "unknown option" "unknown option --fast" "$asbench" reproduce mcache --fast
expect_usage "no recipe named" "give a recipe name" "$asbench" reproduce
expect_usage "-o without a folder" "option -o needs a value" "$asbench" reproduce mcache -o
expect_usage "missing recipe file" "cannot read recipe" "$asbench" reproduce "$out/none.recipe"
expect_usage "--max-rounds 0" "--max-rounds 0: need an integer in 1..100" "$asbench" reproduce mcache --max-rounds 0
expect_usage "--min-rounds above --max-rounds" "--min-rounds 3 is more than --max-rounds 2" \
    "$asbench" reproduce mcache --min-rounds 3 --max-rounds 2
expect_usage "--check without --docs-table" "--check, --from and --doc go with --docs-table" \
    "$asbench" reproduce mcache --check
expect_usage "--docs-table with a recipe" "--docs-table runs no recipe" "$asbench" reproduce mcache --docs-table
expect_usage "--docs-table on a missing document" "cannot read $out/none.md" \
    "$asbench" reproduce --docs-table --doc "$out/none.md"
for f in "$here"/bad/*.recipe; do
    line=$(head -n 1 "$f")
    want=${line#\# expect }
    expect_usage "$(basename "$f")" "$f:$want" "$asbench" reproduce "$f" -o "$out/bad"
done
if [ -e "$out/bad" ]; then
    echo "FAIL a malformed recipe ran (created $out/bad)"
    fail=1
fi

# --list parses every shipped recipe and names each one.
listing=$("$asbench" reproduce --list --recipes "$recipes") || { echo "FAIL --list exited $?"; fail=1; }
for f in "$recipes"/*.recipe; do
    name=$(basename "$f" .recipe)
    if ! grep -q "^$name " <<<"$listing"; then
        echo "FAIL --list does not show $name"
        fail=1
    fi
done
exit $fail
