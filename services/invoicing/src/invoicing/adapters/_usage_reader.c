/* The compiled reading of `usage.recorded` messages (see usage_messages.py, which loads it).
 *
 * `read(value)` reads a message in the plainest form of the contract (ASCII only, no escape in a
 * string, no offset in a time, no unknown attribute) straight into the `UsageMessage` that
 * `read_in_python` (usage_messages.py) would give, checking the same rules; any other message goes
 * to that function as it is. So this file only has to be right about what it takes: whatever it
 * is not sure of, it leaves. It never reads past the value's bytes, and keeps nothing between
 * messages but the identifiers and quantities it read lately (immutable objects, reused).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

static PyObject *usage_type, *message_type, *decimal_type, *fallback;
static PyObject *usage_recorded; /* the text "usage.recorded", one object for every message */

#define SLOTS 8192 /* a power of two */
/* The identifiers (accounts, projects, meters) and quantities read lately, by their text: a
 * stream repeats them, so each is made once and reused (hashed once too), not made per message.
 * Direct-mapped: a text takes the slot of its hash, and a newer text in that slot replaces it. */
static PyObject *texts[SLOTS];
static PyObject *quantity_texts[SLOTS], *quantities[SLOTS];
static PyObject *empty_properties; /* one read-only empty mapping for every message without properties */

typedef struct {
    const char *at;
    Py_ssize_t len;
    int present; /* the key was there */
    int null;    /* its value was null */
} Text;

typedef struct {
    const unsigned char *p, *end;
} Cursor;

static inline void skip_space(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static inline int expect(Cursor *c, unsigned char ch) {
    skip_space(c);
    if (c->p >= c->end || *c->p != ch) return 0;
    c->p++;
    return 1;
}

/* The bytes of a word (8, in memory order) that end or escape a string, are control characters or
 * are not ASCII, each flagged by its high bit: 0 if none is. Flags above the lowest may be false
 * alarms (a borrow from a byte below); the lowest is always right. */
static inline uint64_t special_bytes(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w) | w) & highs;
}

/* A JSON string of ASCII without escapes (anything else: 0, and the message is left). A word at
 * a time: the first special byte of a word is where its lowest flag is, so the cursor goes
 * straight there instead of a byte at a time (a string ended in a word's middle took up to
 * seven more steps, each loading and testing a word again). */
static int string(Cursor *c, Text *t) {
    skip_space(c);
    if (c->p >= c->end || *c->p != '"') return 0;
    const unsigned char *start = ++c->p;
    for (;;) {
        if (c->end - c->p >= 8) {
            uint64_t word;
            memcpy(&word, c->p, 8);
            uint64_t found = special_bytes(word);
            if (found == 0) {
                c->p += 8;
                continue;
            }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            c->p += __builtin_ctzll(found) >> 3; /* the first byte in memory is the word's lowest */
#endif
        } else if (c->p >= c->end) {
            return 0;
        }
        unsigned char ch = *c->p;
        if (ch == '"') {
            t->at = (const char *)start;
            t->len = c->p - start;
            c->p++;
            return 1;
        }
        if (ch == '\\' || ch < 0x20 || ch >= 0x80) return 0;
        c->p++; /* a plain byte: near the value's end, or wherever the byte order is not known */
    }
}

/* A string, or null (for the attributes that may be null). */
static int string_or_null(Cursor *c, Text *t) {
    skip_space(c);
    if (c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        t->null = 1;
        return 1;
    }
    return string(c, t);
}

static inline int is_key(const Text *key, const char *name, Py_ssize_t len) {
    return key->len == len && memcmp(key->at, name, len) == 0;
}
#define KEY(key, name) is_key(key, name, sizeof(name) - 1)

/* The value of a key once at most: a repeated key is left to the other readers. */
static int take(Cursor *c, Text *t) {
    if (t->present) return 0;
    t->present = 1;
    return string(c, t);
}

static int take_or_null(Cursor *c, Text *t) {
    if (t->present) return 0;
    t->present = 1;
    return string_or_null(c, t);
}

static inline int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static inline int is_hex(char ch) { return is_digit(ch) || (ch >= 'a' && ch <= 'f'); }

static int hex_run(const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (!is_hex(s[i])) return 0;
    return 1;
}

/* A UUID as `str(UUID)` writes it. */
static int canonical_uuid(const Text *t) {
    const char *s = t->at;
    return t->len == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && hex_run(s, 8)
           && hex_run(s + 9, 4) && hex_run(s + 14, 4) && hex_run(s + 19, 4) && hex_run(s + 24, 12);
}

/* `[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}`: the contracts' TRACEPARENT_PATTERN. */
static int traceparent_form(const Text *t) {
    const char *s = t->at;
    return t->len == 55 && s[2] == '-' && s[35] == '-' && s[52] == '-' && hex_run(s, 2) && hex_run(s + 3, 32)
           && hex_run(s + 36, 16) && hex_run(s + 53, 2);
}

/* `[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*`, at most 100 characters. */
static int meter_code(const Text *t) {
    if (t->len < 1 || t->len > 100) return 0;
    int part_start = 1;
    for (Py_ssize_t i = 0; i < t->len; i++) {
        char ch = t->at[i];
        if (part_start) {
            if (!(ch >= 'a' && ch <= 'z')) return 0;
            part_start = 0;
        } else if (ch == '.') {
            part_start = 1;
        } else if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_')) {
            return 0;
        }
    }
    return !part_start;
}

/* Digits, maybe a point and digits: 1-20 of them, then 1-18 (as `_fixed_point`). */
static int fixed_point(const Text *t) {
    Py_ssize_t i = 0;
    while (i < t->len && is_digit(t->at[i])) i++;
    if (i < 1 || i > 20) return 0;
    if (i == t->len) return 1;
    if (t->at[i] != '.') return 0;
    Py_ssize_t decimals = t->len - i - 1;
    if (decimals < 1 || decimals > 18) return 0;
    for (Py_ssize_t j = i + 1; j < t->len; j++)
        if (!is_digit(t->at[j])) return 0;
    return 1;
}

static inline int number(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` as an aware datetime in UTC; NULL (no exception set) if the
 * text has another form or names no valid instant. */
static PyObject *utc_instant(const Text *t) {
    const char *s = t->at;
    Py_ssize_t n = t->len;
    if (n < 20 || n > 27 || n == 21 || s[n - 1] != 'Z') return NULL;
    static const char form[] = "dddd-dd-ddTdd:dd:dd";
    for (int i = 0; i < 19; i++)
        if (form[i] == 'd' ? !is_digit(s[i]) : s[i] != form[i]) return NULL;
    int micro = 0;
    if (n > 20) {
        if (s[19] != '.') return NULL;
        int digits = (int)(n - 21);
        for (int i = 0; i < digits; i++) {
            if (!is_digit(s[20 + i])) return NULL;
        }
        micro = number(s + 20, digits);
        for (int i = digits; i < 6; i++) micro *= 10;
    }
    PyObject *at = PyDateTimeAPI->DateTime_FromDateAndTime(
        number(s, 4), number(s + 5, 2), number(s + 8, 2), number(s + 11, 2), number(s + 14, 2), number(s + 17, 2),
        micro, PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
    if (at == NULL) PyErr_Clear(); /* out of range: the other reader says so */
    return at;
}

static inline PyObject *ascii_text(const Text *t) {
    PyObject *text = PyUnicode_New(t->len, 127);
    if (text != NULL) memcpy(PyUnicode_DATA(text), t->at, t->len);
    return text;
}

static inline size_t slot_of(const Text *t) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (Py_ssize_t i = 0; i < t->len; i++) h = (h ^ (unsigned char)t->at[i]) * 16777619u;
    return h & (SLOTS - 1);
}

static inline int same_text(PyObject *text, const Text *t) {
    return text != NULL && PyUnicode_GET_LENGTH(text) == t->len && memcmp(PyUnicode_DATA(text), t->at, t->len) == 0;
}

/* The text object of an identifier, reused if it was read lately. */
static PyObject *identifier(const Text *t) {
    size_t slot = slot_of(t);
    if (same_text(texts[slot], t)) return Py_NewRef(texts[slot]);
    PyObject *text = ascii_text(t);
    if (text != NULL) Py_XSETREF(texts[slot], Py_NewRef(text));
    return text;
}

/* `Decimal(quantity)`, reused if the same text was read lately (a Decimal never changes). */
static PyObject *quantity(const Text *t) {
    size_t slot = slot_of(t);
    if (same_text(quantity_texts[slot], t)) return Py_NewRef(quantities[slot]);
    PyObject *text = ascii_text(t);
    if (text == NULL) return NULL;
    PyObject *value = PyObject_CallOneArg(decimal_type, text);
    if (value != NULL) {
        Py_XSETREF(quantity_texts[slot], text);
        Py_XSETREF(quantities[slot], Py_NewRef(value));
    } else {
        Py_DECREF(text);
    }
    return value;
}

/* `{"key": "value", ...}` of strings into a new dict; NULL if it is not such an object (no
 * exception set) or on a Python error (set). */
static PyObject *properties(Cursor *c) {
    if (!expect(c, '{')) return NULL;
    PyObject *dict = PyDict_New();
    if (dict == NULL) return NULL;
    skip_space(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        Py_DECREF(dict);
        return Py_NewRef(empty_properties);
    }
    for (;;) {
        Text key = {0}, value = {0};
        if (!string(c, &key) || !expect(c, ':') || !string(c, &value)) goto refuse;
        PyObject *k = ascii_text(&key), *v = ascii_text(&value);
        int failed = k == NULL || v == NULL || PyDict_SetItem(dict, k, v) < 0;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (failed) goto refuse;
        skip_space(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (expect(c, '}')) return dict;
        goto refuse;
    }
refuse:
    Py_DECREF(dict);
    return NULL;
}

typedef struct {
    Text specversion, id, type, source, time, schemaversion, subject, datacontenttype, traceparent, tracestate;
    Text account, project, meter, quantity, occurred_at;
    int data, has_properties;
    PyObject *properties;
} Fields;

/* Reads the value of one member of an object (its key read); 0 if this reader does not take it. */
typedef int (*Member)(Cursor *c, const Text *key, Fields *f);

/* An object, each member read by `member`; 0 if it is not one this reader takes (which members
 * must be there is `follows_the_contract`'s to say). */
static int object(Cursor *c, Fields *f, Member member) {
    if (!expect(c, '{')) return 0;
    skip_space(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 1;
    }
    for (;;) {
        Text key = {0};
        if (!string(c, &key) || !expect(c, ':') || !member(c, &key, f)) return 0;
        skip_space(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        return expect(c, '}');
    }
}

static int data_member(Cursor *c, const Text *key, Fields *f) {
    if (KEY(key, "billing_account_id")) return take(c, &f->account);
    if (KEY(key, "project_id")) return take(c, &f->project);
    if (KEY(key, "meter")) return take(c, &f->meter);
    if (KEY(key, "quantity")) return take(c, &f->quantity);
    if (KEY(key, "occurred_at")) return take(c, &f->occurred_at);
    if (KEY(key, "properties") && !f->has_properties) {
        f->has_properties = 1;
        f->properties = properties(c);
        return f->properties != NULL;
    }
    return 0; /* a field this reader does not know */
}

static int envelope_member(Cursor *c, const Text *key, Fields *f) {
    if (KEY(key, "specversion")) return take(c, &f->specversion);
    if (KEY(key, "id")) return take(c, &f->id);
    if (KEY(key, "type")) return take(c, &f->type);
    if (KEY(key, "source")) return take(c, &f->source);
    if (KEY(key, "time")) return take(c, &f->time);
    if (KEY(key, "subject")) return take(c, &f->subject);
    if (KEY(key, "datacontenttype")) return take(c, &f->datacontenttype);
    if (KEY(key, "traceparent")) return take_or_null(c, &f->traceparent);
    if (KEY(key, "tracestate")) return take_or_null(c, &f->tracestate);
    if (KEY(key, "schemaversion") && !f->schemaversion.present) {
        /* The integer 1 and nothing else: another version is the contracts' to read. */
        f->schemaversion.present = 1;
        skip_space(c);
        if (c->p >= c->end || *c->p != '1') return 0;
        c->p++;
        return c->p < c->end && !is_digit(*c->p) && *c->p != '.' && *c->p != 'e' && *c->p != 'E';
    }
    if (KEY(key, "data") && !f->data) {
        f->data = 1;
        return object(c, f, data_member);
    }
    return 0;
}

/* The envelope, and nothing after it but spaces; 0 if it is not one this reader takes. */
static int envelope(Cursor *c, Fields *f) {
    if (!object(c, f, envelope_member)) return 0;
    skip_space(c);
    return c->p == c->end;
}

#define TEXT_IS(t, literal) ((t).len == sizeof(literal) - 1 && memcmp((t).at, literal, sizeof(literal) - 1) == 0)

/* Every rule `read_in_python` checks, on what `envelope` read. */
static int follows_the_contract(const Fields *f) {
    return f->specversion.present && TEXT_IS(f->specversion, "1.0") && f->type.present
           && TEXT_IS(f->type, "usage.recorded") && f->source.present && f->source.len >= 1 && f->time.present
           && f->schemaversion.present && f->subject.present && f->subject.len >= 1 && f->subject.len <= 128
           && f->data && (!f->datacontenttype.present || TEXT_IS(f->datacontenttype, "application/json"))
           && (!f->traceparent.present || f->traceparent.null || traceparent_form(&f->traceparent))
           && (!f->tracestate.present || f->tracestate.null || f->tracestate.len <= 512)
           && f->id.present && canonical_uuid(&f->id)
           && f->account.present && f->account.len == f->subject.len
           && memcmp(f->account.at, f->subject.at, f->subject.len) == 0
           && f->project.present && f->project.len >= 1 && f->project.len <= 128
           && f->meter.present && meter_code(&f->meter) && f->quantity.present && fixed_point(&f->quantity)
           && f->occurred_at.present;
}

/* The message, or NULL: with an exception set on a Python error, without one when it is left. */
static PyObject *read_plain(const char *value, Py_ssize_t size) {
    Cursor c = {(const unsigned char *)value, (const unsigned char *)value + size};
    Fields f = {0};
    PyObject *at = NULL, *time = NULL, *id = NULL, *subject = NULL, *project = NULL, *meter = NULL;
    PyObject *amount = NULL, *traceparent = NULL, *usage = NULL, *message = NULL;
    if (!envelope(&c, &f) || !follows_the_contract(&f)) goto done;
    if ((at = utc_instant(&f.occurred_at)) == NULL) goto done;
    if (f.time.len == f.occurred_at.len && memcmp(f.time.at, f.occurred_at.at, f.time.len) == 0) {
        time = at;
        Py_INCREF(time);
    } else if ((time = utc_instant(&f.time)) == NULL) {
        goto done;
    }
    if (f.properties == NULL) f.properties = Py_NewRef(empty_properties);
    if ((id = ascii_text(&f.id)) == NULL || (subject = identifier(&f.subject)) == NULL
        || (project = identifier(&f.project)) == NULL || (meter = identifier(&f.meter)) == NULL
        || (amount = quantity(&f.quantity)) == NULL)
        goto done;
    if (f.traceparent.present && !f.traceparent.null) {
        if ((traceparent = ascii_text(&f.traceparent)) == NULL) goto done;
    } else {
        traceparent = Py_None;
        Py_INCREF(traceparent);
    }
    /* The usage named tuple, made as `tuple.__new__(Usage, ...)` makes it. */
    usage = ((PyTypeObject *)usage_type)->tp_alloc((PyTypeObject *)usage_type, 7);
    if (usage == NULL) goto done;
    PyObject *items[] = {subject, project, meter, amount, at, f.properties, traceparent};
    for (int i = 0; i < 7; i++) {
        Py_INCREF(items[i]);
        PyTuple_SET_ITEM(usage, i, items[i]);
    }
    PyObject *args[] = {id, usage_recorded, subject, time, traceparent, usage};
    message = PyObject_Vectorcall(message_type, args, 6, NULL);
done:
    Py_XDECREF(f.properties);
    Py_XDECREF(at);
    Py_XDECREF(time);
    Py_XDECREF(id);
    Py_XDECREF(subject);
    Py_XDECREF(project);
    Py_XDECREF(meter);
    Py_XDECREF(amount);
    Py_XDECREF(traceparent);
    Py_XDECREF(usage);
    return message;
}

static PyObject *read_message(PyObject *module, PyObject *value) {
    if (fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    if (PyBytes_CheckExact(value)) {
        PyObject *message = read_plain(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value));
        if (message != NULL || PyErr_Occurred()) return message;
    }
    return PyObject_CallOneArg(fallback, value);
}

static PyObject *read_plain_only(PyObject *module, PyObject *value) {
    if (!PyBytes_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "bytes expected");
        return NULL;
    }
    if (fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    PyObject *message = read_plain(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value));
    if (message != NULL || PyErr_Occurred()) return message;
    Py_RETURN_NONE;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *usage, *message, *decimal, *other, *empty;
    if (!PyArg_ParseTuple(args, "O!OOOO", &PyType_Type, &usage, &message, &decimal, &other, &empty)) return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)usage, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the usage type must be a tuple (a named tuple)");
        return NULL;
    }
    Py_INCREF(usage);
    Py_INCREF(message);
    Py_INCREF(decimal);
    Py_INCREF(other);
    Py_XSETREF(usage_type, usage);
    Py_XSETREF(message_type, message);
    Py_XSETREF(decimal_type, decimal);
    Py_XSETREF(fallback, other);
    Py_XSETREF(empty_properties, Py_NewRef(empty));
    for (int i = 0; i < SLOTS; i++) { /* made with another Decimal type, maybe */
        Py_CLEAR(quantity_texts[i]);
        Py_CLEAR(quantities[i]);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(usage_type, message_type, decimal_type, fallback, empty_properties): what to make, and who reads the "
     "rest."},
    {"read", read_message, METH_O, "read(value): the message as `UsageMessage`, by this reader or by the fallback."},
    {"read_plain", read_plain_only, METH_O, "read_plain(value): the message, or None if this reader leaves it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_usage_reader", NULL, -1, methods};

PyMODINIT_FUNC PyInit__usage_reader(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    usage_recorded = PyUnicode_InternFromString("usage.recorded");
    if (usage_recorded == NULL) return NULL;
    return PyModule_Create(&module);
}
