/*
 * assets — lookups in the table tools/embed generated. The table is sorted by path, so a
 * lookup is a binary search with no setup and nothing to free.
 */
#include "present/assets.h"

#include <stdlib.h>
#include <string.h>

static int cmp_path(const void *key, const void *elem)
{
    return strcmp(key, ((const web_asset *)elem)->path);
}

const web_asset *assets_find(const char *path)
{
    if (!path)
        return NULL;
    return bsearch(path, assets_table, assets_table_len, sizeof assets_table[0], cmp_path);
}

size_t assets_count(void)
{
    return assets_table_len;
}

const web_asset *assets_at(size_t i)
{
    return i < assets_table_len ? &assets_table[i] : NULL;
}
