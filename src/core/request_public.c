/*
 * request_public — the public side of a request (see request_public.h): the visibility rule
 * the public pages, the report flow and Open311 share, the cards, and the nearby query.
 */
#include "core/request_public.h"

#include <math.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/workflow.h"
#include "store/store.h"

int request_public_procedure(const cat_procedure *p)
{
    return p && p->rec.is_public && p->rec.kind == PROCEDURE_INCIDENT;
}

int request_public_visible(const cat_tenant *t, const store_request *r, const cat_procedure **p)
{
    const cat_procedure *proc = catalogue_procedure_by_id(t, r->procedure_id);
    if (p)
        *p = proc;
    return r->is_public && request_public_procedure(proc);
}

const char *request_public_text(const store_request *r)
{
    return r->public_description && *r->public_description ? r->public_description : NULL;
}

/* The card's fields, without the photo. */
static void card_fill(const store_request *r, const cat_procedure *p, request_public_card *out)
{
    memset(out, 0, sizeof *out);
    out->reference = r->reference;
    out->procedure = p;
    out->text = request_public_text(r);
    out->status = r->status;
    out->address = r->address && *r->address ? r->address : NULL;
    out->has_location = r->has_location;
    out->lat = r->lat;
    out->lon = r->lon;
    out->supporters = r->supporters > 0 ? r->supporters : 0;
    out->created_at = r->created_at;
}

int request_public_card_of(core *c, const cat_tenant *t, const store_request *r,
                           request_public_card *out, error *err)
{
    const cat_procedure *p;
    if (!request_public_visible(t, r, &p))
        return error_set(err, ERR_NOT_FOUND, "reference", "no such public incident");
    card_fill(r, p, out);
    return c->store->ops->attachments.first_public_photo(c->store, t->rec.id, r->id, &out->photo_id,
                                                         err);
}

int request_public_nearby(core *c, const cat_tenant *t, double lat, double lon, double metres,
                          size_t limit, arena *a, request_public_card **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (!isfinite(lat) || lat < -90 || lat > 90)
        return error_set(err, ERR_INVALID_ARG, "lat", "latitude out of range");
    if (!isfinite(lon) || lon < -180 || lon > 180)
        return error_set(err, ERR_INVALID_ARG, "lon", "longitude out of range");
    if (!isfinite(metres) || metres <= 0 || metres > REQUEST_NEARBY_MAX_METRES)
        return error_set(err, ERR_INVALID_ARG, "metres", "radius out of range");
    if (limit == 0 || limit > REQUEST_NEARBY_MAX_LIMIT)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit out of range");
    store_request *rows = NULL;
    double *dist = NULL;
    size_t found = 0;
    if (c->store->ops->requests.public_near(c->store, t->rec.id, lat, lon, metres, limit, a, &rows,
                                            &dist, &found, err) != 0)
        return -1;
    if (found == 0)
        return 0;
    request_public_card *cards = arena_alloc(a, found * sizeof *cards);
    if (!cards)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < found; i++) {
        /* The store chose by the same rule; the catalogue snapshot has the last word (a
         * procedure made private a moment ago), and a status closed in a way closed_at does
         * not say is no «open» incident either. */
        const cat_procedure *p = catalogue_procedure_by_id(t, rows[i].procedure_id);
        if (p && workflow_is_closed(p->workflow, rows[i].status))
            continue;
        if (request_public_card_of(c, t, &rows[i], &cards[k], err) != 0) {
            if (err->code != ERR_NOT_FOUND)
                return -1;
            error_clear(err);
            continue;
        }
        cards[k].has_distance = 1;
        cards[k++].distance_m = dist[i];
    }
    *out = cards;
    *n = k;
    return 0;
}
