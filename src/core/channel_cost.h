/*
 * channel_cost — what one request costs a collectivité on each channel (euro cents, as its
 * administrator types them: none is assumed), and from the requests per channel the channel
 * shift (the share of digital channels) and the money saved against «every request at the
 * counter», which the dashboards show per month and for the year to date.
 */
#ifndef GUICHET_CORE_CHANNEL_COST_H
#define GUICHET_CORE_CHANNEL_COST_H

#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "core/request.h"
#include "util/error.h"

/* Highest cost one request may be given: 1,000 euros. */
#define CHANNEL_COST_MAX_CENTS 100000

/* Whether ch is a digital channel (web, mobile, e-mail, SMS, API) rather than the counter, the
 * phone or the post. */
int channel_is_digital(channel ch);

/* An amount in euros as typed: digits, then at most two decimals after a comma or a point
 * ("12", "0,5", "4.10"), surrounded by spaces or not, at most CHANNEL_COST_MAX_CENTS. 0 and
 * *cents, or -1. */
int channel_cost_parse(const char *text, int64_t *cents);

/* The tenant's costs by channel into cents[] (-1: not given). 0, or -1 with err. */
int channel_costs_get(core *c, int64_t tenant_id, int64_t cents[CHANNEL_COUNT], error *err);

/* Replaces the tenant's costs with cents[] (-1: not given; each at most
 * CHANNEL_COST_MAX_CENTS, else ERR_INVALID_ARG naming the channel) as `who` (an admin of the
 * tenant, the command line or the system), audited ("admin", "channel_costs"). cb NULL
 * waits; otherwise as change_run. */
int channel_costs_set_as(core *c, const core_actor *who, int64_t tenant_id,
                         const int64_t cents[CHANNEL_COUNT], core_done_fn cb, void *ctx,
                         error *err);

/* The channel shift of a set of requests. */
typedef struct channel_shift {
    int64_t total, digital;
    /* 1 when the savings below are known: the counter's cost and the cost of every channel
     * that has requests were given. */
    int priced;
    int64_t at_counter_cents; /* total × the counter's cost */
    int64_t actual_cents;     /* Σ requests of a channel × its cost */
    int64_t saved_cents;      /* at_counter_cents − actual_cents (negative: it cost more) */
} channel_shift;

/* The shift of count[ch] requests on each channel at costs cents[] (channel_costs_get's). */
void channel_shift_of(const int64_t count[CHANNEL_COUNT], const int64_t cents[CHANNEL_COUNT],
                      channel_shift *out);

#endif
