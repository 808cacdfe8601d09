/*
 * sla — a collectivité's holidays calendar and where a request stands against its due date.
 */
#include "core/sla.h"

#include "util/timeutil.h"

workdays_region sla_holidays(const cat_tenant *t)
{
    return t && t->branding.holidays == 1 ? WORKDAYS_ALSACE_MOSELLE : WORKDAYS_FRANCE;
}

int64_t sla_today_end(const cat_tenant *t, int64_t now)
{
    const char *tz = t ? t->rec.timezone : NULL;
    /* Midnight is never skipped nor repeated in the zones guichet serves (clocks change at
     * night's 2 or 3 o'clock), so the next day's 00:00 is one instant. */
    return time_from_local((workdays_local_day(now, tz) + 1) * 86400, tz);
}

sla_state sla_state_at(int64_t due_at, int closed, int64_t now, int64_t today_end)
{
    if (closed || due_at <= 0)
        return SLA_NONE;
    if (due_at < now)
        return SLA_LATE;
    return due_at < today_end ? SLA_DUE_TODAY : SLA_ON_TIME;
}

sla_state sla_of(const cat_tenant *t, const store_request *r, int64_t now)
{
    return sla_state_at(r->due_at, r->closed_at != 0, now, sla_today_end(t, now));
}

void sla_filter(const cat_tenant *t, store_request_filter *f, sla_state state, int64_t now)
{
    if (state != SLA_LATE && state != SLA_DUE_TODAY)
        return;
    f->by_due = 1;
    f->due_from = state == SLA_LATE ? 0 : now;
    f->due_before = state == SLA_LATE ? now : sla_today_end(t, now);
    f->sort = STORE_SORT_DUE_ASC;
}

const char *sla_name(sla_state s)
{
    switch (s) {
    case SLA_LATE:
        return "late";
    case SLA_DUE_TODAY:
        return "today";
    case SLA_ON_TIME:
        return "on_time";
    default:
        return NULL;
    }
}
