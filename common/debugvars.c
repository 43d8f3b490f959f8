/* debugvars.c — the strict GODEBUG-style settings parser (see debugvars.h). */
#include "debugvars.h"

#include <limits.h>
#include <string.h>

/* A bounded, always terminated message built without stdio. */
typedef struct message {
    char *buf;
    size_t cap, len;
} message;

static void put_n(message *m, const char *s, size_t n) {
    for (; n && m->len + 1 < m->cap; n--) m->buf[m->len++] = *s++;
    if (m->cap) m->buf[m->len] = 0;
}

static void put(message *m, const char *s) { put_n(m, s, strlen(s)); }

static void put_int(message *m, int x) {
    char digits[12];
    int n = 0;
    unsigned u = x < 0 ? 0u - (unsigned)x : (unsigned)x;
    do digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < (int)sizeof digits);
    if (x < 0) put(m, "-");
    while (n) put_n(m, &digits[--n], 1);
}

static bool same(const char *s, size_t len, const char *word) { return strlen(word) == len && !memcmp(s, word, len); }

/* A decimal integer in [min, max], no sign unless min < 0. */
static bool parse_int(const char *s, size_t len, int min, int max, int *out) {
    bool neg = len > 0 && s[0] == '-' && min < 0;
    size_t i = neg ? 1 : 0;
    if (i == len) return false;
    long long x = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (s[i] - '0');
        if (x > (long long)INT_MAX + 1) return false;
    }
    if (neg) x = -x;
    if (x < min || x > max) return false;
    *out = (int)x;
    return true;
}

/* What a key accepts, for the message about a bad value. */
static void put_expected(message *m, const asb_debugvar *k) {
    put(m, "expected ");
    if (k->words) {
        for (int i = 0; k->words[i]; i++) {
            if (i) put(m, k->words[i + 1] ? ", " : " or ");
            put(m, k->words[i]);
        }
    } else if (k->min == 0 && k->max == 1) {
        put(m, "0 or 1");
    } else {
        put(m, "an integer in ");
        put_int(m, k->min);
        put(m, "..");
        put_int(m, k->max);
    }
}

static bool parse_value(const asb_debugvar *k, const char *v, size_t len, int *out) {
    if (!k->words) return parse_int(v, len, k->min, k->max, out);
    for (int i = 0; k->words[i]; i++)
        if (same(v, len, k->words[i])) {
            *out = i;
            return true;
        }
    return false;
}

/* One "key=value" item of len bytes. */
static bool parse_item(const asb_debugvars *t, const char *item, size_t len, void *settings, message *m) {
    const char *eq = memchr(item, '=', len);
    size_t klen = eq ? (size_t)(eq - item) : len;
    if (!eq || klen == 0) {
        put(m, t->var);
        put(m, ": ");
        put_n(m, item, len);
        put(m, ": expected key=value");
        return false;
    }
    const asb_debugvar *k = NULL;
    for (int i = 0; i < t->nkeys && !k; i++)
        if (same(item, klen, t->keys[i].name)) k = &t->keys[i];
    if (!k) {
        put(m, t->var);
        put(m, ": unknown key ");
        put_n(m, item, klen);
        put(m, " (known: ");
        for (int i = 0; i < t->nkeys; i++) {
            if (i) put(m, ", ");
            put(m, t->keys[i].name);
        }
        put(m, ")");
        return false;
    }
    int x;
    if (!parse_value(k, eq + 1, len - klen - 1, &x)) {
        put(m, t->var);
        put(m, ": ");
        put_n(m, item, len);
        put(m, ": ");
        put_expected(m, k);
        return false;
    }
    char *field = (char *)settings + k->offset;
    if (k->kind == ASB_DEBUGVAR_KIND_BOOL) *(bool *)field = x != 0;
    else *(int *)field = x;
    return true;
}

int asb_debugvars_parse(const asb_debugvars *t, const char *s, void *settings, char *err, size_t errlen) {
    message m = {err, errlen, 0};
    if (errlen) err[0] = 0;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len && !parse_item(t, s, len, settings, &m)) return -1;
        s = end ? end + 1 : NULL;
    }
    return 0;
}
