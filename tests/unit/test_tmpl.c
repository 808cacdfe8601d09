/*
 * test_tmpl — unit tests of src/util/tmpl: escaping in text and attributes, the |url, |href
 * and |json filters, sections over every kind of value, inverted sections, lookup through
 * the context stack, partials (linking order, recursion, the depth limit, missing ones),
 * Mustache's standalone lines, every compile error with its line, the output limit and
 * concurrent renders of one set. Outputs are compared byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/tmpl.h"

/* Compiles src as a one-off template "t" and renders it with the JSON text data (NULL: no
 * data); returns the output (caller frees) or NULL with *err filled. */
static char *render_with(tmpl_set *set, const char *src, const char *data, error *err)
{
    error_clear(err);
    if (tmpl_add(set, "t", src, strlen(src), err) != 0)
        return NULL;
    json_error_t jerr;
    json_t *d = data ? json_loads(data, JSON_DECODE_ANY, &jerr) : NULL;
    if (data && !d)
        fail_msg("bad test JSON: %s", jerr.text);
    buf b;
    buf_init(&b, 1 << 20);
    int rc = tmpl_render(set, "t", d, &b, err);
    json_decref(d);
    if (rc != 0) {
        buf_free(&b);
        return NULL;
    }
    size_t len;
    return buf_steal(&b, &len);
}

/* Asserts that src renders to expected with data. */
static void check(const char *src, const char *data, const char *expected)
{
    tmpl_set *set = tmpl_set_new();
    assert_non_null(set);
    error e;
    char *out = render_with(set, src, data, &e);
    if (!out)
        fail_msg("template %s failed: %s", src, e.detail);
    if (strcmp(out, expected) != 0)
        fail_msg("template %s\n  got      [%s]\n  expected [%s]", src, out, expected);
    free(out);
    tmpl_set_free(set);
}

/* Asserts that src does not compile, with ERR_INVALID_ARG and a detail holding each of the
 * fragments (e.g. "line 3"). */
static void check_compile_error(const char *src, const char *frag1, const char *frag2)
{
    tmpl_set *set = tmpl_set_new();
    error e;
    error_clear(&e);
    if (tmpl_add(set, "t", src, strlen(src), &e) == 0)
        fail_msg("template %s compiled but should not", src);
    assert_int_equal(e.code, ERR_INVALID_ARG);
    if (!strstr(e.detail, frag1) || (frag2 && !strstr(e.detail, frag2)))
        fail_msg("template %s: detail [%s] lacks [%s] or [%s]", src, e.detail, frag1,
                 frag2 ? frag2 : "");
    assert_non_null(strstr(e.detail, "template t"));
    assert_int_equal(tmpl_has(set, "t"), 0);
    tmpl_set_free(set);
}

/* ---------------------------------------------------------------- values and escaping */

static void test_plain_text(void **state)
{
    (void)state;
    check("", "{}", "");
    check("hello", NULL, "hello");
    check("a } b { c }} d", "{}", "a } b { c }} d");
    check("<p class=\"x\">été</p>", "{}", "<p class=\"x\">été</p>");
}

static void test_escaping_text_and_attributes(void **state)
{
    (void)state;
    const char *data = "{\"v\": \"<script>alert('x' & \\\"y\\\")</script>\"}";
    check("<p>{{v}}</p>", data,
          "<p>&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;</p>");
    check("<a title=\"{{v}}\" data-x='{{v}}'>", data,
          "<a title=\"&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;\" "
          "data-x='&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;'>");
    /* Already escaped text is escaped again: data is never trusted as HTML. */
    check("{{v}}", "{\"v\": \"&amp;\"}", "&amp;amp;");
    check("{{v}}", "{\"v\": \"Cr\\u00e9teil \\u2014 \\ud83d\\ude00\"}",
          "Cr\xc3\xa9teil \xe2\x80\x94 \xf0\x9f\x98\x80");
}

static void test_scalars(void **state)
{
    (void)state;
    check("[{{i}}|{{n}}|{{r}}|{{s}}|{{z}}]",
          "{\"i\": 42, \"n\": -7, \"r\": 3.5, \"s\": 0.1, \"z\": 0}", "[42|-7|3.5|0.1|0]");
    check("[{{big}}|{{pi}}]", "{\"big\": 9007199254740993, \"pi\": 3.141592653589793}",
          "[9007199254740993|3.141592653589793]");
    check("[{{t}}|{{f}}|{{nul}}|{{missing}}|{{o}}|{{a}}|{{e}}]",
          "{\"t\": true, \"f\": false, \"nul\": null, \"o\": {\"x\": 1}, \"a\": [1], \"e\": \"\"}",
          "[true||||||]");
}

static void test_dotted_paths(void **state)
{
    (void)state;
    const char *data = "{\"a\": {\"b\": {\"c\": \"deep\"}, \"s\": \"str\"}, \"top\": 1}";
    check("{{a.b.c}}|{{a.s}}|{{a.s.x}}|{{a.nope.c}}|{{top.x}}", data, "deep|str|||");
    check("{{ a.b.c }}|{{  top  }}", data, "deep|1");
}

static void test_context_dot(void **state)
{
    (void)state;
    check("{{#list}}<{{.}}>{{/list}}", "{\"list\": [\"a\", \"<b>\", 3, true]}",
          "<a><&lt;b&gt;><3><true>");
    check("{{#s}}[{{.}}]{{/s}}", "{\"s\": \"x&y\"}", "[x&amp;y]");
    check("[{{.}}]", NULL, "[]");
    check("[{{.}}]", "\"top\"", "[top]");
    check("[{{.}}]", "{\"a\": 1}", "[]");
}

/* ---------------------------------------------------------------- filters */

static void test_filter_url(void **state)
{
    (void)state;
    check("{{v|url}}", "{\"v\": \"aZ09-._~\"}", "aZ09-._~");
    check("{{v|url}}", "{\"v\": \"\\u00e9 a/b?c=d&e#f+g%\"}",
          "%C3%A9%20a%2Fb%3Fc%3Dd%26e%23f%2Bg%25");
    check("{{v|url}}", "{\"v\": \"<\\\"'>\"}", "%3C%22%27%3E");
    check("/suivi/{{ref|url}}?t={{tok | url}}", "{\"ref\": \"2026-000123\", \"tok\": \"a b\"}",
          "/suivi/2026-000123?t=a%20b");
    check("[{{n|url}}|{{missing|url}}|{{nul|url}}]", "{\"n\": 12, \"nul\": null}", "[12||]");
}

static void test_filter_href(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"/suivi/1", "/suivi/1"},
        {"#main", "#main"},
        {"?lang=en", "?lang=en"},
        {"http://example.org/a", "http://example.org/a"},
        {"https://example.org/?a=1&b=\\\"2\\\"", "https://example.org/?a=1&amp;b=&quot;2&quot;"},
        {"HTTPS://EXAMPLE.ORG", "HTTPS://EXAMPLE.ORG"},
        {"mailto:mairie@example.org", "mailto:mairie@example.org"},
        {"tel:+33123456789", "tel:+33123456789"},
        {"javascript:alert(1)", "#"},
        {"JavaScript:alert(1)", "#"},
        {" javascript:alert(1)", "#"},
        {"\\tjavascript:alert(1)", "#"},
        {"java\\nscript:alert(1)", "#"},
        {"vbscript:x", "#"},
        {"data:text/html,<script>alert(1)</script>", "#"},
        {"example.org", "#"},
        {"ftp://example.org", "#"},
        {"", "#"},
        {"http:", "#"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char data[200], expected[200];
        snprintf(data, sizeof data, "{\"v\": \"%s\"}", cases[i].in);
        snprintf(expected, sizeof expected, "<a href=\"%s\">", cases[i].out);
        check("<a href=\"{{v|href}}\">", data, expected);
    }
    check("[{{missing|href}}|{{n|href}}|{{o|href}}]", "{\"n\": 5, \"o\": {}}", "[#|#|#]");
}

static void test_filter_json(void **state)
{
    (void)state;
    check("{{v|json}}", "{\"v\": {\"a\": [1, 2.5, true, null], \"b\": \"x\"}}",
          "{\"a\":[1,2.5,true,null],\"b\":\"x\"}");
    check("{{v|json}}", "{\"v\": \"</script><!-- & -->\"}",
          "\"\\u003c/script\\u003e\\u003c!-- \\u0026 --\\u003e\"");
    check("[{{missing|json}}|{{n|json}}|{{s|json}}]", "{\"n\": 3, \"s\": \"\"}", "[null|3|\"\"]");
    check("{{.|json}}", "[1]", "[1]");

    /* What the filter writes parses back to the same value. */
    tmpl_set *set = tmpl_set_new();
    error e;
    const char *data = "{\"v\": {\"t\": \"</SCRIPT> <b>&amp;</b> \\u2028 \\\"q\\\" \\\\\"}}";
    char *out = render_with(set, "{{v|json}}", data, &e);
    assert_non_null(out);
    assert_null(strchr(out, '<'));
    assert_null(strchr(out, '>'));
    json_t *back = json_loads(out, 0, NULL), *orig = json_loads(data, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(back, json_object_get(orig, "v")));
    json_decref(back);
    json_decref(orig);
    free(out);
    tmpl_set_free(set);
}

/* ---------------------------------------------------------------- sections */

static void test_sections_by_value(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int shown;
    } cases[] = {
        {"true", 1}, {"false", 0}, {"null", 0},       {"0", 0},    {"1", 1},
        {"-2", 1},   {"0.0", 0},   {"0.5", 1},        {"\"\"", 0}, {"\"x\"", 1},
        {"[]", 0},   {"{}", 1},    {"{\"k\": 0}", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char data[100];
        snprintf(data, sizeof data, "{\"v\": %s}", cases[i].value);
        check("{{#v}}yes{{/v}}", data, cases[i].shown ? "yes" : "");
        check("{{^v}}no{{/v}}", data, cases[i].shown ? "" : "no");
    }
    check("{{#missing}}yes{{/missing}}{{^missing}}no{{/missing}}", "{}", "no");
    check("{{#a}}x{{/a}}{{^a}}y{{/a}}", NULL, "y");
}

static void test_sections_over_arrays_and_objects(void **state)
{
    (void)state;
    check("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>",
          "{\"items\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}, {}]}",
          "<ul><li>a</li><li>&lt;b&gt;</li><li></li></ul>");
    check("{{#o}}{{x}}-{{y}}{{/o}}", "{\"o\": {\"x\": 1, \"y\": \"z\"}}", "1-z");
    check("{{#a}}({{#.}}{{.}}{{/.}}){{/a}}", "{\"a\": [[1, 2], [], [3]]}", "(12)()(3)");
    check("{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": [{\"c\": 1}, {\"c\": 2}]}}", "12");
    check("{{#n}}[{{.}}]{{/n}}", "{\"n\": 7}", "[7]");
    /* An inverted section pushes nothing: names resolve as outside it. */
    check("{{^a}}{{b}}{{/a}}", "{\"a\": [], \"b\": \"B\"}", "B");
}

static void test_lookup_shadowing(void **state)
{
    (void)state;
    const char *data = "{\"name\": \"outer\", \"title\": \"T\", \"list\": ["
                       "{\"name\": \"first\"}, {\"title\": \"own\"}]}";
    check("{{#list}}{{name}}/{{title}};{{/list}}{{name}}", data, "first/T;outer/own;outer");
    /* A falsy inner value still shadows the outer one. */
    check("{{#list}}[{{v}}]{{/list}}", "{\"v\": \"outer\", \"list\": [{\"v\": null}, {}]}",
          "[][outer]");
    /* The first segment of a dotted name is found outwards; the rest is not searched
     * outwards (Mustache): here a is found in the item and has no b. */
    check("{{#list}}[{{a.b}}]{{/list}}", "{\"a\": {\"b\": \"outer\"}, \"list\": [{\"a\": {}}, {}]}",
          "[][outer]");
    /* Three levels. */
    check("{{#x}}{{#y}}{{#z}}{{v}}{{w}}{{u}}{{/z}}{{/y}}{{/x}}",
          "{\"u\": 1, \"x\": {\"w\": 2, \"y\": {\"v\": 0, \"z\": {\"v\": 3}}}}", "321");
}

static void test_whitespace_and_standalone_lines(void **state)
{
    (void)state;
    check("<ul>\n{{#l}}\n  <li>{{.}}</li>\n{{/l}}\n</ul>\n", "{\"l\": [1, 2]}",
          "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
    check("a\n  {{! a comment\n spanning lines }}  \nb\n", "{}", "a\nb\n");
    check("a\r\n{{#t}}\r\nb\r\n{{/t}}\r\nc", "{\"t\": true}", "a\r\nb\r\nc");
    check("{{#t}}\nx\n{{/t}}", "{\"t\": true}", "x\n");
    /* Not standalone: another tag or text on the line. */
    check("{{a}} {{#t}}\nx{{/t}}", "{\"a\": 1, \"t\": true}", "1 \nx");
    check("a {{! c }}\nb", "{}", "a \nb");
    check("  {{a}}\n", "{\"a\": 1}", "  1\n");
    check("{{# t }}x{{/ t }}|{{^ f }}y{{/ f }}", "{\"t\": 1}", "x|y");
}

/* ---------------------------------------------------------------- partials */

static void add(tmpl_set *set, const char *name, const char *src)
{
    error e;
    if (tmpl_add(set, name, src, strlen(src), &e) != 0)
        fail_msg("%s: %s", name, e.detail);
}

static char *render_name(tmpl_set *set, const char *name, const char *data, error *e)
{
    json_t *d = data ? json_loads(data, 0, NULL) : NULL;
    buf b;
    buf_init(&b, 1 << 20);
    error_clear(e);
    int rc = tmpl_render(set, name, d, &b, e);
    json_decref(d);
    if (rc != 0) {
        buf_free(&b);
        return NULL;
    }
    size_t len;
    return buf_steal(&b, &len);
}

static void test_partials(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    /* The page is added before its partials: links are made whichever comes first. */
    add(set, "page", "<main>{{> partials/head}}{{#items}}{{> item}}{{/items}}</main>");
    add(set, "partials/head", "<h1>{{title}}</h1>");
    add(set, "item", "<p>{{name}} ({{title}})</p>");
    assert_true(tmpl_has(set, "page"));
    assert_true(tmpl_has(set, "partials/head"));
    assert_false(tmpl_has(set, "partials"));
    assert_false(tmpl_has(set, "nope"));
    assert_false(tmpl_has(set, NULL));
    error e;
    char *out = render_name(set, "page",
                            "{\"title\": \"T<\", \"items\": [{\"name\": \"a\"}, {\"name\": \"b\", "
                            "\"title\": \"own\"}]}",
                            &e);
    assert_non_null(out);
    assert_string_equal(out, "<main><h1>T&lt;</h1><p>a (T&lt;)</p><p>b (own)</p></main>");
    free(out);

    /* Recursion that ends within the depth limit works. Leaves need their own empty "kids":
     * otherwise the lookup finds the parent's, as Mustache's context stack does. */
    add(set, "tree", "[{{name}}{{#kids}}{{> tree}}{{/kids}}]");
    out = render_name(set, "tree",
                      "{\"name\": \"r\", \"kids\": [{\"name\": \"a\", \"kids\": [{\"name\": "
                      "\"a1\", \"kids\": []}]}, {\"name\": \"b\", \"kids\": []}]}",
                      &e);
    assert_non_null(out);
    assert_string_equal(out, "[r[a[a1]][b]]");
    free(out);

    /* Standalone partial lines disappear with their newline. */
    add(set, "lines", "a\n  {{> partials/head}}\nb");
    out = render_name(set, "lines", "{\"title\": \"x\"}", &e);
    assert_string_equal(out, "a\n<h1>x</h1>b");
    free(out);

    /* Text templates keep their extension in their name. */
    add(set, "mail/ack.txt", "Réf. {{ref}}");
    add(set, "mail/ack", "<p>{{> mail/ack.txt}}</p>");
    out = render_name(set, "mail/ack", "{\"ref\": \"R&1\"}", &e);
    assert_string_equal(out, "<p>Réf. R&amp;1</p>");
    free(out);
    tmpl_set_free(set);
}

static void test_partial_depth_limit(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    add(set, "loop", "x{{> loop}}");
    error e;
    char *out = render_name(set, "loop", "{}", &e);
    assert_null(out);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "deeper than 8"));

    /* Exactly TMPL_MAX_PARTIAL_DEPTH nested partials render; one more fails. */
    char name[16], src[48];
    for (int i = 0; i <= TMPL_MAX_PARTIAL_DEPTH + 1; i++) {
        snprintf(name, sizeof name, "p%d", i);
        snprintf(src, sizeof src, "%d{{> p%d}}", i, i + 1);
        add(set, name, i == TMPL_MAX_PARTIAL_DEPTH + 1 ? "end" : src);
    }
    out = render_name(set, "p1", "{}", &e);
    assert_non_null(out);
    assert_string_equal(out, "12345678end");
    free(out);
    out = render_name(set, "p0", "{}", &e);
    assert_null(out);
    assert_non_null(strstr(e.detail, "deeper than 8"));
    tmpl_set_free(set);
}

static void test_missing_partial_and_template(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    add(set, "page", "a\nb {{> nowhere}}");
    error e;
    char *out = render_name(set, "page", "{}", &e);
    assert_null(out);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "missing partial 'nowhere'"));
    assert_non_null(strstr(e.detail, "line 2"));
    /* Adding it later links it. */
    add(set, "nowhere", "ok");
    out = render_name(set, "page", "{}", &e);
    assert_string_equal(out, "a\nb ok");
    free(out);

    out = render_name(set, "absent", "{}", &e);
    assert_null(out);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "absent"));

    /* A missing partial in a skipped section is no error. */
    add(set, "skip", "{{#no}}{{> ghost}}{{/no}}fine");
    out = render_name(set, "skip", "{}", &e);
    assert_string_equal(out, "fine");
    free(out);

    /* Names are unique in a set. */
    error_clear(&e);
    assert_int_equal(tmpl_add(set, "page", "x", 1, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_non_null(strstr(e.detail, "twice"));
    tmpl_set_free(set);
}

/* ---------------------------------------------------------------- compile errors */

static void test_compile_errors(void **state)
{
    (void)state;
    check_compile_error("a\nb {{name", "line 2", "unclosed tag");
    check_compile_error("a {{b {{c}}", "line 1", "unclosed tag");
    check_compile_error("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}", "line 3",
                        "'{{/a}}' does not close section 'b' opened on line 2");
    check_compile_error("x\n\n{{#sec}}\ny", "line 3", "section 'sec' is never closed");
    check_compile_error("x\n{{/a}}", "line 2", "closes no open section");
    check_compile_error("\n\n\n{{a|raw}}", "line 4", "unknown filter 'raw'");
    check_compile_error("{{a|}}", "line 1", "unknown filter");
    check_compile_error("{{a|url|href}}", "line 1", "unknown filter");
    check_compile_error("{{#a|url}}{{/a}}", "line 1", "filter on a section");
    check_compile_error("{{{a}}}", "line 1", "unescaped output");
    check_compile_error("{{& a}}", "line 1", "unescaped output");
    check_compile_error("{{=<% %>=}}", "line 1", "delimiters");
    check_compile_error("{{}}", "line 1", "empty name");
    check_compile_error("{{  }}", "line 1", "empty name");
    check_compile_error("{{a b}}", "line 1", "invalid name 'a b'");
    check_compile_error("{{a..b}}", "line 1", "invalid name");
    check_compile_error("{{.a}}", "line 1", "invalid name");
    check_compile_error("{{a.}}", "line 1", "invalid name");
    check_compile_error("{{a<b}}", "line 1", "invalid name");
    check_compile_error("{{>}}", "line 1", "partial without a name");
    check_compile_error("{{> a b}}", "line 1", "invalid partial name");
    check_compile_error("{{#}}{{/}}", "line 1", "empty name");
}

static void test_depth_and_size_limits(void **state)
{
    (void)state;
    buf src;
    buf_init(&src, 1 << 20);
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&src, "{{#a}}");
    buf_puts(&src, "{{v}}");
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&src, "{{/a}}");
    /* 32 levels of a section over the same object: each pushes it again. */
    check(buf_cstr(&src), "{\"a\": {\"v\": \"deep\"}}", "deep");

    buf_reset(&src);
    for (int i = 0; i <= TMPL_MAX_DEPTH; i++)
        buf_printf(&src, "{{#a%d}}\n", i);
    check_compile_error(buf_cstr(&src), "line 33", "deeper than 32");

    /* Sections nested over arrays multiply: 2^32 empty iterations are stopped. */
    buf_reset(&src);
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&src, "{{#l}}");
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&src, "{{/l}}");
    tmpl_set *set = tmpl_set_new();
    error e;
    char *out = render_with(set, buf_cstr(&src), "{\"l\": [1, 2]}", &e);
    assert_null(out);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "too many nodes"));
    tmpl_set_free(set);

    set = tmpl_set_new();
    char *big = malloc(TMPL_MAX_SOURCE + 1);
    memset(big, 'x', TMPL_MAX_SOURCE + 1);
    assert_int_equal(tmpl_add(set, "big", big, TMPL_MAX_SOURCE + 1, &e), -1);
    assert_int_equal(e.code, ERR_INVALID_ARG);
    assert_int_equal(tmpl_add(set, "max", big, TMPL_MAX_SOURCE, &e), 0);
    free(big);
    tmpl_set_free(set);
    buf_free(&src);
}

static void test_output_limit(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    add(set, "list", "{{#l}}<li>{{.}}</li>{{/l}}");
    json_t *d = json_pack("{s:[s,s,s,s]}", "l", "aaaa", "bbbb", "cccc", "dddd");
    buf b;
    buf_init(&b, 30);
    error e;
    error_clear(&e);
    assert_int_equal(tmpl_render(set, "list", d, &b, &e), -1);
    assert_int_equal(e.code, ERR_INTERNAL);
    assert_non_null(strstr(e.detail, "maximum"));
    assert_true(b.failed);
    assert_true(b.len <= 30);
    buf_free(&b);
    /* The same output fits exactly in 52 bytes. */
    buf_init(&b, 52);
    assert_int_equal(tmpl_render(set, "list", d, &b, &e), 0);
    assert_int_equal(b.len, 52);
    /* Rendering appends to what the buffer holds. */
    buf_free(&b);
    buf_init(&b, 100);
    buf_puts(&b, "<ul>");
    assert_int_equal(tmpl_render(set, "list", d, &b, &e), 0);
    assert_string_equal(buf_cstr(&b), "<ul><li>aaaa</li><li>bbbb</li><li>cccc</li><li>dddd</li>");
    buf_free(&b);
    /* An escaped value that overflows fails too. */
    add(set, "esc", "{{v}}");
    json_t *v = json_pack("{s:s}", "v", "<<<<<<<<<<");
    buf_init(&b, 20);
    assert_int_equal(tmpl_render(set, "esc", v, &b, &e), -1);
    buf_free(&b);
    json_decref(v);
    json_decref(d);
    tmpl_set_free(set);
}

static void test_data_not_modified_and_empty_output(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    add(set, "empty", "{{#no}}x{{/no}}");
    json_t *d = json_pack("{s:[i,i]}", "a", 1, 2);
    char *before = json_dumps(d, JSON_SORT_KEYS);
    buf b;
    buf_init(&b, 100);
    error e;
    assert_int_equal(tmpl_render(set, "empty", d, &b, &e), 0);
    assert_non_null(b.data);
    assert_string_equal(buf_cstr(&b), "");
    char *after = json_dumps(d, JSON_SORT_KEYS);
    assert_string_equal(before, after);
    assert_int_equal(d->refcount, 1);
    free(before);
    free(after);
    buf_free(&b);
    json_decref(d);
    tmpl_set_free(set);
    tmpl_set_free(NULL);
}

/* ---------------------------------------------------------------- threads */

typedef struct thread_arg {
    const tmpl_set *set;
    json_t *data;
    const char *expected;
    int failures;
} thread_arg;

static void *render_many(void *p)
{
    thread_arg *a = p;
    buf b;
    buf_init(&b, 1 << 16);
    for (int i = 0; i < 2000; i++) {
        error e;
        buf_reset(&b);
        if (tmpl_render(a->set, "page", a->data, &b, &e) != 0 ||
            strcmp(buf_cstr(&b), a->expected) != 0)
            a->failures++;
    }
    buf_free(&b);
    return NULL;
}

static void test_concurrent_renders(void **state)
{
    (void)state;
    tmpl_set *set = tmpl_set_new();
    add(set, "page", "{{> head}}{{#items}}<li>{{n}}:{{t}}</li>{{/items}}");
    add(set, "head", "<h1>{{title}}</h1>");
    json_t *data = json_loads("{\"title\": \"&\", \"t\": \"x\", \"items\": [{\"n\": 1}, "
                              "{\"n\": 2, \"t\": \"y\"}]}",
                              0, NULL);
    const char *expected = "<h1>&amp;</h1><li>1:x</li><li>2:y</li>";
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){set, data, expected, 0};
        assert_int_equal(pthread_create(&th[i], NULL, render_many, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    json_decref(data);
    tmpl_set_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_escaping_text_and_attributes),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_dotted_paths),
        cmocka_unit_test(test_context_dot),
        cmocka_unit_test(test_filter_url),
        cmocka_unit_test(test_filter_href),
        cmocka_unit_test(test_filter_json),
        cmocka_unit_test(test_sections_by_value),
        cmocka_unit_test(test_sections_over_arrays_and_objects),
        cmocka_unit_test(test_lookup_shadowing),
        cmocka_unit_test(test_whitespace_and_standalone_lines),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_partial_depth_limit),
        cmocka_unit_test(test_missing_partial_and_template),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_depth_and_size_limits),
        cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_data_not_modified_and_empty_output),
        cmocka_unit_test(test_concurrent_renders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
