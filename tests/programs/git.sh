#!/bin/bash
# git.sh DIR — init, 20 commits with fixed dates, log, gc, and prints the log and
# object counts.
set -u
command -v git >/dev/null || { echo "git not installed: skipped (Debian: apt-get install -y git)"; exit 77; }
mkdir -p "$1" && cd "$1" || exit 1
git init -q repo && cd repo || exit 1
git config user.name test && git config user.email test@example.com
for i in $(seq 1 20); do
    seq "$i" 200 > "file$((i % 5)).txt"
    git add -A && GIT_AUTHOR_DATE="2020-01-01T00:00:$((i + 10))" GIT_COMMITTER_DATE="2020-01-01T00:00:$((i + 10))" \
        git commit -q -m "commit $i"
done
git log --format='%s %T' | head -25
git log --stat --format=%s | wc -l
git gc -q && git count-objects -v | grep -E '^(count|in-pack)'
