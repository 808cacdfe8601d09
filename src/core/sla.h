/*
 * sla — a collectivité's deadlines: the calendar of public holidays its delays are counted
 * with (its setting, national or Alsace-Moselle), and where an open request stands against
 * its due date at an instant — late, due today (by the collectivité's clock), on time — with
 * the filter that gives the inbox's «En retard» and «Échéance aujourd'hui» views.
 */
#ifndef GUICHET_CORE_SLA_H
#define GUICHET_CORE_SLA_H

#include <stdint.h>

#include "core/catalogue.h"
#include "store/records.h"
#include "util/workdays.h"

typedef enum sla_state {
    SLA_NONE = 0,  /* closed, or its procedure gives no delay */
    SLA_ON_TIME,   /* due after today */
    SLA_DUE_TODAY, /* due from now to the end of today */
    SLA_LATE,      /* due before now */
} sla_state;

/* The calendar t's delays are counted with (t NULL: the national one). Every computation of
 * a due date or of working days for t takes its region from here. */
workdays_region sla_holidays(const cat_tenant *t);

/* The first instant of the day after now's day by t's clocks (its zone; t NULL: UTC). */
int64_t sla_today_end(const cat_tenant *t, int64_t now);

/* Where a request due at due_at (0: no due date) stands at now, today ending at today_end
 * (sla_today_end): NONE when closed or without a due date. */
sla_state sla_state_at(int64_t due_at, int closed, int64_t now, int64_t today_end);
/* The same for a request record (closed: closed_at set, as the views filter it). */
sla_state sla_of(const cat_tenant *t, const store_request *r, int64_t now);

/* Narrows f to the open requests that are LATE or DUE_TODAY (state) at now, ordered by due
 * date (the order of the index these views walk). Other states leave f as it is. */
void sla_filter(const cat_tenant *t, store_request_filter *f, sla_state state, int64_t now);

/* The state's short name, "late", "today", "on_time" (class names and string keys); NULL for
 * SLA_NONE. */
const char *sla_name(sla_state s);

#endif
