/*
 * courrier_cmd — `guichet courrier import` (courrier_cmd.h): one pass over a scanner's folder.
 * Each regular file is POSTed to /passerelle/courrier; a file the server took moves to
 * DIR/traites/, one it refused for what it is moves to DIR/rejetes/ with NAME.motif.txt
 * beside it (the server's reason, in French); anything else (the server unreachable, a key
 * refused, a server busy) stops the pass and leaves the file and the next ones where they
 * are, for the next pass.
 */
#include "cli/courrier_cmd.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/file_read.h"
#include "cli/gateway_client.h"
#include "util/buf.h"

#define CMD "guichet courrier import"
#define DONE_DIR "traites"
#define REJECTED_DIR "rejetes"
#define MOTIF_SUFFIX ".motif.txt"
#define FILES_MAX 1000              /* files of one pass; the next pass takes the rest */
#define FILE_MAX (64 * 1024 * 1024) /* bytes sent at most; the server's limit decides */
#define NAME_MAX_BYTES 200
/* A file changed this recently may still be being written by the scanner (over SMB, FTP…):
 * it is left for the next pass rather than sent truncated and moved to traites/. */
#define SETTLE_SECONDS 10

const opt_spec courrier_cmd_import_opts[] = {
    {"url", "GUICHET_COURRIER_URL", OPT_STRING, NULL, 1, 0, 0,
     "the server's base URL, e.g. https://grc.ville.fr (its host names the collectivité)"},
    {"key-file", "GUICHET_COURRIER_KEY_FILE", OPT_STRING, NULL, 1, 0, 0,
     "file holding a \"gateway\"-scope API key (guichet apikey create --scope gateway)"},
    {"tenant", NULL, OPT_STRING, NULL, 0, 0, 0,
     "the collectivité's slug, when the URL's host does not name it"},
    {"timeout", "GUICHET_COURRIER_TIMEOUT_S", OPT_UINT, "120", 0, 1, 3600,
     "seconds the server may take to answer for one file"},
    {"DIR", NULL, OPT_ARG, NULL, 1, 0, 0, "the scanner's folder"},
    {0}};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir (not hidden), sorted; *n of them (malloc'd, free with
 * names_free). NULL when dir cannot be read. */
static char **list_files(int dfd, size_t *n)
{
    *n = 0;
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char **names = calloc(FILES_MAX, sizeof *names);
    const struct dirent *e;
    while (names && *n < FILES_MAX && (e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (!(names[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Moves name from dfd into subdirectory sub, under the same name or, when taken, with
 * "-2", "-3"… before its extension; the name it got in *moved (size bytes). 0 or -1. */
static int move_into(int dfd, const char *sub, const char *name, char *moved, size_t size)
{
    const char *dot = strrchr(name, '.');
    size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    for (int k = 1; k < 100; k++) {
        if (k == 1)
            snprintf(moved, size, "%s", name);
        else
            snprintf(moved, size, "%.*s-%d%s", (int)stem, name, k, name + stem);
        char target[PATH_MAX];
        snprintf(target, sizeof target, "%s/%s", sub, moved);
        struct stat st;
        if (fstatat(dfd, target, &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        return renameat(dfd, name, dfd, target);
    }
    errno = EEXIST;
    return -1;
}

/* NAME.motif.txt in rejetes/ beside the refused file: the reason and a line end. */
static int write_motif(int dfd, const char *moved, const char *motif)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s%s", REJECTED_DIR, moved, MOTIF_SUFFIX);
    int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(motif);
    int rc = write(fd, motif, len) == (ssize_t)len && write(fd, "\n", 1) == 1 ? 0 : -1;
    return close(fd) == 0 ? rc : -1;
}

/* What became of one file. */
typedef enum outcome { TAKEN, REFUSED, STOP } outcome;

/* Refuses name here, before sending it (too large, unreadable). */
static outcome refuse(int dfd, const char *name, const char *motif)
{
    char moved[NAME_MAX + 16];
    if (move_into(dfd, REJECTED_DIR, name, moved, sizeof moved) != 0 ||
        write_motif(dfd, moved, motif) != 0) {
        printf("%s: refused (%s) but cannot be moved to %s/: %s\n", name, motif, REJECTED_DIR,
               strerror(errno));
        return STOP;
    }
    printf("%s: refused: %s\n", name, motif);
    return REFUSED;
}

/* The server's answer to one file. */
static outcome answered(int dfd, const char *name, long status, const buf *answer)
{
    gateway_answer a;
    gateway_answer_read(answer, &a);
    outcome o = STOP;
    if (status == 201) {
        char moved[NAME_MAX + 16];
        json_int_t id = json_integer_value(json_object_get(a.json, "id"));
        if (move_into(dfd, DONE_DIR, name, moved, sizeof moved) != 0)
            printf("%s: received as letter %lld, but cannot be moved to %s/: %s\n", name,
                   (long long)id, DONE_DIR, strerror(errno));
        else {
            printf("%s: received as letter %lld\n", name, (long long)id);
            o = TAKEN;
        }
    } else {
        /* Only the file's own fault moves it aside; a key, a collectivité, a busy server:
         * the pass stops and the next one tries again. */
        if ((status == 400 || status == 415) && a.argument && strcmp(a.argument, "file") == 0)
            o = refuse(dfd, name,
                       a.motif    ? a.motif
                       : a.detail ? a.detail
                                  : "Le fichier est refusé.");
        else if (status == 413) /* over what the server reads of any body: the file's size */
            o = refuse(dfd, name, a.motif ? a.motif : "Le fichier est trop volumineux.");
        else
            printf("%s: not taken, left in place: HTTP %ld %s%s%s\n", name, status,
                   a.code ? a.code : "", a.detail ? ": " : "", a.detail ? a.detail : "");
    }
    gateway_answer_free(&a);
    return o;
}

int courrier_cmd_import(const opt_values *v)
{
    const char *base = opt_str(v, "url");
    const char *tenant = opt_str(v, "tenant");
    const char *dir = opt_str(v, "DIR");
    size_t blen = gateway_base_len(base);
    if (blen == 0) {
        printf(CMD ": --url must be an http:// or https:// URL\n");
        return 2;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        printf(CMD ": cannot open the folder %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if ((mkdirat(dfd, DONE_DIR, 0700) != 0 && errno != EEXIST) ||
        (mkdirat(dfd, REJECTED_DIR, 0700) != 0 && errno != EEXIST)) {
        printf(CMD ": cannot create %s/%s and %s/%s: %s\n", dir, DONE_DIR, dir, REJECTED_DIR,
               strerror(errno));
        close(dfd);
        return 1;
    }
    char *key = gateway_key_read(CMD, opt_str(v, "key-file"), "");
    if (!key) {
        close(dfd);
        return 1;
    }
    size_t n = 0;
    char **names = list_files(dfd, &n);
    buf answer;
    buf_init(&answer, GATEWAY_ANSWER_MAX);
    int rc = 0;
    size_t taken = 0, refused = 0;
    if (!names) {
        printf(CMD ": cannot read the folder %s\n", dir);
        rc = 1;
        goto done;
    }
    if (gateway_client_init() != 0) {
        printf(CMD ": cannot start libcurl\n");
        rc = 1;
        goto done;
    }
    char *esc_tenant = tenant ? curl_easy_escape(NULL, tenant, 0) : NULL;
    size_t settling = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *name = names[i];
        outcome o;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            time(NULL) - st.st_mtime < SETTLE_SECONDS) {
            printf("%s: still being written, left for the next pass\n", name);
            settling++;
            continue;
        }
        size_t len = 0;
        int too_large = 0, not_regular = 0;
        /* Read through the directory, never following a link: a link swapped in for a scan
         * must not send another file (the key file…) to the server. */
        char *data =
            strlen(name) > NAME_MAX_BYTES
                ? NULL
                : cli_file_read_at(CMD, dfd, name, FILE_MAX, &len, &too_large, &not_regular);
        char *esc = curl_easy_escape(NULL, name, 0);
        char *url = NULL;
        if (strlen(name) > NAME_MAX_BYTES) {
            o = refuse(dfd, name, "Le nom du fichier est trop long (200 octets au plus).");
        } else if (!data) {
            o = too_large     ? refuse(dfd, name, "Le fichier est trop volumineux.")
                : not_regular ? refuse(dfd, name,
                                       "Ce n'est pas un fichier ordinaire (un lien, un tube…) : "
                                       "il n'est pas lu.")
                              : STOP;
        } else if (!esc ||
                   asprintf(&url, "%.*s/passerelle/courrier?nom=%s%s%s", (int)blen, base, esc,
                            esc_tenant ? "&tenant=" : "", esc_tenant ? esc_tenant : "") < 0) {
            url = NULL;
            printf(CMD ": out of memory\n");
            o = STOP;
        } else {
            long status = 0;
            char why[256];
            if (gateway_post(url, key, "application/octet-stream", data, len,
                             (long)opt_uint(v, "timeout"), &status, &answer, why,
                             sizeof why) != 0) {
                printf(CMD ": the server at %.*s cannot be reached (%s): %s and the next files "
                           "are left in %s\n",
                       (int)blen, base, why, name, dir);
                o = STOP;
            } else {
                o = answered(dfd, name, status, &answer);
            }
        }
        free(url);
        curl_free(esc);
        free(data);
        if (o == TAKEN)
            taken++;
        else if (o == REFUSED)
            refused++;
        else
            rc = 1;
    }
    curl_free(esc_tenant);
    if (settling)
        printf(CMD ": %zu received, %zu refused, %zu still being written%s\n", taken, refused,
               settling, rc ? ", stopped: the others are left for the next pass" : "");
    else
        printf(CMD ": %zu received, %zu refused%s\n", taken, refused,
               rc ? ", stopped: the others are left for the next pass" : "");
done:
    buf_free(&answer);
    names_free(names, n);
    gateway_key_free(key);
    close(dfd);
    return rc;
}
