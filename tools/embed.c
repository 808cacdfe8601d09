/*
 * embed — build tool: writes a C source holding files as one sorted table of web_asset
 * (src/present/assets.h), so that templates, strings and static files live in the binary.
 *
 * Usage: embed OUT.c ASSET...   where ASSET is "path" (embedded under that path) or
 * "asset/path=file/on/disk" (embedded under the path before "=").
 * The content type comes from the extension, the ETag is a hash of the content. Data are
 * written as string literals with octal escapes (fast to compile, NUL-terminated so that
 * templates and JSON can be read as C strings). The output is replaced only once complete.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct item {
    char *path; /* asset path */
    const char *file;
    unsigned char *data;
    size_t len;
} item;

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".json", "application/json"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
};

static const char *content_type(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t en = strlen(types[i].ext);
        if (n > en && strcmp(path + n - en, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

/* 64-bit FNV-1a: enough to tell two versions of one file apart for caching. */
static uint64_t hash(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int read_file(item *it)
{
    FILE *f = fopen(it->file, "rb");
    if (!f) {
        perror(it->file);
        return -1;
    }
    size_t cap = 65536, len = 0, n;
    unsigned char *data = malloc(cap);
    while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            unsigned char *bigger = realloc(data, cap * 2);
            if (!bigger) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !data;
    fclose(f);
    if (bad) {
        fprintf(stderr, "embed: cannot read %s\n", it->file);
        free(data);
        return -1;
    }
    it->data = data;
    it->len = len;
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const item *)a)->path, ((const item *)b)->path);
}

/* A C string literal of p[0..n), in lines of about 100 columns. Octal escapes always take
 * three digits so the next character can never extend them; '?' is escaped against
 * trigraphs. */
static void write_literal(FILE *out, const unsigned char *p, size_t n)
{
    fputs("    \"", out);
    size_t col = 5;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '"' && ch != '?') {
            fputc(ch, out);
            col++;
        } else if (ch == '\n') {
            fputs("\\n", out);
            col += 2;
        } else {
            fprintf(out, "\\%03o", ch);
            col += 4;
        }
        if (col >= 100 && i + 1 < n) {
            fputs("\"\n    \"", out);
            col = 5;
        }
    }
    fputs("\"", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed OUT.c [asset/path=]file...\n");
        return 2;
    }
    const char *out_path = argv[1];
    size_t n = (size_t)(argc - 2);
    item *items = calloc(n ? n : 1, sizeof *items);
    if (!items)
        return 1;
    for (size_t i = 0; i < n; i++) {
        char *arg = argv[i + 2];
        char *eq = strchr(arg, '=');
        items[i].file = eq ? eq + 1 : arg;
        items[i].path = strndup(arg, eq ? (size_t)(eq - arg) : strlen(arg));
        if (!items[i].path || read_file(&items[i]) != 0)
            return 1;
        if (!content_type(items[i].path)) {
            fprintf(stderr, "embed: %s: unknown file type (add its extension to tools/embed.c)\n",
                    items[i].file);
            return 1;
        }
        for (const char *c = items[i].path; *c; c++) {
            if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
                fprintf(stderr, "embed: %s: unusable character in the path\n", items[i].file);
                return 1;
            }
        }
    }
    qsort(items, n, sizeof *items, by_path);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(items[i - 1].path, items[i].path) == 0) {
            fprintf(stderr, "embed: %s given twice\n", items[i].path);
            return 1;
        }
    }

    size_t tmp_len = strlen(out_path) + 5;
    char *tmp = malloc(tmp_len);
    if (!tmp)
        return 1;
    snprintf(tmp, tmp_len, "%s.tmp", out_path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        perror(tmp);
        return 1;
    }
    fputs("/* Generated by tools/embed from templates/, static/ and vendor/: do not edit. */\n"
          "#include \"present/assets.h\"\n\n",
          out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "/* %s */\nstatic const char asset_%zu[] =\n", items[i].path, i);
        write_literal(out, items[i].data, items[i].len);
        fputs(";\n\n", out);
    }
    fprintf(out, "const web_asset assets_table[] = {\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "    {\"%s\", asset_%zu, %zu, \"%s\", \"\\\"%016llx\\\"\"},\n", items[i].path,
                i, items[i].len, content_type(items[i].path),
                (unsigned long long)hash(items[i].data, items[i].len));
    if (!n)
        fputs("    {0},\n", out);
    fprintf(out, "};\nconst size_t assets_table_len = %zu;\n", n);
    if (fclose(out) != 0 || rename(tmp, out_path) != 0) {
        perror(out_path);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        free(items[i].path);
        free(items[i].data);
    }
    free(items);
    free(tmp);
    return 0;
}
