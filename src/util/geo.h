/*
 * geo — distances on the Earth at a town's scale, shared by every «near this point» read
 * (open requests nearby, the nearest address): the great-circle distance, and the box of
 * latitudes and longitudes that holds a circle, which an index on (lat, lon) can scan.
 */
#ifndef GUICHET_UTIL_GEO_H
#define GUICHET_UTIL_GEO_H

/* Metres per degree of latitude (and of longitude at the equator). */
#define GEO_METRES_PER_DEGREE 111320.0

/* 1 when lat and lon are finite and within [-90, 90] and [-180, 180]. */
int geo_valid(double lat, double lon);

/* Great-circle distance in metres between two positions in degrees (haversine). */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* The box around (lat, lon) that holds every point within radius_m metres: its half
 * heights in degrees of latitude (*dlat) and of longitude (*dlon; 360 near the poles,
 * where the span of longitudes grows without bound), and *coslat, cos(lat), which makes
 * (Δlat² + (Δlon·coslat)²) order points like their true distance at these scales. */
void geo_box(double lat, double radius_m, double *dlat, double *dlon, double *coslat);

#endif
