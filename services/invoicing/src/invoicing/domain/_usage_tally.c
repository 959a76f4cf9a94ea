/* The compiled `aggregate_usage` (usage.py, which loads it and keeps the same function in Python
 * as the reference).
 *
 * `tally(usages, meters)` gives what `aggregate_usage` gives: the tallies by `UsageKey`, made as
 * `_tally_in_python` and `_tallies` make them. It takes only the plainest usages: a tuple of seven,
 * a meter in `meters` (its code to the property a unique count counts, or None), a `datetime` (not
 * a subclass) in UTC, and for a unique count a dict or read-only mapping that has the property. At
 * the first usage it does not take it stops and returns None: the caller then aggregates the whole
 * batch in Python, which raises the domain's error or converts the time. Quantities are added and
 * compared by Python's own operators (the caller's decimal context applies): it makes no
 * arithmetic of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

/* A usage's fields, in the order of the domain's `Usage`. */
enum { ACCOUNT, PROJECT, METER, QUANTITY, OCCURRED_AT, PROPERTIES, TRACEPARENT, USAGE_FIELDS };
/* A running tally's items, in the order `_tally_in_python` keeps them. */
enum { SUM, EVENTS, MAX, VALUES, TRACE, TALLY_ITEMS };

static PyObject *one; /* the int 1 */
/* What `configure` gave: the types to make, how to make a period, zero, the empty frozenset. */
static PyObject *key_type, *tally_type, *period_of, *zero, *no_values;

/* The property a unique-count usage counts: a new reference, NULL if it has none (no exception
 * set) or on an error (set). */
static PyObject *counted_value(PyObject *properties, PyObject *name) {
    PyObject *value;
    if (PyDict_CheckExact(properties)) {
        value = PyDict_GetItemWithError(properties, name);
        Py_XINCREF(value);
    } else if (Py_IS_TYPE(properties, &PyDictProxy_Type)) {
        value = PyObject_GetItem(properties, name);
        if (value == NULL && PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
    } else {
        return NULL; /* another mapping: its `get` is Python's to call */
    }
    if (value == Py_None) Py_CLEAR(value); /* no value: the domain's error, raised in Python */
    return value;
}

/* A new running tally, as `_tally_in_python` starts one. */
static PyObject *new_tally(void) {
    PyObject *tally = PyList_New(TALLY_ITEMS);
    if (tally == NULL) return NULL;
    PyList_SET_ITEM(tally, SUM, Py_NewRef(zero));
    PyList_SET_ITEM(tally, EVENTS, PyLong_FromLong(0)); /* a cached small int: cannot fail */
    PyList_SET_ITEM(tally, MAX, Py_NewRef(zero));
    PyList_SET_ITEM(tally, VALUES, Py_NewRef(Py_None));
    PyList_SET_ITEM(tally, TRACE, Py_NewRef(Py_None));
    return tally;
}

/* Adds one usage to its tally: 1, 0 on an error (set). */
static int add(PyObject *tally, PyObject *usage, PyObject *counted) {
    PyObject *quantity = PyTuple_GET_ITEM(usage, QUANTITY), *trace = PyTuple_GET_ITEM(usage, TRACEPARENT);
    PyObject *sum = PyNumber_InPlaceAdd(PyList_GET_ITEM(tally, SUM), quantity);
    if (sum == NULL) return 0;
    PyList_SetItem(tally, SUM, sum);
    PyObject *events = PyNumber_Add(PyList_GET_ITEM(tally, EVENTS), one);
    if (events == NULL) return 0;
    PyList_SetItem(tally, EVENTS, events);
    int larger = PyObject_RichCompareBool(quantity, PyList_GET_ITEM(tally, MAX), Py_GT);
    if (larger < 0) return 0;
    if (larger) PyList_SetItem(tally, MAX, Py_NewRef(quantity));
    int traced = PyObject_IsTrue(trace);
    if (traced < 0) return 0;
    if (traced) PyList_SetItem(tally, TRACE, Py_NewRef(trace));
    if (counted != NULL) {
        if (PyList_GET_ITEM(tally, VALUES) == Py_None) {
            PyObject *values = PySet_New(NULL);
            if (values == NULL) return 0;
            PyList_SetItem(tally, VALUES, values);
        }
        if (PySet_Add(PyList_GET_ITEM(tally, VALUES), counted) < 0) return 0;
    }
    return 1;
}

/* The running tallies of `usages` by (account, project, meter, year, month), as `_tally_in_python`
 * keeps them: 1 once all are in; 0 at the first it leaves, or on an error (set). */
static int tally_all(PyObject *usages, PyObject *meters, PyObject *running) {
    PyObject *year = NULL; /* the last usage's year: a batch's usages are in a year or two */
    int taken = 1;
    /* The list is read by index each time: a comparison or an addition runs Python code, which
     * could change it. */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(usages); i++) {
        PyObject *usage = PyList_GET_ITEM(usages, i);
        if (!PyTuple_Check(usage) || PyTuple_GET_SIZE(usage) != USAGE_FIELDS) {
            taken = 0;
            break;
        }
        Py_INCREF(usage); /* held: the list could drop it meanwhile */
        PyObject *code = PyTuple_GET_ITEM(usage, METER), *at = PyTuple_GET_ITEM(usage, OCCURRED_AT);
        PyObject *counted = NULL, *key = NULL, *month = NULL;
        int done = 0;
        PyObject *unique = PyUnicode_CheckExact(code) ? PyDict_GetItemWithError(meters, code) : NULL;
        if (unique == NULL || !PyDateTime_CheckExact(at) || PyDateTime_DATE_GET_TZINFO(at) != PyDateTime_TimeZone_UTC)
            goto next; /* an unknown meter, a time to convert: Python's */
        if (unique != Py_None && (counted = counted_value(PyTuple_GET_ITEM(usage, PROPERTIES), unique)) == NULL)
            goto next;
        if (year == NULL || PyLong_AsLong(year) != PyDateTime_GET_YEAR(at)) {
            Py_XSETREF(year, PyLong_FromLong(PyDateTime_GET_YEAR(at)));
            if (year == NULL) goto next;
        }
        if ((month = PyLong_FromLong(PyDateTime_GET_MONTH(at))) == NULL) goto next;
        key = PyTuple_Pack(5, PyTuple_GET_ITEM(usage, ACCOUNT), PyTuple_GET_ITEM(usage, PROJECT), code, year, month);
        if (key == NULL) goto next;
        PyObject *running_tally = PyDict_GetItemWithError(running, key); /* borrowed */
        if (running_tally == NULL) {
            if (PyErr_Occurred()) goto next;
            PyObject *fresh = new_tally();
            if (fresh == NULL) goto next;
            int stored = PyDict_SetItem(running, key, fresh);
            Py_DECREF(fresh); /* the dict holds it */
            if (stored < 0) goto next;
            running_tally = fresh;
        }
        Py_INCREF(running_tally); /* held: adding runs Python code */
        done = add(running_tally, usage, counted);
        Py_DECREF(running_tally);
    next:
        Py_XDECREF(counted);
        Py_XDECREF(key);
        Py_XDECREF(month);
        Py_DECREF(usage);
        if (!done) {
            taken = 0;
            break;
        }
    }
    Py_XDECREF(year);
    return taken;
}

/* A new tuple of `type` (a named tuple) holding `items`, made as `tuple.__new__(type, items)` makes
 * it. */
static PyObject *named_tuple(PyObject *type, PyObject *const *items, Py_ssize_t count) {
    PyObject *made = ((PyTypeObject *)type)->tp_alloc((PyTypeObject *)type, count);
    if (made == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) PyTuple_SET_ITEM(made, i, Py_NewRef(items[i]));
    return made;
}

/* The period of a running key's year and month, made once per batch by `period_of`. */
static PyObject *period(PyObject *periods, PyObject *year, PyObject *month) {
    PyObject *ordinal = PyLong_FromLong(PyLong_AsLong(year) * 12 + PyLong_AsLong(month)); /* both made here: small */
    if (ordinal == NULL) return NULL;
    PyObject *found = PyDict_GetItemWithError(periods, ordinal);
    if (found != NULL) {
        Py_INCREF(found);
    } else if (!PyErr_Occurred() && (found = PyObject_CallFunctionObjArgs(period_of, year, month, NULL)) != NULL
               && PyDict_SetItem(periods, ordinal, found) < 0) {
        Py_CLEAR(found);
    }
    Py_DECREF(ordinal);
    return found;
}

/* The tallies by `UsageKey` from the running ones, as `_tallies` makes them; NULL on an error. */
static PyObject *tallies(PyObject *running) {
    PyObject *made = PyDict_New(), *periods = PyDict_New();
    if (made == NULL || periods == NULL) goto fail;
    Py_ssize_t at = 0;
    PyObject *key, *tally;
    while (PyDict_Next(running, &at, &key, &tally)) {
        PyObject *when = period(periods, PyTuple_GET_ITEM(key, 3), PyTuple_GET_ITEM(key, 4));
        if (when == NULL) goto fail;
        PyObject *key_items[] = {PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1), PyTuple_GET_ITEM(key, 2), when};
        PyObject *usage_key = named_tuple(key_type, key_items, 4);
        Py_DECREF(when);
        PyObject *values = PyList_GET_ITEM(tally, VALUES);
        values = values == Py_None ? Py_NewRef(no_values) : PyFrozenSet_New(values);
        PyObject *made_tally = NULL;
        if (values != NULL) {
            PyObject *items[] = {PyList_GET_ITEM(tally, SUM), PyList_GET_ITEM(tally, EVENTS), PyList_GET_ITEM(tally, MAX),
                                 values, PyList_GET_ITEM(tally, TRACE)};
            made_tally = named_tuple(tally_type, items, 5);
            Py_DECREF(values);
        }
        int stored = usage_key != NULL && made_tally != NULL ? PyDict_SetItem(made, usage_key, made_tally) : -1;
        Py_XDECREF(usage_key);
        Py_XDECREF(made_tally);
        if (stored < 0) goto fail;
    }
    Py_DECREF(periods);
    return made;
fail:
    Py_XDECREF(made);
    Py_XDECREF(periods);
    return NULL;
}

static PyObject *tally(PyObject *module, PyObject *args) {
    PyObject *usages, *meters;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &usages, &PyDict_Type, &meters)) return NULL;
    if (key_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *running = PyDict_New();
    if (running == NULL) return NULL;
    PyObject *made = NULL;
    if (tally_all(usages, meters, running)) {
        made = tallies(running);
    } else if (!PyErr_Occurred()) {
        made = Py_NewRef(Py_None); /* a usage left to Python */
    }
    Py_DECREF(running);
    return made;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *keys, *tallies_, *periods, *zero_, *empty;
    if (!PyArg_ParseTuple(args, "O!O!OOO!", &PyType_Type, &keys, &PyType_Type, &tallies_, &periods, &zero_,
                          &PyFrozenSet_Type, &empty))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)keys, &PyTuple_Type) || !PyType_IsSubtype((PyTypeObject *)tallies_, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the key and tally types must be tuples (named tuples)");
        return NULL;
    }
    Py_XSETREF(key_type, Py_NewRef(keys));
    Py_XSETREF(tally_type, Py_NewRef(tallies_));
    Py_XSETREF(period_of, Py_NewRef(periods));
    Py_XSETREF(zero, Py_NewRef(zero_));
    Py_XSETREF(no_values, Py_NewRef(empty));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(key_type, tally_type, period_of, zero, no_values): what to make, and how to make a period."},
    {"tally", tally, METH_VARARGS,
     "tally(usages, meters): the tallies by key, as `aggregate_usage` gives them; None if it leaves a usage to "
     "Python."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_usage_tally", NULL, -1, methods};

PyMODINIT_FUNC PyInit__usage_tally(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    if (one == NULL && (one = PyLong_FromLong(1)) == NULL) return NULL;
    return PyModule_Create(&module);
}
