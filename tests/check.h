/* check.h — the assertion of the C unit tests: a failed check prints where
 * and what, and fails the test (exit 1). */
#ifndef ASB_TEST_CHECK_H
#define ASB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

/* Reads what a child writes on the pipe fd (its stderr, say) into buf
 * (NUL-terminated, at most len - 1 bytes), closes fd, reaps the child and
 * returns its wait status. */
static inline int child_output(pid_t pid, int fd, char *buf, size_t len) {
    size_t n = 0;
    ssize_t r;
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0) n += (size_t)r;
    buf[n] = 0;
    close(fd);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    return status;
}

#endif
