/*
 * test_noise.c — harness/noise.c on this machine: a snapshot reads load and
 * CPU times; a busy process outside the test's tree is listed and a busy
 * child of the test is not; the steal and busy fractions on known jiffies;
 * env.json's "noise" object written, then replaced (valid JSON, one object).
 * TAP output.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asbench.h"

static int failures, count;

static void check(const char *what, bool ok) {
    count++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", count, what);
    failures += !ok;
}

static void spin(void) {
    for (volatile unsigned long i = 0;; i++) continue;
}

static bool listed(const asb_noise *s, int pid) {
    for (int i = 0; i < s->nbusy; i++)
        if (s->busy[i].pid == pid) return true;
    return false;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static int occurrences(const char *text, const char *what) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

int main(void) {
    /* A busy child (our tree) and a busy orphan (re-parented: not ours). */
    int pipefd[2];
    if (pipe(pipefd) != 0) return 1;
    pid_t child = fork();
    if (child == 0) spin();
    pid_t middle = fork();
    if (middle == 0) {
        pid_t orphan = fork();
        if (orphan == 0) spin();
        if (write(pipefd[1], &orphan, sizeof orphan) != sizeof orphan) _exit(1);
        _exit(0);
    }
    pid_t orphan = 0;
    waitpid(middle, NULL, 0);
    if (read(pipefd[0], &orphan, sizeof orphan) != sizeof orphan) return 1;
    usleep(100000);

    asb_noise s;
    asb_env_noise_snapshot(&s);
    kill(child, SIGKILL);
    kill(orphan, SIGKILL);
    waitpid(child, NULL, 0);
    check("snapshot: load average read", !isnan(s.loadavg[0]) && s.loadavg[0] >= 0);
    check("snapshot: CPU jiffies read", s.jiffies_total > 0 && s.jiffies_busy <= s.jiffies_total);
    check("snapshot: time stamped", strlen(s.time) == 20 && s.time[19] == 'Z');
    for (int i = 0; i < s.nbusy; i++)
        printf("# busy: %d %s %.1f%%\n", s.busy[i].pid, s.busy[i].command, s.busy[i].cpu_percent);
    check("a busy child of this process is not listed", !listed(&s, child));
    /* The top list may be full of busier processes on a loaded machine. */
    check("a busy process outside the tree is listed (when the list has room)",
          s.nbusy == ASB_NOISE_BUSY || listed(&s, orphan));
    bool sorted = true;
    for (int i = 0; i < s.nbusy; i++)
        sorted &= s.busy[i].cpu_percent >= 1 && (i == 0 || s.busy[i - 1].cpu_percent >= s.busy[i].cpu_percent);
    check("busy processes: each at least 1%, busiest first", sorted);

    asb_noise a = {.jiffies_total = 1000, .jiffies_busy = 400, .jiffies_steal = 10},
              b = {.jiffies_total = 2000, .jiffies_busy = 900, .jiffies_steal = 60};
    check("steal fraction 50/1000", fabs(asb_noise_steal_fraction(&a, &b) - 0.05) < 1e-12);
    check("busy fraction 500/1000", fabs(asb_noise_busy_fraction(&a, &b) - 0.5) < 1e-12);
    check("no time between the snapshots: NaN", isnan(asb_noise_steal_fraction(&b, &a)));

    char dir[] = "/tmp/asbench-noise.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], cmd[512];
    snprintf(path, sizeof path, "%s/env.json", dir);
    check("no env.json: an error, nothing written", asb_env_write_noise(dir, &s, NULL) != 0);
    FILE *f = fopen(path, "w");
    fputs("{\n  \"host\": \"x\",\n  \"backends\": {\n    \"glibc\": \"2.36\"\n  }\n}\n", f);
    fclose(f);
    check("write the before figures", asb_env_write_noise(dir, &s, NULL) == 0);
    char *text = slurp(path);
    check("env.json keeps its members and gains noise.before",
          text && strstr(text, "\"glibc\": \"2.36\"") && strstr(text, "\"noise\": {\n    \"before\": {\"time\"") &&
              !strstr(text, "\"after\""));
    asb_noise end = s;
    end.jiffies_total += 100, end.jiffies_busy += 30, end.jiffies_steal += 5;
    check("replace with before and after", asb_env_write_noise(dir, &s, &end) == 0);
    text = slurp(path);
    check("one noise object with before, after and the fractions between",
          text && occurrences(text, "\"noise\"") == 1 && strstr(text, "\"after\": {") &&
              strstr(text, "\"between\": {\"steal_fraction\": 0.05, \"busy_fraction\": 0.3}"));
    snprintf(cmd, sizeof cmd, "command -v python3 >/dev/null || exit 77; python3 -m json.tool '%s' >/dev/null", path);
    int rc = system(cmd);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) printf("ok %d - # SKIP no python3 to check the JSON\n", ++count);
    else check("env.json is valid JSON", rc == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);

    printf("1..%d\n", count);
    return failures != 0;
}
