#!/bin/bash
# check_declarations.sh CONFORMANCE_SELFTEST MISALIGN_LIB — the conformance
# suite's handling of a backend's known deviations, on the test-only backend
# selftest_backend.c (glibc declaring aligned_apis/posix_memalign and a check
# that does not exist):
#  - plain glibc: the declared deviation no longer occurs → that check fails,
#    naming the file to remove it from; the bad declaration fails; exit 1;
#  - under the faulty "misalign" library: the declared check is TODO, and the
#    same test's undeclared checks still fail.
bin=$1 misalign=$2
n=0
fail() { echo "not ok - $*"; exit 1; }
pass() { n=$((n + 1)); echo "ok $n - $*"; }
# line OUTPUT REGEX: OUTPUT has a line matching the extended REGEX.
line() { grep -Eq -- "$2" <<<"$1"; }

out=$("$bin" 2>&1)
rc=$?
sed 's/^/# /' <<<"$out"
[ "$rc" = 1 ] || fail "plain glibc: exit $rc, expected 1"
line "$out" '^not ok [0-9]+ - aligned_apis/posix_memalign: known deviation aligned_apis/posix_memalign no longer occurs: remove it from allocators/selftest.c$' ||
    fail "a declared deviation that no longer occurs does not fail"
pass "a declared deviation that no longer occurs fails, naming the file to remove it from"
line "$out" '^not ok [0-9]+ - known deviation calloc/no_such_check in allocators/selftest.c names no check' ||
    fail "a declaration naming no check does not fail"
pass "a declaration naming no check fails"
[ "$(grep -c '^not ok' <<<"$out")" = 2 ] || fail "other checks failed on glibc"
pass "every other check passes on glibc"

out=$(LD_PRELOAD=$misalign "$bin" aligned_apis 2>&1)
rc=$?
sed 's/^/# /' <<<"$out"
line "$out" '^not ok [0-9]+ - aligned_apis/posix_memalign: posix_memalign\(.*misaligned # TODO known deviation: test-only: blocks 8 B off their alignment \(test-only: ' ||
    fail "a declared deviation that occurs is not TODO with its reason"
pass "a declared deviation that occurs is TODO, with the declared reason and link"
line "$out" '^not ok [0-9]+ - aligned_apis/aligned_alloc: aligned_alloc\(.*misaligned$' ||
    fail "an undeclared failure in the same test is not a plain failure"
pass "an undeclared failure in the same test still fails (no TODO)"
[ "$rc" = 1 ] || fail "under misalign: exit $rc, expected 1"
pass "the suite exits 1"
echo "1..$n"
