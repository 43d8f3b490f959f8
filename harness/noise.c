/*
 * noise.c — what else the machine was doing around a run, for env.json's
 * "noise" object: load average, the CPU time stolen by the hypervisor and
 * busy (from /proc/stat's "cpu" line), and the busiest processes outside
 * asbench's own tree (two readings of /proc/PID/stat 0.25 s apart).  The
 * caller snapshots at the start and at the end of a run; the fractions
 * between the two say how much of the machine the run did not have.
 * Only libc here, so that a unit test can link this file alone.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"

enum { BUSY_SAMPLE_MS = 250 };
#define BUSY_MIN_PERCENT 1.0

typedef struct proc_times {
    int pid, ppid;
    unsigned long long ticks; /* utime + stime */
    char command[32];
} proc_times;

/* Every process's CPU ticks; *n gets the count. */
static proc_times *read_processes(int *n) {
    proc_times *list = NULL;
    int count = 0, cap = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        char path[300], buf[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue; /* exited meanwhile */
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        /* "pid (command) state ppid …": the command may hold spaces and
         * parentheses, so the fields resume after the last ')'. */
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        if (!open || !close || close < open) continue;
        proc_times p = {.pid = atoi(buf)};
        snprintf(p.command, sizeof p.command, "%.*s", (int)(close - open - 1), open + 1);
        unsigned long long utime, stime;
        if (sscanf(close + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &p.ppid, &utime, &stime) != 3)
            continue;
        p.ticks = utime + stime;
        if (count == cap) {
            cap = cap ? 2 * cap : 256;
            proc_times *grown = realloc(list, (size_t)cap * sizeof *list);
            if (!grown) break;
            list = grown;
        }
        list[count++] = p;
    }
    if (d) closedir(d);
    *n = count;
    return list;
}

static const proc_times *find_pid(const proc_times *list, int n, int pid) {
    for (int i = 0; i < n; i++)
        if (list[i].pid == pid) return &list[i];
    return NULL;
}

/* Whether pid is this process or one of its descendants (workers, tools). */
static bool in_own_tree(const proc_times *list, int n, int pid) {
    int self = getpid();
    for (int depth = 0; depth < 64 && pid > 1; depth++) {
        if (pid == self) return true;
        const proc_times *p = find_pid(list, n, pid);
        if (!p) return false;
        pid = p->ppid;
    }
    return false;
}

static void sample_busy(asb_noise *out) {
    int n0, n1;
    proc_times *first = read_processes(&n0);
    struct timespec t0, t1, pause = {0, BUSY_SAMPLE_MS * 1000000L};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) continue;
    proc_times *second = read_processes(&n1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double per_tick = 100.0 / ((double)sysconf(_SC_CLK_TCK) * elapsed);
    out->nbusy = 0;
    for (int i = 0; i < n1; i++) {
        const proc_times *before = find_pid(first, n0, second[i].pid);
        if (!before || strcmp(before->command, second[i].command) || second[i].ticks < before->ticks) continue;
        double percent = (double)(second[i].ticks - before->ticks) * per_tick;
        if (percent < BUSY_MIN_PERCENT || in_own_tree(second, n1, second[i].pid)) continue;
        /* Insert into the top list, largest first. */
        int at = out->nbusy < ASB_NOISE_BUSY ? out->nbusy++ : ASB_NOISE_BUSY;
        while (at > 0 && out->busy[at - 1].cpu_percent < percent) {
            if (at < ASB_NOISE_BUSY) out->busy[at] = out->busy[at - 1];
            at--;
        }
        if (at < ASB_NOISE_BUSY) {
            out->busy[at].pid = second[i].pid;
            out->busy[at].cpu_percent = percent;
            snprintf(out->busy[at].command, sizeof out->busy[at].command, "%s", second[i].command);
        }
    }
    free(first);
    free(second);
}

void asb_env_noise_snapshot(asb_noise *out) {
    *out = (asb_noise){.loadavg = {NAN, NAN, NAN}};
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out->time, sizeof out->time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &out->loadavg[0], &out->loadavg[1], &out->loadavg[2]) != 3)
            out->loadavg[0] = out->loadavg[1] = out->loadavg[2] = NAN;
        fclose(f);
    }
    /* cpu  user nice system idle iowait irq softirq steal guest guest_nice;
     * guest time is already inside user and nice. */
    unsigned long long v[8] = {0};
    f = fopen("/proc/stat", "r");
    if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                    &v[7]) >= 4) {
        for (int i = 0; i < 8; i++) out->jiffies_total += v[i];
        out->jiffies_busy = out->jiffies_total - v[3] - v[4];
        out->jiffies_steal = v[7];
    }
    if (f) fclose(f);
    sample_busy(out);
}

static double fraction(unsigned long long part_before, unsigned long long part_after, const asb_noise *before,
                       const asb_noise *after) {
    if (after->jiffies_total <= before->jiffies_total || part_after < part_before) return NAN;
    return (double)(part_after - part_before) / (double)(after->jiffies_total - before->jiffies_total);
}

double asb_noise_steal_fraction(const asb_noise *before, const asb_noise *after) {
    return fraction(before->jiffies_steal, after->jiffies_steal, before, after);
}

double asb_noise_busy_fraction(const asb_noise *before, const asb_noise *after) {
    return fraction(before->jiffies_busy, after->jiffies_busy, before, after);
}

static void json_number(FILE *f, double v) {
    if (isnan(v)) fputs("null", f);
    else fprintf(f, "%.4g", v);
}

static void write_snapshot(FILE *f, const asb_noise *s) {
    fputs("{\"time\": ", f);
    asb_json_string(f, s->time);
    fputs(", \"loadavg\": [", f);
    for (int i = 0; i < 3; i++) {
        if (i) fputs(", ", f);
        json_number(f, s->loadavg[i]);
    }
    fprintf(f, "], \"cpu_jiffies\": {\"total\": %llu, \"busy\": %llu, \"steal\": %llu}, \"busy_processes\": [",
            s->jiffies_total, s->jiffies_busy, s->jiffies_steal);
    for (int i = 0; i < s->nbusy; i++) {
        fprintf(f, "%s{\"pid\": %d, \"command\": ", i ? ", " : "", s->busy[i].pid);
        asb_json_string(f, s->busy[i].command);
        fputs(", \"cpu_percent\": ", f);
        json_number(f, s->busy[i].cpu_percent);
        fputc('}', f);
    }
    fputs("]}", f);
}

int asb_env_write_noise(const char *dir, const asb_noise *before, const asb_noise *after) {
    char path[4096], tmp[4096];
    snprintf(path, sizeof path, "%s/env.json", dir);
    snprintf(tmp, sizeof tmp, "%s/.env.json.tmp", dir);
    FILE *in = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    if (in) {
        fseek(in, 0, SEEK_END);
        long size = ftell(in);
        rewind(in);
        text = size > 0 ? malloc((size_t)size + 1) : NULL;
        len = text ? fread(text, 1, (size_t)size, in) : 0;
        fclose(in);
    }
    if (!text) {
        fprintf(stderr, "asbench: cannot read %s to add the noise figures: %s\n", path, strerror(errno));
        return -1;
    }
    text[len] = 0;
    /* The noise object is the last member: replace it, or append it after
     * the others (the object's closing brace is the last one). */
    char *cut = strstr(text, ",\n  \"noise\": ");
    if (!cut) cut = strrchr(text, '}');
    while (cut && cut > text && cut[-1] == '\n') cut--;
    if (!cut) {
        fprintf(stderr, "asbench: %s is not an env.json object; noise figures not written\n", path);
        free(text);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", tmp, strerror(errno));
        free(text);
        return -1;
    }
    fwrite(text, 1, (size_t)(cut - text), f);
    fputs(",\n  \"noise\": {\n    \"before\": ", f);
    write_snapshot(f, before);
    if (after) {
        fputs(",\n    \"after\": ", f);
        write_snapshot(f, after);
        fputs(",\n    \"between\": {\"steal_fraction\": ", f);
        json_number(f, asb_noise_steal_fraction(before, after));
        fputs(", \"busy_fraction\": ", f);
        json_number(f, asb_noise_busy_fraction(before, after));
        fputc('}', f);
    }
    fputs("\n  }\n}\n", f);
    free(text);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
