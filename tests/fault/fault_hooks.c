/*
 * fault_hooks — the two fault injectors of the fault loops.
 *
 * Allocations: guichet's own objects are linked with -Wl,--wrap for malloc, calloc, realloc,
 * strdup and strndup, so their calls land here (shared libraries keep their own allocator:
 * glib and libvips abort on a failed allocation by design, and are not ours to test);
 * SQLite's allocator is pointed here too (its out-of-memory paths are part of what our store
 * must handle). jansson's is not: jansson 2.14's parser writes out of bounds when an
 * allocation fails inside json_loads (found by this loop), so failing it would test jansson,
 * not guichet. When armed with N, the Nth allocation made by a thread that is not exempt
 * fails, once.
 *
 * Storage: a SQLite VFS registered as the default, forwarding to the real one, fails the
 * Nth write, sync or truncate with SQLITE_IOERR (or SQLITE_FULL), once.
 */
#include "fault_hooks.h"

#include <execinfo.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- allocations ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

/* The Nth call fails, once: left counts down to it (0: off), fired says it happened. */
typedef struct countdown {
    _Atomic long left;
    _Atomic int fired;
} countdown;

static void countdown_arm(countdown *c, long n)
{
    atomic_store(&c->fired, 0);
    atomic_store(&c->left, n);
}

/* 1 when this call is the one to fail. */
static int countdown_take(countdown *c)
{
    if (atomic_load(&c->left) <= 0)
        return 0;
    if (atomic_fetch_sub(&c->left, 1) == 1) {
        atomic_store(&c->fired, 1);
        return 1;
    }
    return 0;
}

static countdown allocs;
static _Thread_local int exempt;

void fault_alloc_exempt_this_thread(void)
{
    exempt = 1;
}

void fault_alloc_arm(long n)
{
    countdown_arm(&allocs, n);
}

void fault_alloc_disarm(void)
{
    countdown_arm(&allocs, 0);
}

int fault_alloc_fired(void)
{
    return atomic_load(&allocs.fired);
}

/* 1 when this allocation is the one to fail (never on an exempt thread). */
static int fail_now(void)
{
    if (exempt || !countdown_take(&allocs))
        return 0;
    if (getenv("FAULT_TRACE")) { /* where the failing allocation is: for a developer */
        void *frames[24];
        int n = backtrace(frames, 24);
        backtrace_symbols_fd(frames, n, 2);
        write(2, "--\n", 3);
    }
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

static sqlite3_mem_methods sqlite_real_mem;

static void *sqlite_fault_malloc(int n)
{
    return fail_now() ? NULL : sqlite_real_mem.xMalloc(n);
}

static void *sqlite_fault_realloc(void *p, int n)
{
    return fail_now() ? NULL : sqlite_real_mem.xRealloc(p, n);
}

/* ---- storage ---- */

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static countdown ios;
static int io_error = SQLITE_IOERR_WRITE;

void fault_io_arm(long n, int full)
{
    io_error = full ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    countdown_arm(&ios, n);
}

void fault_io_disarm(void)
{
    countdown_arm(&ios, 0);
}

int fault_io_fired(void)
{
    return atomic_load(&ios.fired);
}

static int io_fail_now(void)
{
    return countdown_take(&ios);
}

/* A file of the fault VFS: its methods, then the real file. */
typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real;
} fault_file;

#define REAL(f) (((fault_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}

static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (io_fail_now())
        return io_error;
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (io_fail_now())
        return SQLITE_IOERR_TRUNCATE;
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    if (io_fail_now())
        return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int f_unlock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int f_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_io = {
    3,           f_close,       f_read,          f_write,
    f_truncate,  f_sync,        f_file_size,     f_lock,
    f_unlock,    f_check_reserved, f_file_control, f_sector_size,
    f_device_characteristics, f_shm_map, f_shm_lock, f_shm_barrier,
    f_shm_unmap, f_fetch,       f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void)vfs;
    fault_file *ff = (fault_file *)f;
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set: set it whenever the real file is open. */
    ff->base.pMethods = ff->real->pMethods ? &fault_io : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

int fault_hooks_install(void)
{
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_real_mem) != SQLITE_OK)
        return -1;
    sqlite3_mem_methods m = sqlite_real_mem;
    m.xMalloc = sqlite_fault_malloc;
    m.xRealloc = sqlite_fault_realloc;
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK)
        return -1;
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return -1;
    fault_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = "guichet-fault",
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_last_error,
        .xCurrentTimeInt64 = v_current_time64,
    };
    return sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK ? 0 : -1;
}
