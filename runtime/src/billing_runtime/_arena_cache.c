/* Python's small-object arenas, kept for reuse instead of handed back to the kernel at once.

   Python's allocator takes its small objects from arenas of 1 MiB, which it maps from the kernel
   and unmaps as soon as the last object in one is freed. A consumer's batch (tens of thousands of
   records, usages and keys) fills tens of MiB of arenas and frees them all when it is done, and
   the next batch maps them again: a page fault and a zeroed page every 4 KiB. `keep(n)` wraps the
   arena allocator in place: an arena freed goes onto a stack of up to `n` (the rest are unmapped
   as before), and the next arena wanted comes off that stack, its pages still there.

   Safe to install at any time: it only ever hands back what the allocator it wraps gave, of the
   size asked, and it frees through that allocator too. Python calls these with the GIL held, so
   the stack needs no lock. See billing_runtime/allocator.py for the figures. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Python hands this allocator two kinds of blocks: its arenas (1 MiB on 64-bit builds) and its
   frames' stack chunks (16 KiB, kept by each thread anyway). Only blocks of at least this size are
   kept, each with its size, and a block is handed out again only for its own size. */
#define SMALLEST_KEPT (256 * 1024)

typedef struct {
    void *address;
    size_t size;
} Block;

static PyObjectArenaAllocator wrapped;
static int installed = 0;
static Block *kept = NULL;
static size_t kept_count = 0, kept_most = 0;
static unsigned long long reused = 0, mapped = 0;

static void *arena_alloc(void *ctx, size_t size) {
    if (size < SMALLEST_KEPT) return wrapped.alloc(wrapped.ctx, size); /* never kept: no need to look */
    for (size_t i = kept_count; i-- > 0;) { /* the last kept first: all one size, in practice */
        if (kept[i].size == size) {
            void *address = kept[i].address;
            kept[i] = kept[--kept_count];
            reused++;
            return address;
        }
    }
    mapped++;
    return wrapped.alloc(wrapped.ctx, size);
}

static void arena_free(void *ctx, void *address, size_t size) {
    if (size >= SMALLEST_KEPT && kept_count < kept_most) {
        kept[kept_count].address = address;
        kept[kept_count].size = size;
        kept_count++;
        return;
    }
    wrapped.free(wrapped.ctx, address, size);
}

static PyObject *keep(PyObject *module, PyObject *arg) {
    Py_ssize_t most = PyLong_AsSsize_t(arg);
    if (most == -1 && PyErr_Occurred()) return NULL;
    if (most < 0) {
        PyErr_SetString(PyExc_ValueError, "the arenas kept cannot be fewer than none");
        return NULL;
    }
    while ((size_t)most < kept_count) { /* fewer now: the ones over go back to the kernel */
        kept_count--;
        wrapped.free(wrapped.ctx, kept[kept_count].address, kept[kept_count].size);
    }
    Block *grown = PyMem_RawRealloc(kept, (most ? most : 1) * sizeof(Block));
    if (grown == NULL) return PyErr_NoMemory();
    kept = grown;
    kept_most = (size_t)most;
    if (!installed) {
        PyObject_GetArenaAllocator(&wrapped);
        PyObjectArenaAllocator ours = {NULL, arena_alloc, arena_free};
        PyObject_SetArenaAllocator(&ours);
        installed = 1;
    }
    Py_RETURN_NONE;
}

static PyObject *stats(PyObject *module, PyObject *unused) {
    return Py_BuildValue("{s:n,s:n,s:K,s:K}", "kept", (Py_ssize_t)kept_count, "most", (Py_ssize_t)kept_most,
                         "reused", reused, "mapped", mapped);
}

static PyMethodDef methods[] = {
    {"keep", keep, METH_O, "keep(n): keep up to n freed arenas for reuse (installs the cache on first call)"},
    {"stats", stats, METH_NOARGS, "{'kept', 'most', 'reused', 'mapped'}: arenas kept now, at most, reused, mapped"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_arena_cache", NULL, -1, methods};

PyMODINIT_FUNC PyInit__arena_cache(void) { return PyModule_Create(&module); }
