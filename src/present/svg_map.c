/*
 * svg_map — see svg_map.h. The map is worked out in a viewBox MAP_W units wide (its height
 * follows the box's proportions, within MAP_H_MAX), with no width or height of its own so
 * that the page's CSS sizes it. Outlines drop the vertices closer than MIN_STEP units to the
 * last one written: a quartier drawn from a survey's thousands of points weighs what the
 * picture needs.
 */
#include "present/svg_map.h"

#include <math.h>
#include <string.h>

#include "present/svg_chart.h"

#define MAP_W 720.0
#define MAP_H_MAX 720.0
#define MAP_H_MIN 240.0
#define PAD 16.0      /* units around the box: the largest circle, 0.75 of a cell, stays in */
#define LEGEND_H 64.0 /* the legend's band below the map */
#define MIN_STEP 0.8  /* units between two vertices of an outline written */
#define FONT_PX 13
/* Colours on white and on the quartiers' fill (#f2f2f2): open #b3261e (5.9:1 on the fill),
 * closed #1d4f91 (7.6:1), outlines #595959 (6.4:1), text #1a1a1a; every one above the 3:1
 * WCAG 2.1 asks of graphics. */
#define COLOUR_OPEN "#b3261e"
#define COLOUR_CLOSED "#1d4f91"
#define COLOUR_AREA "#f2f2f2"
#define COLOUR_OUTLINE "#595959"
#define COLOUR_TEXT "#1a1a1a"

/* The projection: x = (lon - lon0) * kx, y = (lat1 - lat) * ky, plus the padding. */
typedef struct proj {
    double lon0, lat1, kx, ky;
    double w, h; /* the map's part of the viewBox */
} proj;

static double px(const proj *p, double lon)
{
    return PAD + (lon - p->lon0) * p->kx;
}

static double py(const proj *p, double lat)
{
    return PAD + (p->lat1 - lat) * p->ky;
}

static void projection(const stats_map *m, proj *p)
{
    area_box b = m->box;
    /* A single point, or points in a line: a box of at least a few hundred metres. */
    const double min_span = 0.004;
    if (b.max_lon - b.min_lon < min_span) {
        double mid = (b.min_lon + b.max_lon) / 2;
        b.min_lon = mid - min_span / 2;
        b.max_lon = mid + min_span / 2;
    }
    if (b.max_lat - b.min_lat < min_span) {
        double mid = (b.min_lat + b.max_lat) / 2;
        b.min_lat = mid - min_span / 2;
        b.max_lat = mid + min_span / 2;
    }
    double cosl = fmax(cos((b.min_lat + b.max_lat) / 2 * M_PI / 180), 0.01);
    double w = (b.max_lon - b.min_lon) * cosl, h = b.max_lat - b.min_lat;
    double inner_w = MAP_W - 2 * PAD;
    double scale = inner_w / w;
    if (h * scale > MAP_H_MAX - 2 * PAD)
        scale = (MAP_H_MAX - 2 * PAD) / h;
    p->lon0 = b.min_lon;
    p->lat1 = b.max_lat;
    p->kx = scale * cosl;
    p->ky = scale;
    p->w = MAP_W;
    p->h = fmax(h * scale + 2 * PAD, MAP_H_MIN);
    /* Centred in the width when the box is taller than wide. */
    p->lon0 -= (inner_w - w * scale) / 2 / p->kx;
}

/* One quartier's outline as a path's data: each ring "M…L…Z", near vertices dropped. */
static void outline(buf *out, const proj *p, const area_geom *g)
{
    for (size_t r = 0; r < g->n_rings; r++) {
        double lx = 0, ly = 0;
        size_t from = g->rings[r], to = g->rings[r + 1];
        for (size_t i = from; i < to; i++) {
            double x = px(p, g->xy[2 * i]), y = py(p, g->xy[2 * i + 1]);
            if (i > from && i + 1 < to && fabs(x - lx) < MIN_STEP && fabs(y - ly) < MIN_STEP)
                continue;
            buf_printf(out, "%s%.1f %.1f", i == from ? "M" : "L", x, y);
            lx = x;
            ly = y;
        }
        buf_putc(out, 'Z');
    }
}

/* The legend: a solid disc for the open requests, a hatched one for all, the note on
 * areas. */
static void legend(buf *out, const proj *p, const svg_map_words *w)
{
    double y = p->h + 22;
    buf_printf(out,
               "<g class=\"legend\" fill=\"%s\">\n"
               "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
               "dy=\"0.35em\">",
               COLOUR_TEXT, PAD + 8, y, COLOUR_OPEN, PAD + 22, y);
    svg_text(out, w->open);
    buf_printf(out,
               "</text>\n<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"url(#map-hatch)\" "
               "stroke=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">",
               MAP_W / 2, y, COLOUR_CLOSED, MAP_W / 2 + 14, y);
    svg_text(out, w->closed);
    buf_printf(out, "</text>\n<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">", PAD, y + 26);
    svg_text(out, w->scale);
    buf_puts(out, "</text>\n</g>\n");
}

int svg_map_draw(buf *out, const stats_map *m, const svg_map_words *w)
{
    proj p;
    projection(m, &p);
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
               "aria-labelledby=\"map-title map-desc\" font-family=\"sans-serif\" "
               "font-size=\"%d\">\n<title id=\"map-title\">",
               p.w, p.h + LEGEND_H, FONT_PX);
    svg_text(out, w->title);
    buf_puts(out, "</title>\n<desc id=\"map-desc\">");
    svg_text(out, w->desc);
    /* The closed requests' hatching: lines of the closed colour, 45°, every 4 units. */
    buf_printf(out,
               "</desc>\n<defs><pattern id=\"map-hatch\" width=\"4\" height=\"4\" "
               "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"4\" "
               "height=\"4\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" "
               "stroke=\"%s\" stroke-width=\"2\"/></pattern></defs>\n"
               "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
               COLOUR_CLOSED, p.w, p.h + LEGEND_H);

    buf_printf(out, "<g class=\"areas\" fill=\"%s\" stroke=\"%s\" fill-rule=\"evenodd\">\n",
               COLOUR_AREA, COLOUR_OUTLINE);
    for (size_t i = 0; i < m->n_areas; i++) {
        if (!m->areas[i].geom.n_rings)
            continue;
        buf_puts(out, "<path d=\"");
        outline(out, &p, &m->areas[i].geom);
        buf_puts(out, "\"><title>");
        svg_text(out, m->areas[i].name);
        buf_puts(out, "</title></path>\n");
    }
    buf_puts(out, "</g>\n");

    /* The largest circle fills its cell; the others' areas follow their counts. Drawn from
     * the smallest up would hide small ones under big ones: the cells come busiest first. */
    double cell_px = fmin(m->cell_lon * p.kx, m->cell_lat * p.ky);
    double r_max = fmax(cell_px * 0.75, 3);
    int64_t max = m->n_cells ? m->cells[0].open + m->cells[0].closed : 1;
    buf_printf(out, "<g class=\"cells\" stroke=\"%s\" stroke-width=\"0.6\">\n", COLOUR_CLOSED);
    for (size_t i = 0; i < m->n_cells; i++) {
        const stats_map_cell *c = &m->cells[i];
        int64_t total = c->open + c->closed;
        double x = px(&p, c->lon), y = py(&p, c->lat);
        double r = fmax(r_max * sqrt((double)total / (double)max), 1.5);
        double ro = c->open ? fmax(r_max * sqrt((double)c->open / (double)max), 1.5) : 0;
        buf_puts(out, "<g><title>");
        svg_text(out, w->cell_titles ? w->cell_titles[i] : "");
        buf_puts(out, "</title>");
        if (c->closed)
            buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.2f\" fill=\"url(#map-hatch)\"/>",
                       x, y, r);
        if (c->open)
            buf_printf(out,
                       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.2f\" fill=\"%s\" stroke=\"%s\"/>", x,
                       y, ro, COLOUR_OPEN, COLOUR_OPEN);
        buf_puts(out, "</g>\n");
    }
    buf_puts(out, "</g>\n");
    /* The quartiers' names at the middle of their box, over the circles, with a white halo
     * so that they stay legible on them. */
    buf_printf(out,
               "<g class=\"area-names\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"3\" "
               "paint-order=\"stroke\" font-weight=\"bold\" text-anchor=\"middle\">\n",
               COLOUR_TEXT);
    for (size_t i = 0; i < m->n_areas; i++) {
        const area_geom *g = &m->areas[i].geom;
        if (!g->n_rings)
            continue;
        buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" dy=\"0.35em\">",
                   px(&p, (g->box.min_lon + g->box.max_lon) / 2),
                   py(&p, (g->box.min_lat + g->box.max_lat) / 2));
        svg_text(out, m->areas[i].name);
        buf_puts(out, "</text>\n");
    }
    buf_puts(out, "</g>\n");
    legend(out, &p, w);
    buf_puts(out, "</svg>\n");
    return out->failed ? -1 : 0;
}
