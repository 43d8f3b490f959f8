/*
 * debugvars.h — one strict parser for the GODEBUG-style ablation settings,
 * GOSTYLEDEBUG (allocators/gostyle/runtime1.c) and GMPDEBUG
 * (schedulers/gmp/runtime1.c): "key=value,key=value" against a table of the
 * known keys, as Go's runtime1.go parses GODEBUG against its dbgvars.
 *
 * Unlike Go's parser this one refuses an unknown key or a bad value with a
 * message naming it ("GMPDEBUG: unknown key runext (known: …)"): an ablation
 * run with a misspelt switch would otherwise measure the default and say it
 * measured the ablation.  Empty items (a trailing comma) are skipped; a key
 * given twice takes its last value.
 *
 * The allocator parses inside its first malloc, so the parser allocates
 * nothing and uses no stdio.
 */
#ifndef ASB_DEBUGVARS_H
#define ASB_DEBUGVARS_H

#include <stdbool.h>
#include <stddef.h>

enum asb_debugvar_kind { ASB_DEBUGVAR_KIND_BOOL, ASB_DEBUGVAR_KIND_INT };

/* One key: a field of the settings struct it is parsed into. */
typedef struct asb_debugvar {
    const char *name;          /* the key, the field's name */
    size_t offset;             /* of the field in the settings struct */
    enum asb_debugvar_kind kind;
    int min, max;              /* accepted integers (0..1 for a switch) */
    const char *const *words;  /* or NULL-terminated words: the field gets the word's index */
} asb_debugvar;

typedef struct asb_debugvars {
    const char *var;           /* the environment variable, "GMPDEBUG" */
    const asb_debugvar *keys;
    int nkeys;
} asb_debugvars;

/* Table entries: a bool switch (0 or 1), an int in lo..hi, or an int holding
 * the index of one of `words`.  _Generic refuses a field of another type. */
#define ASB_DEBUGVAR_FIELD_KIND(type, field) \
    _Generic(((type *)0)->field, bool: ASB_DEBUGVAR_KIND_BOOL, int: ASB_DEBUGVAR_KIND_INT)
#define ASB_DEBUGVAR_SWITCH(type, field) \
    {#field, offsetof(type, field), ASB_DEBUGVAR_FIELD_KIND(type, field), 0, 1, NULL}
#define ASB_DEBUGVAR_INT(type, field, lo, hi) \
    {#field, offsetof(type, field), ASB_DEBUGVAR_FIELD_KIND(type, field), lo, hi, NULL}
#define ASB_DEBUGVAR_WORDS(type, field, wordlist) \
    {#field, offsetof(type, field), ASB_DEBUGVAR_FIELD_KIND(type, field), 0, 0, wordlist}

/* Room for any message of the parser (a longer one is cut). */
#define ASB_DEBUGVARS_ERR_MAX 256

/* Parse `s` (NULL or "" sets nothing) into the fields of *settings named by
 * the table; fields whose keys `s` does not name keep their values.  Returns
 * 0, or -1 with the message in err (errlen bytes, ASB_DEBUGVARS_ERR_MAX
 * suffice), *settings then partly set. */
int asb_debugvars_parse(const asb_debugvars *t, const char *s, void *settings, char *err, size_t errlen);

#endif
