/* util.c — small helpers of the CLI: errors, allocation, string lists,
 * paths, and the table of backends the build knows. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asbench.h"
#include "settings.h"

void asb_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void vmessage(const char *fmt, va_list ap) {
    fputs("asbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void asb_die_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    exit(ASB_EXIT_USAGE);
}

void asb_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    exit(1);
}

void *asb_xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p) asb_die("out of memory");
    return p;
}

char *asb_xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) asb_die("out of memory");
    return p;
}

char *asb_xstrndup(const char *s, size_t n) {
    char *d = strndup(s, n);
    if (!d) asb_die("out of memory");
    return d;
}

char *asb_xasprintf(const char *fmt, ...) {
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) asb_die("out of memory");
    return s;
}

const char *asb_exe_dir(void) {
    static char dir[PATH_MAX];
    if (!dir[0]) {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        if (n < 0) asb_die("cannot read /proc/self/exe: %s", strerror(errno));
        dir[n] = 0;
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
    }
    return dir;
}

int asb_mkdirs(const char *path) {
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

void asb_strlist_push(asb_strlist *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = realloc(l->items, (size_t)l->cap * sizeof *l->items);
        if (!l->items) asb_die("out of memory");
    }
    l->items[l->n++] = asb_xstrdup(s);
}

void asb_strlist_split(asb_strlist *l, const char *s, char sep) {
    char *copy = asb_xstrdup(s), *start = copy;
    for (char *p = copy;; p++) {
        if (*p == sep || !*p) {
            bool end = !*p;
            *p = 0;
            if (*start) asb_strlist_push(l, start);
            if (end) break;
            start = p + 1;
        }
    }
    free(copy);
}

bool asb_strlist_has(const asb_strlist *l, const char *s) {
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0) return true;
    return false;
}

char *asb_strlist_join(const asb_strlist *l) {
    size_t len = 1;
    for (int i = 0; i < l->n; i++) len += strlen(l->items[i]) + 1;
    char *out = asb_xmalloc(len), *o = out;
    for (int i = 0; i < l->n; i++) o += sprintf(o, "%s%s", i ? " " : "", l->items[i]);
    *o = 0;
    return out;
}

void asb_strlist_free(asb_strlist *l) {
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    *l = (asb_strlist){0};
}

const asb_backend_entry asb_backends[] = {
#define ASB_BACKEND(name, found, pkg, ver) {#name, found, pkg, ver},
#include "asb_backends.h"
#undef ASB_BACKEND
};
const int asb_nbackends = sizeof asb_backends / sizeof *asb_backends;

/* The real Go heap: not a malloc library but the Go runtime, run in the Go
 * worker (workloads/sched/go); not in asb_backends[], so `--alloc all`
 * stays the C backends (name it: --alloc all is not expanded with it), but
 * found by name like them. */
static const char go_heap[] = "go";

char *asb_worker_path(const char *worker) {
    if (!strcmp(worker, go_heap)) return asb_xasprintf("%s/../workloads/sched/go/asbench-worker-go", asb_exe_dir());
    return asb_xasprintf("%s/asbench-worker-%s", asb_exe_dir(), worker);
}

bool asb_go_worker_built(void) {
    char *worker = asb_worker_path(go_heap);
    bool built = access(worker, X_OK) == 0;
    free(worker);
    return built;
}

const asb_backend_entry *asb_backend_entry_find(const char *name) {
    for (int i = 0; i < asb_nbackends; i++)
        if (strcmp(asb_backends[i].name, name) == 0) return &asb_backends[i];
    if (strcmp(name, go_heap) != 0) return NULL;
    static asb_backend_entry go = {go_heap, false, "golang-go", ""};
    go.found = asb_go_worker_built();
    return &go;
}

static void valid_backends(char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; i < asb_nbackends; i++) {
        if (!asb_backends[i].found) continue;
        if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, asb_backends[i].name, len - strlen(buf) - 1);
    }
    strncat(buf, buf[0] ? ", go" : "go", len - strlen(buf) - 1);
}

/* Sets *err (allocated) and returns -1. */
static int alloc_error(char **err, asb_strlist *parts, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int alloc_error(char **err, asb_strlist *parts, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0) asb_die("out of memory");
    va_end(ap);
    asb_strlist_free(parts);
    return -1;
}

void asb_split_choices(asb_strlist *parts, const char *spec) {
    const char *item = spec;
    int depth = 0;
    for (const char *c = spec;; c++) {
        if (*c == '[') depth++;
        else if (*c == ']' && depth > 0) depth--;
        else if ((*c == ',' && depth == 0) || !*c) {
            if (c > item) {
                char *one = asb_xstrndup(item, (size_t)(c - item));
                asb_strlist_push(parts, one);
                free(one);
            }
            if (!*c) return;
            item = c + 1;
        }
    }
}

static bool valid_label(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-+", *s)) return false;
    return true;
}

/* "VAR=VALUE;VAR=VALUE": NULL if well formed, else the offending setting. */
static const char *bad_setting(const char *settings, char *buf, size_t len) {
    asb_strlist list = {0};
    asb_strlist_split(&list, settings, ';');
    const char *bad = list.n == 0 ? "" : NULL;
    for (int i = 0; i < list.n && !bad; i++) {
        const char *v = list.items[i];
        size_t name_len = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
        if (name_len == 0 || isdigit((unsigned char)v[0]) || v[name_len] != '=' || strpbrk(v, " \t\n")) {
            snprintf(buf, len, "%s", v);
            bad = buf;
        }
    }
    asb_strlist_free(&list);
    return bad;
}

int asb_parse_variant(const char *item, char **label, char **base, char **settings, char **err) {
    const char *eq = strchr(item, '='), *bracket = eq ? strchr(eq + 1, '[') : NULL;
    if (!bracket) return 0;
    *err = NULL;
    char *name = asb_xstrndup(item, (size_t)(eq - item));
    char *what = asb_xstrndup(eq + 1, (size_t)(bracket - eq - 1));
    size_t n = strlen(bracket);
    char bad[256];
    if (!valid_label(name))
        *err = asb_xasprintf("%s: a name must be letters, digits and _.-+ (name=base[VAR=VALUE;…])", item);
    else if (n < 3 || bracket[n - 1] != ']' || strchr(bracket + 1, '[') || memchr(bracket + 1, ']', n - 2))
        *err = asb_xasprintf("%s: expected name=base[VAR=VALUE;…] with the settings in one pair of brackets", item);
    if (!*err) {
        *settings = asb_xstrndup(bracket + 1, n - 2);
        char *refused;
        if (bad_setting(*settings, bad, sizeof bad))
            *err = asb_xasprintf("%s: setting '%s' is not VAR=VALUE", item, bad);
        else if (asb_check_settings_list(*settings, &refused) != 0) {
            *err = asb_xasprintf("%s: %s", item, refused);
            free(refused);
        }
        if (*err) free(*settings);
    }
    if (*err) {
        free(name);
        free(what);
        return -1;
    }
    *label = name;
    *base = what;
    return 1;
}

/* Checks one item of an --alloc list; NULL if valid, else the message.  `go`
 * is valid even when its worker was not built, as the `go` scheduler is: its
 * rows are then `unsupported` (measure.c). */
static char *check_alloc_item(const char *item, const char *valid) {
    const char *eq = strchr(item, '=');
    if (!eq) {
        if (!strcmp(item, go_heap)) return NULL;
        const asb_backend_entry *e = asb_backend_entry_find(item);
        if (!e)
            return asb_xasprintf("unknown backend '%s' (valid: %s, name=/path/to/lib.so, or name=backend[VAR=VALUE;…])",
                                 item, valid);
        if (!e->found)
            return asb_xasprintf("backend '%s' was not found at build time (install Debian package %s and rebuild; "
                                 "found: %s)",
                                 item, e->debian_package, valid);
        return NULL;
    }
    char *label = NULL, *base = NULL, *settings = NULL, *msg = NULL;
    int variant = asb_parse_variant(item, &label, &base, &settings, &msg);
    if (variant < 0) return msg;
    if (!variant) {
        label = asb_xstrndup(item, (size_t)(eq - item));
        if (!valid_label(label))
            msg = asb_xasprintf("%s: a name must be letters, digits and _.-+ (name=/path/to/lib.so)", item);
    }
    const asb_backend_entry *e = variant ? asb_backend_entry_find(base) : NULL;
    if (!msg && asb_backend_entry_find(label))
        msg = asb_xasprintf("%s=…: '%s' is a built backend's name; pick another", label, label);
    if (!msg && variant && (!e || !e->found) && strcmp(base, go_heap) != 0)
        msg = asb_xasprintf("%s: '%s' is not a built backend (found: %s)", item, base, valid);
    if (!msg && !variant && access(eq + 1, R_OK) != 0)
        msg = asb_xasprintf("%s=%s: cannot read the library: %s", label, eq + 1,
                            eq[1] ? strerror(errno) : "no path given (name=/path/to/lib.so or name=backend[VAR=VALUE;…])");
    free(label);
    free(base);
    free(settings);
    return msg;
}

int asb_parse_allocs(const char *spec, asb_alloc_choice **out, char **err) {
    asb_strlist parts = {0};
    asb_split_choices(&parts, spec);
    if (parts.n == 1 && strcmp(parts.items[0], "all") == 0) {
        asb_strlist_free(&parts);
        for (int i = 0; i < asb_nbackends; i++)
            if (asb_backends[i].found) asb_strlist_push(&parts, asb_backends[i].name);
    }
    if (parts.n == 0) return alloc_error(err, &parts, "no backend named");
    char valid[512];
    valid_backends(valid, sizeof valid);
    /* Validate every item before allocating anything, so errors leak nothing. */
    for (int i = 0; i < parts.n; i++) {
        char *msg = check_alloc_item(parts.items[i], valid);
        if (msg) {
            int r = alloc_error(err, &parts, "%s", msg);
            free(msg);
            return r;
        }
    }
    asb_alloc_choice *c = asb_xmalloc((unsigned)parts.n * sizeof *c);
    for (int i = 0; i < parts.n; i++) {
        const char *item = parts.items[i], *eq = strchr(item, '=');
        if (!eq) {
            c[i] = (asb_alloc_choice){asb_xstrdup(item), asb_xstrdup(item), NULL, NULL};
            continue;
        }
        char *msg;
        if (asb_parse_variant(item, &c[i].name, &c[i].worker, &c[i].env, &msg) == 0) {
            char *abs = realpath(eq + 1, NULL);
            c[i] = (asb_alloc_choice){asb_xstrndup(item, (size_t)(eq - item)), asb_xstrdup("glibc"),
                                      abs ? abs : asb_xstrdup(eq + 1), NULL};
        }
    }
    int n = parts.n;
    asb_strlist_free(&parts);
    *out = c;
    return n;
}

void asb_refuse_go_heap(const char *cmd, const asb_alloc_choice *choices, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(choices[i].worker, go_heap))
            asb_die_usage("%s: --alloc %s: the Go heap is no malloc; it runs only the workloads of `asbench run`", cmd,
                          choices[i].name);
}

asb_alloc_choice asb_alloc_choice_copy(const asb_alloc_choice *a) {
    return (asb_alloc_choice){asb_xstrdup(a->name), asb_xstrdup(a->worker), a->preload ? asb_xstrdup(a->preload) : NULL,
                              a->env ? asb_xstrdup(a->env) : NULL};
}

void asb_alloc_choice_free(asb_alloc_choice *a) {
    free(a->name);
    free(a->worker);
    free(a->preload);
    free(a->env);
}

void asb_alloc_choice_setenv(const asb_alloc_choice *a) {
    if (a->preload) setenv("LD_PRELOAD", a->preload, 1);
    if (a->env) asb_setenv_settings(a->env);
}

void asb_setenv_settings(const char *settings) {
    asb_strlist list = {0};
    asb_strlist_split(&list, settings, ';');
    for (int i = 0; i < list.n; i++) {
        char *eq = strchr(list.items[i], '=');
        *eq = 0;
        setenv(list.items[i], eq + 1, 1);
    }
    asb_strlist_free(&list);
}

char *asb_alloc_choice_describe(const asb_alloc_choice *a) {
    if (a->preload) return asb_xasprintf("%s=%s", a->name, a->preload);
    if (a->env) return asb_xasprintf("%s=%s[%s]", a->name, a->worker, a->env);
    return asb_xstrdup(a->name);
}

const char *asb_source_dir(void) {
    const char *env = getenv("ASBENCH_SOURCE_DIR"); /* a moved build tree */
    return env && *env ? env : ASB_SOURCE_DIR;
}

bool asb_program_on_path(const char *name) {
    const char *path = getenv("PATH");
    if (!path) return false;
    asb_strlist dirs = {0};
    asb_strlist_split(&dirs, path, ':');
    bool found = false;
    for (int i = 0; i < dirs.n && !found; i++) {
        char *p = asb_xasprintf("%s/%s", dirs.items[i], name);
        found = access(p, X_OK) == 0;
        free(p);
    }
    asb_strlist_free(&dirs);
    return found;
}

char *asb_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t n = 0, cap = 4096;
    char *buf = asb_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            buf = realloc(buf, cap *= 2);
            if (!buf) asb_die("out of memory");
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}
