/* util.c — small helpers of the CLI: errors, allocation, string lists,
 * paths, and the table of backends the build knows. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asbench.h"

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

const asb_backend_entry *asb_backend_entry_find(const char *name) {
    for (int i = 0; i < asb_nbackends; i++)
        if (strcmp(asb_backends[i].name, name) == 0) return &asb_backends[i];
    return NULL;
}

static void valid_backends(char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; i < asb_nbackends; i++) {
        if (!asb_backends[i].found) continue;
        if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, asb_backends[i].name, len - strlen(buf) - 1);
    }
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

int asb_parse_allocs(const char *spec, asb_alloc_choice **out, char **err) {
    asb_strlist parts = {0};
    asb_strlist_split(&parts, spec, ',');
    if (parts.n == 1 && strcmp(parts.items[0], "all") == 0) {
        asb_strlist_free(&parts);
        for (int i = 0; i < asb_nbackends; i++)
            if (asb_backends[i].found) asb_strlist_push(&parts, asb_backends[i].name);
    }
    if (parts.n == 0) return alloc_error(err, &parts, "no backend named");
    char valid[512];
    valid_backends(valid, sizeof valid);
    /* Validate every name before allocating anything, so errors leak nothing.
     * "name=/path" entries are cut at the '=' here; the path follows the NUL. */
    for (int i = 0; i < parts.n; i++) {
        char *name = parts.items[i], *eq = strchr(name, '=');
        if (eq) {
            *eq = 0;
            if (!*name || !eq[1]) return alloc_error(err, &parts, "%s=%s: expected name=/path/to/lib.so", name, eq + 1);
            if (asb_backend_entry_find(name) || !strcmp(name, "go"))
                return alloc_error(err, &parts, "%s=…: '%s' is a built backend's name; pick another", name, name);
            if (access(eq + 1, R_OK) != 0)
                return alloc_error(err, &parts, "%s=%s: cannot read the library: %s", name, eq + 1, strerror(errno));
            continue;
        }
        const asb_backend_entry *e = asb_backend_entry_find(name);
        if (!e) return alloc_error(err, &parts, "unknown backend '%s' (valid: %s, or name=/path/to/lib.so)", name, valid);
        if (!e->found)
            return alloc_error(err, &parts,
                               "backend '%s' was not found at build time (install Debian package %s and rebuild; found: %s)",
                               name, e->debian_package, valid);
    }
    asb_alloc_choice *c = asb_xmalloc((unsigned)parts.n * sizeof *c);
    for (int i = 0; i < parts.n; i++) {
        const char *name = parts.items[i];
        c[i] = (asb_alloc_choice){asb_xstrdup(name), NULL};
        if (asb_backend_entry_find(name)) continue;
        const char *path = name + strlen(name) + 1;
        char *abs = realpath(path, NULL);
        c[i].preload = abs ? abs : asb_xstrdup(path);
    }
    int n = parts.n;
    asb_strlist_free(&parts);
    *out = c;
    return n;
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
