/*
 * nginx.c — app:nginx, nginx (one process: master_process off) serving a
 * generated 16 KiB text page gzip-compressed on the fly, driven by the
 * package's own client ab (apache2-utils): SCALE requests, 50 concurrent,
 * each asking for gzip.  Every request builds and frees a request pool
 * (posix_memalign/malloc) and a zlib deflate state sized to the page
 * (through the pool), so the allocator sees large blocks made and dropped
 * per request.
 *
 * Checked: ab counts a response whose length differs from the first one's
 * as failed; the page's compressed length and the bytes transferred go to
 * verify.txt, compared with the glibc run's; a failed or non-2xx response
 * is verify-failed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum { PAGE_BYTES = 16384 };

/* Words from a fixed list in a seeded order: text that gzip compresses ~3x. */
static int nginx_generate(asb_app_ctx *x) {
    static const char *words[] = {"allocator", "span", "arena", "heap", "page", "block", "free", "list",
                                  "size", "class", "cache", "thread", "central", "scavenger", "sweep", "mark"};
    FILE *f = asb_app_create(x, "page.txt");
    if (!f) return -1;
    uint64_t state = x->seed;
    long written = 0;
    while (written < PAGE_BYTES) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const char *w = words[(state >> 33) % (sizeof words / sizeof *words)];
        written += fprintf(f, "%s%s", w, (state >> 60) == 0 ? ".\n" : " ");
    }
    return asb_app_close(x, f);
}

/* The configuration goes into the work folder: the port is in it. */
static void nginx_args(asb_app_ctx *x, int port, asb_argv *a) {
    char *conf = asb_xasprintf("%s/nginx.conf", x->work_dir);
    FILE *f = fopen(conf, "we");
    if (f) {
        fprintf(f,
                "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log stderr warn;\npid %s/nginx.pid;\n"
                "events { worker_connections 1024; }\n"
                "http {\n  access_log off;\n  default_type text/plain;\n"
                "  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;\n"
                "  uwsgi_temp_path %s; scgi_temp_path %s;\n"
                "  gzip on; gzip_min_length 0; gzip_http_version 1.0; gzip_types text/plain; gzip_comp_level 6;\n"
                "  server { listen 127.0.0.1:%d; root %s; }\n}\n",
                x->work_dir, x->work_dir, x->work_dir, x->work_dir, x->work_dir, x->work_dir, port, x->input_dir);
        if (fclose(f) != 0) asb_app_fail(x, "cannot write %s", conf);
    } else {
        asb_app_fail(x, "cannot write %s", conf); /* nginx then exits at once, naming the file */
    }
    const char *args[] = {"-e", "stderr", "-p", x->work_dir, "-c", conf};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(a, args[i]);
    free(conf);
}

static int nginx_drive(asb_app_ctx *x, asb_server *s) {
    asb_argv ab = {0};
    const char *args[] = {"/usr/bin/ab", "-c", "50", "-H", "Accept-Encoding: gzip", "-n"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(&ab, args[i]);
    asb_argv_pushf(&ab, "%ld", x->scale);
    asb_argv_pushf(&ab, "http://127.0.0.1:%d/page.txt", asb_server_port(s));
    int r = asb_server_client(x, s, &ab, x->stdout_path);
    asb_argv_free(&ab);
    if (r != 0) return r;
    char *out = asb_read_file(x->stdout_path, NULL);
    double complete = asb_app_number_after(out, "Complete requests:"),
           failed = asb_app_number_after(out, "Failed requests:"),
           non2xx = asb_app_number_after(out, "Non-2xx responses:"),
           length = asb_app_number_after(out, "Document Length:"),
           html = asb_app_number_after(out, "HTML transferred:");
    free(out);
    if (isnan(complete) || isnan(failed) || isnan(length) || isnan(html))
        return asb_app_fail(x, "ab's output lacks its request counts (see %s)", x->stdout_path);
    if (failed > 0 || non2xx > 0)
        return asb_server_verify_failed(x, s, "ab: %.0f responses of a wrong length, %.0f not 2xx, of %.0f",
                                        failed, isnan(non2xx) ? 0 : non2xx, complete);
    char *verify = asb_xasprintf("%s/verify.txt", x->work_dir);
    FILE *f = fopen(verify, "we");
    if (f) {
        fprintf(f, "complete=%.0f\ngzip_length=%.0f\nhtml_bytes=%.0f\n", complete, length, html);
        if (fclose(f) != 0) f = NULL;
    }
    free(verify);
    return f ? 0 : asb_app_fail(x, "cannot write verify.txt in %s", x->work_dir);
}

/* ab: "Requests per second:    2071.01 [#/sec]", "  50%     12" (ms). */
static void nginx_parse(asb_app_ctx *x, const char *out) {
    asb_app_report(x, "rps", asb_app_number_after(out, "Requests per second:"));
    asb_app_report(x, "p50_ms", asb_app_number_after(out, "  50%"));
    asb_app_report(x, "p99_ms", asb_app_number_after(out, "  99%"));
    asb_app_set_ops(x, asb_app_number_after(out, "Complete requests:"));
}

static const asb_server_spec nginx_spec = {
    .program = "/usr/sbin/nginx",
    .args = nginx_args,
    .probe = "HEAD /page.txt HTTP/1.0\r\n\r\n",
    .probe_reply = "HTTP/1.1 200",
    .drive = nginx_drive,
};

static int nginx_start(asb_app_ctx *x, void **state) { return asb_server_start(x, &nginx_spec, state); }

static const asb_app_server nginx_server = {nginx_start, asb_server_ready, asb_server_drive, asb_server_stop};

static const asb_app nginx_app = {
    .name = "nginx",
    .package = "nginx-light apache2-utils",
    .programs = "/usr/sbin/nginx /usr/bin/ab",
    .stresses = "a request pool and a zlib deflate state made and freed per request (gzip on the fly)",
    .input = "a 16 KiB text page (seeded words) served gzip-compressed; ab: SCALE requests, 50 concurrent",
    .scale = "10000",
    .quick_scale = "1000",
    .scale_help = "requests",
    .generate = nginx_generate,
    .stdout_varies = true, /* throughput figures */
    .outputs = "verify.txt",
    .parse = nginx_parse,
    .server = &nginx_server,
};
ASB_REGISTER_APP(nginx_app)
