/*
 * lua.c — app:lua5.4, the Lua 5.4 interpreter running binary-trees (the
 * benchmarks game: tables allocated and dropped in bulk, one long-lived
 * tree) and then a string/table churn (interned strings, a growing hash).
 * Lua takes every block from its allocator function, which calls
 * realloc/free.
 */
#include "app.h"

static const char script[] =
    "-- binary-trees (the benchmarks game) then a table/string churn\n"
    "local depth = tonumber(arg[1])\n"
    "local function bottom_up(d)\n"
    "  if d == 0 then return {} end\n"
    "  d = d - 1\n"
    "  return { bottom_up(d), bottom_up(d) }\n"
    "end\n"
    "local function check(t)\n"
    "  if t[1] then return 1 + check(t[1]) + check(t[2]) end\n"
    "  return 1\n"
    "end\n"
    "local nodes = 0\n"
    "local long_lived = bottom_up(depth)\n"
    "for d = 4, depth, 2 do\n"
    "  local iters = 1 << (depth - d + 4)\n"
    "  local c = 0\n"
    "  for _ = 1, iters do c = c + check(bottom_up(d)) end\n"
    "  nodes = nodes + c\n"
    "  print(string.format(\"%d trees of depth %d check: %d\", iters, d, c))\n"
    "end\n"
    "print(string.format(\"long lived tree of depth %d check: %d\", depth, check(long_lived)))\n"
    "local seed = 42\n"
    "local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n end\n"
    "local counts, parts = {}, {}\n"
    "for i = 1, 1 << (depth + 2) do\n"
    "  local len = 3 + rnd(8)\n"
    "  for k = 1, len do parts[k] = string.char(97 + rnd(26)) end\n"
    "  local w = table.concat(parts, \"\", 1, len)\n"
    "  counts[w] = (counts[w] or 0) + 1\n"
    "  if i % 1000 == 0 then parts = {} end\n"
    "end\n"
    "local distinct, weighted = 0, 0\n"
    "for w, n in pairs(counts) do distinct = distinct + 1; weighted = weighted + n * #w end\n"
    "print(string.format(\"words: %d distinct, weighted length %d\", distinct, weighted))\n"
    "print(string.format(\"nodes: %d\", nodes))\n";

static int generate(asb_app_ctx *x) { return asb_app_write_file(x, "bench.lua", script); }

/* One op per tree node checked. */
static void parse(asb_app_ctx *x, const char *out) { asb_app_set_ops(x, asb_app_number_after(out, "nodes: ")); }

static const asb_app lua_app = {
    .name = "lua5.4",
    .package = "lua5.4",
    .programs = "/usr/bin/lua5.4",
    .stresses = "GC-managed tables allocated and freed in bulk (realloc/free), interned strings",
    .input = "binary-trees of depth SCALE, then 2^(SCALE+2) random words counted in a table",
    .scale = "14",
    .quick_scale = "8",
    .scale_help = "binary-trees depth (work doubles per step)",
    .generate = generate,
    .command = "exec /usr/bin/lua5.4 \"$ASB_INPUT/bench.lua\" \"$ASB_SCALE\"",
    .parse = parse,
};
ASB_REGISTER_APP(lua_app)
