#include "test_cmd.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *test_cmd_output(const char *cmd, size_t max, int *status)
{
    *status = -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 4096, len = 0;
    char *out = malloc(cap + 1);
    int overflow = 0;
    while (out) {
        if (len == cap) {
            if (cap >= max) {
                overflow = 1;
                break;
            }
            size_t next = cap * 2 < max ? cap * 2 : max;
            char *grown = realloc(out, next + 1);
            if (!grown) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
            cap = next;
        }
        size_t got = fread(out + len, 1, cap - len, p);
        if (got == 0)
            break;
        len += got;
    }
    int rc = pclose(p);
    if (!out || overflow) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    if (rc != -1 && WIFEXITED(rc))
        *status = WEXITSTATUS(rc);
    return out;
}

char *test_cmd_run(const char *cmd, size_t max)
{
    int status;
    char *out = test_cmd_output(cmd, max, &status);
    if (out && status == 0)
        return out;
    fprintf(stderr, "%s: %s (exit status %d)\n", cmd, out ? "failed" : "no output read", status);
    free(out);
    return NULL;
}

int test_scratch_make(test_scratch *s, const char *name, const void *data, size_t len)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/guichet_test_XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    if (strchr(name, '/') ||
        snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name) >= (int)sizeof s->path) {
        rmdir(s->dir);
        return -1;
    }
    FILE *f = fopen(s->path, "wb");
    if (!f) {
        rmdir(s->dir);
        return -1;
    }
    int ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0 || !ok) {
        test_scratch_remove(s);
        return -1;
    }
    return 0;
}

void test_scratch_remove(test_scratch *s)
{
    DIR *d = opendir(s->dir);
    if (d) {
        struct dirent *e;
        char path[sizeof s->dir + 260];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(s->dir);
}

int test_file_read(const char *path, buf *out, size_t max)
{
    buf_init(out, max);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[65536];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(out, chunk, got);
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc;
}

int test_qpdf_accepts(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "qpdf --check '%s' >/dev/null 2>&1", path);
    return system(cmd) == 0;
}
