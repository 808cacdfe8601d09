/*
 * geo — haversine distance and the bounding box of a circle.
 */
#include "util/geo.h"

#include <math.h>

#define EARTH_RADIUS_M 6371008.8

int geo_valid(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (h > 1.0)
        h = 1.0;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(h));
}

void geo_box(double lat, double radius_m, double *dlat, double *dlon, double *coslat)
{
    double c = cos(lat * M_PI / 180.0);
    *coslat = c;
    *dlat = radius_m / GEO_METRES_PER_DEGREE;
    *dlon = c > 1e-6 ? radius_m / (GEO_METRES_PER_DEGREE * c) : 360.0;
}
