/*
 * fuzz_letter_tpl — a letter template's text as an administrator or an agent types it
 * (core/letter_tpl.h), in every text field: letter_tpl_check accepts it only when every
 * blank is a known placeholder; once accepted, filling a text without braces changes
 * nothing, and its blocks, as a letter and as a decision, stay within
 * LETTER_TPL_BLOCKS_MAX, each a non-empty text without carriage returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/letter_tpl.h"
#include "util/wording.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void blocks_ok(const letter_block *b, size_t n)
{
    CHECK(n <= LETTER_TPL_BLOCKS_MAX);
    for (size_t i = 0; i < n; i++)
        CHECK(b[i].text && *b[i].text && !strchr(b[i].text, '\r'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    /* The one-line fields get the input's first line. */
    char *line = strndup(s, strcspn(s, "\r\n"));
    if (!line) {
        free(s);
        return 0;
    }
    store_letter_template t = {.name = "Modèle",
                               .kind = "decision",
                               .lang = "fr",
                               .subject = *line ? line : "Objet",
                               .body = s,
                               .visas = s,
                               .considerants = s,
                               .quality = size <= LETTER_TPL_SIGN_MAX ? s : NULL};
    error err;
    error_clear(&err);
    if (letter_tpl_check(&t, 1, &err) == 0) {
        size_t len;
        CHECK(!wording_blank_unknown(s, letter_tpl_placeholders, LETTER_TPL_N_PLACEHOLDERS, &len));
        arena a;
        arena_init(&a, 16 * 1024 * 1024);
        letter_tpl_values v;
        for (size_t i = 0; i < LETTER_TPL_N_PLACEHOLDERS; i++)
            v.v[i] = i % 2 ? "Valeur" : NULL;
        store_letter_template f;
        CHECK(letter_tpl_fill(&a, &t, &v, &f) == 0);
        /* Without a brace, filling changes nothing. */
        if (!strchr(s, '{'))
            CHECK(strcmp(f.body, s) == 0 && strcmp(f.subject, t.subject) == 0);
        json_t *strings = json_pack("{s:{s:{s:s, s:s, s:s}}}", "letters", "doc", "article",
                                    "Article {n} : {text}", "reference", "Réf. {reference}",
                                    "object", "Objet : {subject}");
        letter_block b[LETTER_TPL_BLOCKS_MAX];
        blocks_ok(b, letter_tpl_blocks(&a, strings, &f, "2026-000042", "Camille", NULL, NULL, b));
        f.kind = "letter";
        blocks_ok(b, letter_tpl_blocks(&a, strings, &f, "2026-000042", "Camille", "https://x",
                                       "K7QM-4TXH", b));
        json_decref(strings);
        arena_free(&a);
    }
    free(line);
    free(s);
    return 0;
}
