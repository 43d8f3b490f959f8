/*
 * test_memory.c — memory over time on known inputs (TAP):
 *   smaps_rollup parsing on the fixtures (harness/smaps.c);
 *   the summary of a planted timeline: time-weighted mean RSS, huge pages
 *   from the ticks that read smaps, the fragmentation curve RSS ÷ live with
 *   the samples below a tenth of the peak live bytes left out;
 *   the empirical workload's profile parser (workloads/alloc/profile.c):
 *   a good profile, sampling within its ranges (independent and joint
 *   size/lifetime), the shipped profiles, and
 *   bad ones rejected with FILE:LINE and the problem.
 * Usage: test-memory FIXTURES_DIR PROFILES_DIR
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "memory.h"
#include "profile.h"

static int n;
static void ok(const char *what) { printf("ok %d - %s\n", ++n, what); }

static bool near(double a, double b) { return fabs(a - b) <= 1e-3 * fmax(1, fabs(b)); }

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f);
    static char buf[65536];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    return buf;
}

static void smaps_fixtures(const char *dir) {
    char path[4096];
    asb_smaps s;
    snprintf(path, sizeof path, "%s/smaps_rollup.txt", dir);
    CHECK(asb_smaps_parse(slurp(path), &s));
    CHECK(s.rss_kb == 315392 && s.anon_huge_kb == 202752 && s.shmem_pmd_kb == 4096);
    ok("smaps_rollup fixture: Rss, AnonHugePages, ShmemPmdMapped");
    snprintf(path, sizeof path, "%s/smaps_rollup-truncated.txt", dir);
    CHECK(!asb_smaps_parse(slurp(path), &s));
    CHECK(!asb_smaps_parse("AnonHugePages:    12 kB\n", &s)); /* no Rss */
    ok("smaps_rollup without the huge-page lines is refused");
    CHECK(asb_smaps_read(getpid(), &s) && s.rss_kb > 0 && s.anon_huge_kb >= 0);
    ok("this process's smaps_rollup reads");
}

static void planted_timeline(void) {
    char path[] = "/tmp/asbench-memory-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    /* RSS 1000, 3000, 2000, 1000 kB; smaps read at 0 and 200 ms; live bytes
     * giving RSS ÷ live = 2, 3, 2, and at 300 ms under a tenth of the peak. */
    fputs(ASB_TIMELINE_HEADER "\n"
          "0,1000,0,0,512000\n"
          "100,3000,,,1024000\n"
          "200,2000,1000,24,1024000\n"
          "300,1000,,,51200\n",
          f);
    fclose(f);
    asb_memory_summary s;
    CHECK(asb_memory_summarise(path, &s) == 0);
    CHECK(near(s.rss_mean_kib, (2000 * 100 + 2500 * 100 + 1500 * 100) / 300.0));
    ok("time-weighted mean RSS (trapezoids)");
    CHECK(near(s.thp_peak_kib, 1024) && near(s.thp_mean_kib, 512) && near(s.thp_coverage, 512 / 1500.0));
    ok("huge pages: peak, mean and coverage from the ticks that read smaps");
    CHECK(near(s.frag_mean, 2.5) && near(s.frag_max, 3));
    ok("fragmentation: time-weighted mean and maximum of RSS / live");
    double *t, *r;
    int points;
    CHECK(asb_memory_frag_curve(path, &t, &r, &points) == 0 && points == 3);
    CHECK(t[2] == 200 && near(r[1], 3));
    free(t), free(r);
    ok("the curve leaves out the sample below a tenth of the peak live bytes");
    char *keys = asb_memory_keys(&s);
    CHECK(strstr(keys, "memory.frag_max=3.0000") && strstr(keys, "memory.rss_mean_kib=2000"));
    free(keys);
    ok("row keys memory.*");
    f = fopen(path, "w");
    fputs("t_ms,rss_kb\n1,500\n11,700\n", f); /* an older timeline: RSS only */
    fclose(f);
    CHECK(asb_memory_summarise(path, &s) == 0 && near(s.rss_mean_kib, 600) && isnan(s.frag_mean) &&
          isnan(s.thp_mean_kib));
    keys = asb_memory_keys(&s);
    CHECK(!strcmp(keys, "memory.rss_mean_kib=600"));
    free(keys);
    ok("a timeline without smaps or live bytes gives RSS only");
    unlink(path);
}

static void good_profile(void) {
    static emp_profile p;
    char err[512];
    const char *text = "# a comment\n"
                       "threads 3\n"
                       "rate 1000.5   # trailing comment\n"
                       "size 16 3\n"
                       "size 100-200 1\n"
                       "lifetime 10 1\n"
                       "lifetime forever 1\n"
                       "phase warm 100 1\n"
                       "phase spike 50 4.5 drop=0.25\n";
    CHECK(emp_profile_parse(text, "good", &p, err, sizeof err) == 0);
    CHECK(p.threads == 3 && p.rate == 1000.5 && p.sizes.n == 2 && p.lifetimes.n == 2 && p.nphases == 2);
    CHECK(p.lifetimes.r[1].lo == EMP_FOREVER && p.phases[1].drop == 0.25 && p.phases[1].lifetime_scale == 4.5);
    CHECK(!strcmp(p.phases[0].name, "warm") && p.phases[0].allocs == 100);
    ok("a profile's directives parsed");
    CHECK(emp_sample(&p.sizes, 0.0, 7) == 16 && emp_sample(&p.sizes, 0.74, 7) == 16);
    for (uint64_t v = 0; v < 300; v++) {
        uint64_t s = emp_sample(&p.sizes, 0.8, v);
        CHECK(s >= 100 && s <= 200);
    }
    CHECK(near(emp_mean(&p.sizes), (16 * 3 + 150) / 4.0) && near(emp_mean(&p.lifetimes), 10));
    ok("sampling by weight, uniform within a range; means");
    CHECK(emp_profile_parse("object 8 3 1\nobject 1000-2000 forever 3\n", "joint", &p, err, sizeof err) == 0);
    uint64_t size, life;
    emp_sample_object(&p, 0.1, 0.9, 5, 5, &size, &life);
    CHECK(size == 8 && life == 3);
    emp_sample_object(&p, 0.3, 0.0, 5, 5, &size, &life);
    CHECK(size == 1005 && life == EMP_FOREVER);
    ok("object lines: size and lifetime drawn together");
    CHECK(emp_profile_parse("size 8 1\nlifetime 2 1\n", "minimal", &p, err, sizeof err) == 0);
    CHECK(p.threads == 1 && p.rate == 0 && p.nphases == 1 && p.phases[0].lifetime_scale == 1);
    ok("defaults: one thread, unthrottled, one steady phase");
}

static void bad_profiles(void) {
    static emp_profile p;
    const struct {
        const char *text, *want;
    } bad[] = {
        {"size 8 1\nlifetime 2 1\nsizes 9 1\n", "bad:3: unknown directive 'sizes'"},
        {"size 0 1\n", "bad:1: size '0': outside 1..1073741824"},
        {"size 8 1\nlifetime 5-2 1\n", "bad:2: lifetime '5-2': LO is above HI"},
        {"size 8 x\n", "bad:1: size weight 'x'"},
        {"size 8\n", "bad:1: size: expected 'size VALUE WEIGHT'"},
        {"threads 2\nthreads 3\n", "bad:2: threads given twice"},
        {"threads 0\n", "bad:1: threads: expected one integer in 1..256"},
        {"rate -1\n", "bad:1: rate:"},
        {"size 8 1\nlifetime 1 1\nphase p 0 1\n", "bad:3: phase p: ALLOCS '0'"},
        {"size 8 1\nlifetime 1 1\n\nphase p 5 1 drop=2\n", "bad:4: phase p: 'drop=2'"},
        {"size 8 1\n# no lifetime\n", "bad:2: end of profile: no lifetime line"},
        {"lifetime 1 1\n", "bad:1: end of profile: no size line"},
        {"size 8 0\nlifetime 1 1\n", "no size line with a weight above 0"},
        {"size 8 1\nobject 8 1 1\n", "bad:2: object: object lines and size/lifetime lines do not mix"},
        {"object 8 1\n", "bad:1: object: expected 'object SIZE LIFETIME WEIGHT'"},
        {"object 8 0 1\n", "bad:1: object lifetime '0': outside 1..4294967295"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (emp_profile_parse(bad[i].text, "bad", &p, err, sizeof err) == 0 || !strstr(err, bad[i].want)) {
            fprintf(stderr, "profile %zu: got '%s', want '%s'\n", i, err, bad[i].want);
            exit(1);
        }
    }
    ok("bad profiles rejected with FILE:LINE and the problem");
    CHECK(emp_profile_load("/nonexistent/x.profile", &p, err, sizeof err) && strstr(err, "/nonexistent/x.profile"));
    ok("a missing profile file is named");
}

static void shipped_profiles(const char *dir) {
    DIR *d = opendir(dir);
    CHECK(d);
    static emp_profile p;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 8, ".profile")) continue;
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (emp_profile_load(path, &p, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
        found++;
    }
    closedir(d);
    CHECK(found >= 4);
    ok("every shipped profile parses");
}

int main(int argc, char **argv) {
    CHECK(argc == 3);
    smaps_fixtures(argv[1]);
    planted_timeline();
    good_profile();
    bad_profiles();
    shipped_profiles(argv[2]);
    printf("1..%d\n", n);
    return 0;
}
