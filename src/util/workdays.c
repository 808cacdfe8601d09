/*
 * workdays — French public holidays and delays counted in days.
 */
#include "util/workdays.h"

#include <stdio.h>

#include "util/timeutil.h"

/* Howard Hinnant's days_from_civil and civil_from_days (public domain algorithms). */
int64_t workdays_day(int y, int m, int d)
{
    int64_t yy = y - (m <= 2);
    const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    const int64_t yoe = yy - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void workdays_civil(int64_t day, int *y, int *m, int *d)
{
    int64_t z = day + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int workdays_weekday(int64_t day)
{
    int64_t r = ((day % 7) + 7) % 7; /* 0: a Thursday, as 1970-01-01 */
    return (int)((r + 3) % 7) + 1;
}

/* The anonymous Gregorian computus (Meeus, Astronomical Algorithms, ch. 8): exact for every
 * Gregorian year, no table. */
void workdays_easter(int y, int *month, int *day)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3;
    int h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    *month = (h + l - 7 * m + 114) / 31;
    *day = (h + l - 7 * m + 114) % 31 + 1;
}

static const struct {
    int month, day;
    int alsace_moselle_only;
    const char *name;
} fixed_holidays[] = {
    {1, 1, 0, "Jour de l’an"},     {5, 1, 0, "Fête du Travail"}, {5, 8, 0, "Victoire 1945"},
    {7, 14, 0, "Fête nationale"},  {8, 15, 0, "Assomption"},     {11, 1, 0, "Toussaint"},
    {11, 11, 0, "Armistice 1918"}, {12, 25, 0, "Noël"},          {12, 26, 1, "Saint-Étienne"},
};

/* Holidays at a distance from Easter Sunday. */
static const struct {
    int offset;
    int alsace_moselle_only;
    const char *name;
} easter_holidays[] = {
    {-2, 1, "Vendredi saint"},
    {1, 0, "Lundi de Pâques"},
    {39, 0, "Ascension"},
    {50, 0, "Lundi de Pentecôte"},
};

const char *workdays_holiday(int64_t day, workdays_region region)
{
    int y, m, d;
    workdays_civil(day, &y, &m, &d);
    int all = region == WORKDAYS_ALSACE_MOSELLE;
    for (size_t i = 0; i < sizeof fixed_holidays / sizeof fixed_holidays[0]; i++)
        if (fixed_holidays[i].month == m && fixed_holidays[i].day == d &&
            (all || !fixed_holidays[i].alsace_moselle_only))
            return fixed_holidays[i].name;
    int em, ed;
    workdays_easter(y, &em, &ed);
    int64_t from_easter = day - workdays_day(y, em, ed);
    for (size_t i = 0; i < sizeof easter_holidays / sizeof easter_holidays[0]; i++)
        if (easter_holidays[i].offset == from_easter &&
            (all || !easter_holidays[i].alsace_moselle_only))
            return easter_holidays[i].name;
    return NULL;
}

int workdays_is_working_day(int64_t day, workdays_region region)
{
    return workdays_weekday(day) <= 5 && workdays_holiday(day, region) == NULL;
}

int64_t workdays_add_working(int64_t day, int n, workdays_region region)
{
    while (!workdays_is_working_day(day, region))
        day++;
    for (int i = 0; i < n; i++)
        do
            day++;
        while (!workdays_is_working_day(day, region));
    return day;
}

int64_t workdays_add_calendar(int64_t day, int n)
{
    return day + n;
}

int64_t workdays_add_months(int64_t day, int n)
{
    int y, m, d;
    workdays_civil(day, &y, &m, &d);
    int months = (m - 1) + n;
    y += months / 12;
    m = months % 12 + 1;
    /* The month's last day: the day before the first of the next month. */
    int64_t last = (m == 12 ? workdays_day(y + 1, 1, 1) : workdays_day(y, m + 1, 1)) - 1;
    int64_t same = workdays_day(y, m, 1) + d - 1;
    return same < last ? same : last;
}

int64_t workdays_due_day(int64_t start, int n, workdays_count count, workdays_region region)
{
    if (count == WORKDAYS_MONTHS)
        return workdays_add_working(workdays_add_months(start, n), 0, region);
    if (count == WORKDAYS_WORKING)
        return n > 0 ? workdays_add_working(start + 1, n - 1, region)
                     : workdays_add_working(start, 0, region);
    return workdays_add_working(workdays_add_calendar(start, n), 0, region);
}

int64_t workdays_local_day(int64_t t, const char *tz)
{
    char s[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, s);
    int y = 1970, m = 1, d = 1;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return t / 86400;
    return workdays_day(y, m, d);
}

int64_t workdays_due_at(int64_t t, const char *tz, int n, workdays_count count,
                        workdays_region region)
{
    int64_t due = workdays_due_day(workdays_local_day(t, tz), n, count, region);
    return time_from_local(due * 86400 + 86399, tz);
}
