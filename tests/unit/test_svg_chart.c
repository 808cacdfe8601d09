/*
 * test_svg_chart — the dashboards' bar chart (src/present/svg_chart): rounded ticks, and
 * documents that libxml2 reads as well-formed XML whatever the data: none, one value, the
 * largest value, hundreds of bars, labels with XML specials, control characters or bytes that
 * are not UTF-8; out-of-range input and a full buffer refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <string.h>

#include "present/svg_chart.h"
#include "util/axis.h"
#include "util/buf.h"

/* Parses the chart; fails the test when it is not well-formed XML with an <svg> root. */
static xmlDocPtr parse(buf *b)
{
    xmlDocPtr doc = xmlReadMemory(b->data, (int)b->len, "chart.svg", "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_non_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_non_null(root);
    assert_string_equal((const char *)root->name, "svg");
    return doc;
}

/* The nodes an XPath expression (prefix s: for SVG) selects, as a count, and the text of the
 * first into first (when not NULL). */
static int select_nodes(xmlDocPtr doc, const char *expr, char *first, size_t first_len)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    assert_non_null(o);
    int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    if (first && first_len) {
        first[0] = '\0';
        if (n > 0) {
            xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
            snprintf(first, first_len, "%s", t ? (const char *)t : "");
            xmlFree(t);
        }
    }
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return n;
}

static void test_ticks(void **state)
{
    (void)state;
    static const struct {
        int64_t max, step, top;
    } cases[] = {
        {0, 1, 1},
        {1, 1, 1},
        {6, 1, 6},
        {7, 2, 8},
        {12, 2, 12},
        {13, 5, 15},
        {100, 20, 100},
        {101, 20, 120},
        {999, 200, 1000},
        {12345, 5000, 15000},
        {SVG_CHART_MAX_VALUE, INT64_C(200000000000000), SVG_CHART_MAX_VALUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t step, top;
        axis_ticks(cases[i].max, &step, &top);
        assert_int_equal(step, cases[i].step);
        assert_int_equal(top, cases[i].top);
    }
    /* Every max: a step of 1, 2 or 5 × 10^k, at most 6 steps, the top the first multiple. */
    for (int64_t max = 1; max < 200000; max += max / 7 + 1) {
        int64_t step, top, m = step = 0;
        axis_ticks(max, &step, &top);
        for (m = step; m % 10 == 0; m /= 10)
            ;
        assert_true(m == 1 || m == 2 || m == 5);
        assert_true(top >= max && top - step < max);
        assert_true(top / step <= 6);
    }
}

static void test_empty(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(svg_chart_bars(&b, "Demandes", "aucune", NULL, 0), 0);
    xmlDocPtr doc = parse(&b);
    char text[64];
    assert_int_equal(select_nodes(doc, "//s:g[@class='bars']/s:rect", NULL, 0), 0);
    assert_int_equal(select_nodes(doc, "//s:g[@class='ticks']/s:text", text, sizeof text), 2);
    assert_string_equal(text, "0");
    assert_int_equal(select_nodes(doc,
                                  "/s:svg[@role='img'][@aria-labelledby='chart-title chart-desc']",
                                  NULL, 0),
                     1);
    assert_int_equal(select_nodes(doc, "/s:svg/s:title[@id='chart-title']", text, sizeof text), 1);
    assert_string_equal(text, "Demandes");
    xmlFreeDoc(doc);
    buf_free(&b);
}

static void test_one_value(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    svg_bar bar = {"07/12/2026", 3};
    assert_int_equal(svg_chart_bars(&b, "t", "d", &bar, 1), 0);
    xmlDocPtr doc = parse(&b);
    char text[64];
    assert_int_equal(select_nodes(doc, "//s:g[@class='bars']/s:rect", NULL, 0), 1);
    assert_int_equal(select_nodes(doc, "//s:g[@class='labels']/s:text", text, sizeof text), 1);
    assert_string_equal(text, "07/12/2026");
    /* 0, 1, 2, 3: the only bar reaches the top tick. */
    assert_int_equal(select_nodes(doc, "//s:g[@class='ticks']/s:text", NULL, 0), 4);
    assert_non_null(strstr(b.data, "viewBox=\"0 0 720 360\""));
    assert_null(strstr(b.data, " width=\"720\" height=\"360\" role"));
    xmlFreeDoc(doc);
    buf_free(&b);
}

static void test_huge_and_refused(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    svg_bar bars[2] = {{"a", SVG_CHART_MAX_VALUE}, {"b", 1}};
    assert_int_equal(svg_chart_bars(&b, "t", "d", bars, 2), 0);
    xmlDocPtr doc = parse(&b);
    /* The top tick in French: groups of three digits with narrow no-break spaces. */
    assert_int_equal(select_nodes(doc,
                                  "//s:g[@class='ticks']/s:text[.='1\xe2\x80\xaf"
                                  "000\xe2\x80\xaf"
                                  "000\xe2\x80\xaf"
                                  "000\xe2\x80\xaf"
                                  "000\xe2\x80\xaf"
                                  "000']",
                                  NULL, 0),
                     1);
    xmlFreeDoc(doc);
    buf_reset(&b);
    bars[0].value = SVG_CHART_MAX_VALUE + 1;
    assert_int_equal(svg_chart_bars(&b, "t", "d", bars, 2), -1);
    bars[0].value = -1;
    assert_int_equal(svg_chart_bars(&b, "t", "d", bars, 2), -1);
    buf_reset(&b);
    static svg_bar many[SVG_CHART_MAX_BARS + 1];
    for (size_t i = 0; i <= SVG_CHART_MAX_BARS; i++)
        many[i] = (svg_bar){"x", (int64_t)i};
    assert_int_equal(svg_chart_bars(&b, "t", "d", many, SVG_CHART_MAX_BARS + 1), -1);
    buf_reset(&b);
    /* The most bars: every one drawn, the labels thinned out so that they stay legible. */
    assert_int_equal(svg_chart_bars(&b, "t", "d", many, SVG_CHART_MAX_BARS), 0);
    doc = parse(&b);
    assert_int_equal(select_nodes(doc, "//s:g[@class='bars']/s:rect", NULL, 0), SVG_CHART_MAX_BARS);
    int labels = select_nodes(doc, "//s:g[@class='labels']/s:text", NULL, 0);
    assert_true(labels > 0 && labels <= 24);
    xmlFreeDoc(doc);
    buf_free(&b);
    /* A buffer too small: refused, not cut into a broken document. */
    buf_init(&b, 200);
    assert_int_equal(svg_chart_bars(&b, "t", "d", bars + 1, 1), -1);
    buf_free(&b);
}

static void test_escaped(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    svg_bar bars[3] = {{"<script>&\"'</script>", 2},
                       {"a\x01\x1b"
                        "b",
                        1},
                       {"bad \xff\xfe utf-8", 1}};
    assert_int_equal(svg_chart_bars(&b, "Titre <b>&", "desc ]]> \"x\"", bars, 3), 0);
    assert_null(strstr(b.data, "<script>"));
    xmlDocPtr doc = parse(&b);
    char text[128];
    assert_int_equal(select_nodes(doc, "//s:g[@class='labels']/s:text", text, sizeof text), 3);
    assert_string_equal(text, "<script>&\"'</script>");
    assert_int_equal(select_nodes(doc, "//s:g[@class='labels']/s:text[.='ab']", NULL, 0), 1);
    assert_int_equal(select_nodes(doc, "//s:g[@class='labels']/s:text[.='']", NULL, 0), 1);
    select_nodes(doc, "/s:svg/s:title", text, sizeof text);
    assert_string_equal(text, "Titre <b>&");
    select_nodes(doc, "/s:svg/s:desc", text, sizeof text);
    assert_string_equal(text, "desc ]]> \"x\"");
    xmlFreeDoc(doc);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticks),     cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_value), cmocka_unit_test(test_huge_and_refused),
        cmocka_unit_test(test_escaped),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
