/*
 * python3.c — app:python3 and app:python3-malloc, CPython 3 running json
 * round trips, regular expressions and object churn (trees of instances with
 * dicts and lists made and dropped).  CPython serves blocks up to 512 bytes
 * from its own pymalloc arenas (mmap) and only larger ones from malloc:
 * app:python3 measures Python as shipped, app:python3-malloc sets
 * PYTHONMALLOC=malloc so that the backend serves every block.  The script
 * says which allocator was active (sys.getallocatedblocks() counts pymalloc's
 * blocks, 0 without it): extra app_pymalloc = 1 or 0.
 */
#include <string.h>

#include "app.h"

static const char script[] =
    "# json round trips, regular expressions and object churn\n"
    "import json, random, re, sys\n"
    "\n"
    "n = int(sys.argv[1])\n"
    "rng = random.Random(42)\n"
    "letters = \"abcdefghijklmnopqrstuvwxyz\"\n"
    "\n"
    "\n"
    "class Node:\n"
    "    def __init__(self, key, parent):\n"
    "        self.key = key\n"
    "        self.parent = parent\n"
    "        self.children = []\n"
    "        self.attrs = {\"k\": key, \"name\": \"n%d\" % key}\n"
    "\n"
    "\n"
    "docs = []\n"
    "for i in range(n):\n"
    "    docs.append({\"id\": i,\n"
    "                 \"name\": \"\".join(rng.choice(letters) for _ in range(rng.randint(3, 12))),\n"
    "                 \"tags\": [rng.randint(0, 999) for _ in range(rng.randint(0, 8))],\n"
    "                 \"score\": round(rng.random(), 6),\n"
    "                 \"nested\": {\"a\": [str(rng.randint(0, 99)) for _ in range(3)]}})\n"
    "text = json.dumps(docs, sort_keys=True)\n"
    "back = json.loads(text)\n"
    "assert back == docs\n"
    "words = re.findall(r'\"name\": \"([a-m][a-z]*)\"', text)\n"
    "tags = sum(int(t) for t in re.findall(r\"\\b(\\d{3})\\b\", text))\n"
    "swapped = re.sub(r\"([aeiou])([a-z])\", r\"\\2\\1\", text[: 200000])\n"
    "total = 0\n"
    "for r in range(max(1, n // 50)):\n"
    "    root = Node(0, None)\n"
    "    level = [root]\n"
    "    k = 1\n"
    "    for depth in range(4):\n"
    "        nxt = []\n"
    "        for node in level:\n"
    "            for _ in range(5):\n"
    "                child = Node(k, node)\n"
    "                node.children.append(child)\n"
    "                nxt.append(child)\n"
    "                k += 1\n"
    "        level = nxt\n"
    "    total += sum(len(x.attrs[\"name\"]) for x in level)\n"
    "print(\"json bytes\", len(text), \"names\", len(words), \"tags\", tags, \"swapped\", len(swapped))\n"
    "print(\"tree names\", total)\n"
    "print(\"documents:\", n)\n"
    "print(\"allocator:\", \"pymalloc\" if sys.getallocatedblocks() > 0 else \"malloc\")\n";

static int generate(asb_app_ctx *x) { return asb_app_write_file(x, "bench.py", script); }

/* One op per document; which allocator CPython used. */
static void parse(asb_app_ctx *x, const char *out) {
    asb_app_set_ops(x, asb_app_number_after(out, "documents: "));
    asb_app_report(x, "pymalloc", strstr(out, "allocator: pymalloc") ? 1 : 0);
}

#define PYTHON_APP(app_name, settings, what)                                                       \
    {                                                                                              \
        .name = app_name, .package = "python3", .programs = "/usr/bin/python3",                    \
        .stresses = "dicts, lists and strings made and dropped; json parse/dump, regex; " what,    \
        .input = "SCALE random documents through json and regular expressions, SCALE/50 trees",   \
        .scale = "15000", .quick_scale = "300", .scale_help = "documents", .env = settings,       \
        .generate = generate, .command = "exec /usr/bin/python3 -s \"$ASB_INPUT/bench.py\" \"$ASB_SCALE\"", \
        .parse = parse,                                                                            \
    }

/* PYTHONHASHSEED=0: the same string hashes, so the same dict layouts, in every run. */
static const asb_app python3_app =
    PYTHON_APP("python3", "PYTHONHASHSEED=0", "blocks up to 512 B stay in pymalloc (default)");
static const asb_app python3_malloc_app =
    PYTHON_APP("python3-malloc", "PYTHONHASHSEED=0;PYTHONMALLOC=malloc", "every block from malloc (PYTHONMALLOC=malloc)");
ASB_REGISTER_APP(python3_app)
ASB_REGISTER_APP(python3_malloc_app)
