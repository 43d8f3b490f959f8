/*
 * ruby.c — app:ruby, the Ruby interpreter running an rbstress-like script
 * (mimalloc-bench's rbstress: strings, arrays and hashes made and dropped
 * while a window of records stays live, periodic sorts and joins).  Ruby's
 * heap pages and every string or array body beyond an object slot come from
 * malloc.
 */
#include "app.h"

static const char script[] =
    "# rbstress-like: strings, arrays and hashes made and dropped, a window kept live\n"
    "n = ARGV[0].to_i\n"
    "rng = Random.new(42)\n"
    "letters = (\"a\"..\"z\").to_a\n"
    "live = []\n"
    "index = Hash.new { |h, k| h[k] = [] }\n"
    "bytes = 0\n"
    "n.times do |i|\n"
    "  word = Array.new(3 + rng.rand(10)) { letters[rng.rand(26)] }.join\n"
    "  rec = { id: i, word: word, tags: Array.new(rng.rand(6)) { rng.rand(1000).to_s }, text: word * (1 + rng.rand(20)) }\n"
    "  index[word[0, 2]] << i\n"
    "  live << rec\n"
    "  live.shift(live.size / 2) if live.size > 20_000\n"
    "  bytes += rec[:text].bytesize\n"
    "  if i % 10_000 == 0\n"
    "    joined = live.map { |r| r[:word] }.sort.join(\",\")\n"
    "    bytes += joined.bytesize\n"
    "  end\n"
    "end\n"
    "sizes = index.values.map(&:size)\n"
    "puts \"records: #{n}\"\n"
    "puts \"buckets #{index.size} max #{sizes.max} bytes #{bytes} live #{live.size}\"\n";

static int generate(asb_app_ctx *x) { return asb_app_write_file(x, "stress.rb", script); }

/* One op per record made. */
static void parse(asb_app_ctx *x, const char *out) { asb_app_set_ops(x, asb_app_number_after(out, "records: ")); }

static const asb_app ruby_app = {
    .name = "ruby",
    .package = "ruby",
    .programs = "/usr/bin/ruby",
    .stresses = "string and array bodies of varied sizes, a sliding live window, GC sweeps freeing in bulk",
    .input = "SCALE random records (word, tags, repeated text) with a 20 000-record live window",
    .scale = "200000",
    .quick_scale = "3000",
    .scale_help = "records",
    .generate = generate,
    .command = "exec /usr/bin/ruby \"$ASB_INPUT/stress.rb\" \"$ASB_SCALE\"",
    .parse = parse,
};
ASB_REGISTER_APP(ruby_app)
