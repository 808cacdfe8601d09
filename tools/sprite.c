/*
 * sprite — build tool: writes one SVG "sprite" holding, as <symbol id="NAME">, the icons that
 * guichet uses out of an icon set installed by npm (vendor/), so that the binary embeds a
 * few dozen icons and not the thousands of the set, and pages draw one with
 * <svg><use href="…/icons.svg#NAME"></svg> (no inline markup: templates cannot emit any).
 *
 * Usage: sprite OUT.svg LICENSE ICON_DIR LIST
 * LIST names one icon a line ("car"; blank lines and lines starting with '#' skipped), each
 * read from ICON_DIR/NAME.svg: an <svg> root whose viewBox and stroke/fill presentation
 * attributes go onto the symbol and whose content is copied. LICENSE (the set's licence,
 * which asks to travel with its copies) is written into a comment at the top. The output is
 * replaced only once complete; any missing icon, odd name or unexpected file is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64
#define FILE_MAX (256 * 1024)

/* The whole file, NUL-terminated; NULL (with a message) when unreadable or too large. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    char *data = malloc(FILE_MAX + 1);
    size_t n = data ? fread(data, 1, FILE_MAX + 1, f) : 0;
    int bad = !data || ferror(f) || n > FILE_MAX;
    fclose(f);
    if (bad) {
        fprintf(stderr, "sprite: cannot read %s (or larger than %d bytes)\n", path, FILE_MAX);
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* The root's attributes kept on the symbol: what draws the icon, not its size or class. */
static const char *const kept_attrs[] = {
    "viewBox", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", NULL};

static int kept(const char *name, size_t n)
{
    for (size_t i = 0; kept_attrs[i]; i++)
        if (strlen(kept_attrs[i]) == n && memcmp(kept_attrs[i], name, n) == 0)
            return 1;
    return 0;
}

/* Writes icon `name` from the SVG in data as a <symbol>; -1 when it is not the expected
 * shape (one <svg> root with quoted attributes, its content, </svg>). */
static int write_symbol(FILE *out, const char *name, const char *file, const char *data)
{
    const char *p = strstr(data, "<svg");
    const char *close = p ? strstr(p, "</svg>") : NULL;
    if (!p || !close || strstr(close + 6, "<svg")) {
        fprintf(stderr, "sprite: %s: not one <svg> element\n", file);
        return -1;
    }
    fprintf(out, "<symbol id=\"%s\"", name);
    p += 4;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
        if (*p == '>')
            break;
        const char *an = p;
        while (*p && *p != '=' && *p != '>' && *p != ' ' && *p != '\n')
            p++;
        size_t an_len = (size_t)(p - an);
        if (*p != '=' || (p[1] != '"' && p[1] != '\'')) {
            fprintf(stderr, "sprite: %s: an attribute of <svg> is not name=\"value\"\n", file);
            return -1;
        }
        char quote = p[1];
        const char *val = p + 2;
        const char *end = strchr(val, quote);
        if (!end || memchr(val, '<', (size_t)(end - val))) {
            fprintf(stderr, "sprite: %s: unterminated attribute value\n", file);
            return -1;
        }
        if (kept(an, an_len))
            fprintf(out, " %.*s=\"%.*s\"", (int)an_len, an, (int)(end - val), val);
        p = end + 1;
    }
    fputc('>', out);
    /* The content, each line without its indentation. */
    for (const char *c = p + 1; c < close;) {
        while (c < close && (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r'))
            c++;
        const char *eol = c;
        while (eol < close && *eol != '\n')
            eol++;
        const char *last = eol;
        while (last > c && (last[-1] == ' ' || last[-1] == '\r'))
            last--;
        fwrite(c, 1, (size_t)(last - c), out);
        c = eol;
    }
    fputs("</symbol>\n", out);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: sprite OUT.svg LICENSE ICON_DIR LIST\n");
        return 2;
    }
    const char *out_path = argv[1], *dir = argv[3];
    size_t license_len, list_len;
    char *license = slurp(argv[2], &license_len);
    char *list = license ? slurp(argv[4], &list_len) : NULL;
    if (!list)
        return 1;
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
    fprintf(out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<!-- The icons of lucide-static (%s) that "
            "guichet "
            "uses (%s), under this licence:\n\n",
            dir, argv[4]);
    /* A comment may not hold "--": a space goes between two dashes (the licence's rules). */
    for (const char *c = license; *c; c++) {
        if (*c == '-' && c > license && c[-1] == '-')
            fputc(' ', out);
        fputc(*c, out);
    }
    fputs("-->\n", out);
    int count = 0;
    for (char *line = list; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r'))
            n--;
        if (n > 0 && line[0] != '#') {
            if (!valid_name(line, n)) {
                fprintf(stderr, "sprite: %s: \"%.*s\" is not an icon name (a-z, 0-9, '-')\n",
                        argv[4], (int)n, line);
                return 1;
            }
            char path[4096], name[NAME_MAX_LEN + 1];
            memcpy(name, line, n);
            name[n] = '\0';
            snprintf(path, sizeof path, "%s/%s.svg", dir, name);
            size_t len;
            char *svg = slurp(path, &len);
            if (!svg || write_symbol(out, name, path, svg) != 0)
                return 1;
            free(svg);
            count++;
        }
        line = nl ? nl + 1 : NULL;
    }
    fputs("</svg>\n", out);
    if (count == 0) {
        fprintf(stderr, "sprite: %s names no icon\n", argv[4]);
        fclose(out);
        remove(tmp);
        return 1;
    }
    if (fclose(out) != 0 || rename(tmp, out_path) != 0) {
        perror(out_path);
        return 1;
    }
    free(tmp);
    free(list);
    free(license);
    return 0;
}
