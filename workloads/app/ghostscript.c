/*
 * ghostscript.c — app:ghostscript, Ghostscript rendering a generated
 * PostScript file (random filled and stroked Bézier paths and text on every
 * page) to PPM on stdout.  The interpreter's VM chunks, the path and clip
 * lists and the band buffers come from malloc through its own chunk
 * allocator: fewer, larger blocks than the interpreters above.
 */
#include "app.h"

/* The drawing program; pages and the seed come before it. */
static const char program[] =
    "/rnd { seed 1103515245 mul 12345 add 2147483648 mod /seed exch def seed exch mod } def\n"
    "1 1 pages { pop\n"
    "  0 1 300 { pop\n"
    "    newpath 612 rnd 792 rnd moveto\n"
    "    5 { 612 rnd 792 rnd 612 rnd 792 rnd 612 rnd 792 rnd curveto } repeat\n"
    "    closepath 100 rnd 100 div 100 rnd 100 div 100 rnd 100 div setrgbcolor\n"
    "    1000 rnd 2 mod 0 eq { fill } { 3 setlinewidth stroke } ifelse\n"
    "  } for\n"
    "  /Helvetica findfont 14 scalefont setfont\n"
    "  0 1 40 { 20 mul 40 add 50 exch moveto (asbench renders text and curves) show } for\n"
    "  showpage\n"
    "} for\n";

static int generate(asb_app_ctx *x) {
    FILE *f = asb_app_create(x, "pages.ps");
    if (!f) return -1;
    fprintf(f, "%%!PS\n/pages %ld def\n/seed %llu def\n%s", x->scale, (unsigned long long)(x->seed % 1000000), program);
    return asb_app_close(x, f);
}

/* One op per page. */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale);
}

static const asb_app ghostscript_app = {
    .name = "ghostscript",
    .package = "ghostscript",
    .programs = "/usr/bin/gs",
    .stresses = "interpreter VM chunks, path and clip lists, band buffers (its own chunk allocator over malloc)",
    .input = "PostScript: SCALE pages of 300 random Bezier paths (filled or stroked) and 41 lines of text",
    .scale = "24",
    .quick_scale = "1",
    .scale_help = "pages",
    .generate = generate,
    .command = "exec /usr/bin/gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=ppmraw -r72 -sOutputFile=- "
               "\"$ASB_INPUT/pages.ps\"",
    .parse = parse,
};
ASB_REGISTER_APP(ghostscript_app)
