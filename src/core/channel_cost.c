/*
 * channel_cost — see channel_cost.h. The costs are one small table read at each dashboard
 * view (eight rows at most), written whole by one administrative change.
 */
#include "core/channel_cost.h"

#include <string.h>

#include "core/change.h"
#include "core/core_internal.h"

int channel_is_digital(channel ch)
{
    return ch == CHANNEL_WEB || ch == CHANNEL_MOBILE || ch == CHANNEL_EMAIL || ch == CHANNEL_SMS ||
           ch == CHANNEL_API;
}

int channel_cost_parse(const char *text, int64_t *cents)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    int64_t euros = 0;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 6) /* past 999,999: beyond any bound below */
            return -1;
        euros = euros * 10 + (*p - '0');
    }
    if (!digits)
        return -1;
    int64_t hundredths = 0;
    if (*p == ',' || *p == '.') {
        p++;
        size_t decimals = 0;
        for (; *p >= '0' && *p <= '9'; p++, decimals++) {
            if (decimals == 2)
                return -1;
            hundredths += (*p - '0') * (decimals == 0 ? 10 : 1);
        }
        if (!decimals)
            return -1;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -1;
    int64_t v = euros * 100 + hundredths;
    if (v > CHANNEL_COST_MAX_CENTS)
        return -1;
    *cents = v;
    return 0;
}

int channel_costs_get(core *c, int64_t tenant_id, int64_t cents[CHANNEL_COUNT], error *err)
{
    for (int i = 0; i < CHANNEL_COUNT; i++)
        cents[i] = -1;
    arena a;
    arena_init(&a, 0);
    store_channel_cost *rows = NULL;
    size_t n = 0;
    int rc = c->store->ops->settings.channel_costs(c->store, tenant_id, &a, &rows, &n, err);
    channel ch;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (rows[i].channel && channel_parse(rows[i].channel, &ch) == 0)
            cents[ch] = rows[i].cents;
    arena_free(&a);
    return rc;
}

typedef struct costs_arg {
    int64_t tenant_id;
    int64_t cents[CHANNEL_COUNT];
} costs_arg;

static int apply_costs(store *s, void *arg, int64_t *id, error *err)
{
    costs_arg *ca = arg;
    store_channel_cost rows[CHANNEL_COUNT];
    size_t n = 0;
    *id = 0;
    for (int i = 0; i < CHANNEL_COUNT; i++)
        if (ca->cents[i] >= 0)
            rows[n++] = (store_channel_cost){channel_name((channel)i), ca->cents[i]};
    return s->ops->settings.tx_channel_costs_set(s, ca->tenant_id, rows, n, err);
}

static const change_def costs_change = {"admin", "channel_costs", apply_costs, 0};

int channel_costs_set_as(core *c, const core_actor *who, int64_t tenant_id,
                         const int64_t cents[CHANNEL_COUNT], core_done_fn cb, void *ctx, error *err)
{
    costs_arg ca = {.tenant_id = tenant_id};
    for (int i = 0; i < CHANNEL_COUNT; i++) {
        if (cents[i] > CHANNEL_COST_MAX_CENTS)
            return error_set(err, ERR_INVALID_ARG, channel_name((channel)i), "at most %d cents",
                             CHANNEL_COST_MAX_CENTS);
        ca.cents[i] = cents[i] < 0 ? -1 : cents[i];
    }
    return change_run(c, who, tenant_id, &costs_change, &ca, sizeof ca, NULL, cb, ctx, err);
}

void channel_shift_of(const int64_t count[CHANNEL_COUNT], const int64_t cents[CHANNEL_COUNT],
                      channel_shift *out)
{
    memset(out, 0, sizeof *out);
    out->priced = cents[CHANNEL_COUNTER] >= 0;
    for (int i = 0; i < CHANNEL_COUNT; i++) {
        out->total += count[i];
        if (channel_is_digital((channel)i))
            out->digital += count[i];
        if (count[i] && cents[i] < 0)
            out->priced = 0;
        else if (count[i])
            out->actual_cents += count[i] * cents[i];
    }
    if (!out->priced) {
        out->actual_cents = 0;
        return;
    }
    out->at_counter_cents = out->total * cents[CHANNEL_COUNTER];
    out->saved_cents = out->at_counter_cents - out->actual_cents;
}
