/* asb_backends.h for the fuzz targets: a fixed stand-in for the table the
 * build generates (allocators/asb_backends.h.in), so harness/util.c compiles
 * outside meson.  One backend found, one missing, like a real build. */
ASB_BACKEND(glibc, 1, "libc6-dev", "2.36")
ASB_BACKEND(jemalloc, 1, "libjemalloc-dev", "5.3.0")
ASB_BACKEND(tcmalloc, 0, "libgoogle-perftools-dev", "")
