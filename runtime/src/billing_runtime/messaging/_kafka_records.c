/* Kafka's records unpacked in C, for the kit's consumers (record_unpacking.py, which installs it in
 * aiokafka's fetcher and keeps aiokafka's own unpacking for everything this does not take).
 *
 * `Records(data, topic, partition, fetch_offset, check_crcs)` iterates the `ConsumerRecord`s of one
 * partition's fetched data (a `MessageSet` of record batches), as aiokafka's `PartitionRecords`
 * does in Python: the same records, skipped below `fetch_offset` alike, its `next_fetch_offset`
 * moving at the same steps (past a record as it is returned, past a batch once the next is asked
 * for). It takes only data it can read in full with no surprise: the constructor raises
 * `NotPlain` (and the caller leaves the data to aiokafka, which raises its own errors) when a
 * batch is not of the current format (magic 2), is compressed, is a control batch, is shorter
 * than its header, has a negative record count, or fails its CRC (when `check_crcs`), or when the
 * CRC must be checked and this processor has no CRC32C instruction. A record found corrupt while
 * iterating raises `CorruptRecordException`, as aiokafka does.
 *
 * The batch format (all big-endian): base offset int64, length int32 (of what follows it),
 * partition leader epoch int32, magic int8, CRC uint32 (CRC32C of what follows it), attributes
 * int16, last offset delta int32, first timestamp int64, max timestamp int64, producer id int64,
 * producer epoch int16, base sequence int32, record count int32: 61 bytes; then the records, each:
 * length, attributes, timestamp delta, offset delta, key length, key, value length, value, header
 * count, headers (key length, key, value length, value), every number a zigzag varint.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

enum {
    LOG_OVERHEAD = 12,        /* base offset and length: what precedes a batch's length's count */
    MAGIC_AT = 16, CRC_AT = 17, ATTRIBUTES_AT = 21, LAST_OFFSET_DELTA_AT = 23, FIRST_TIMESTAMP_AT = 27,
    MAX_TIMESTAMP_AT = 35, RECORD_COUNT_AT = 57, HEADER = 61,
    CODEC_MASK = 0x07, LOG_APPEND_TIME = 0x08, CONTROL = 0x20,
};

/* `ConsumerRecord`'s fields, in the order of its constructor. */
enum { TOPIC, PARTITION, OFFSET, TIMESTAMP, TIMESTAMP_TYPE, KEY, VALUE, CHECKSUM, KEY_SIZE, VALUE_SIZE,
       HEADERS, FIELDS };
static const char *const field_names[FIELDS] = {
    "topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value", "checksum",
    "serialized_key_size", "serialized_value_size", "headers"};

/* What `configure` gave: the record class and the exceptions; the fields' names, interned. */
static PyTypeObject *record_type;
static PyObject *names[FIELDS], *no_arguments;
static PyObject *corrupt, *not_plain;

static int64_t int64_at(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

static int32_t int32_at(const unsigned char *p) {
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c(const unsigned char *p, Py_ssize_t n) {
    uint64_t crc = 0xFFFFFFFFu;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = _mm_crc32_u64(crc, word);
    }
    uint32_t crc32 = (uint32_t)crc;
    for (; n > 0; p++, n--) crc32 = _mm_crc32_u8(crc32, *p);
    return crc32 ^ 0xFFFFFFFFu;
}

static int has_crc32c(void) { return __builtin_cpu_supports("sse4.2"); }
#else
static uint32_t crc32c(const unsigned char *p, Py_ssize_t n) { return 0; }
static int has_crc32c(void) { return 0; }
#endif

typedef struct {
    PyObject_HEAD
    PyObject *data;                /* the bytes, kept alive */
    const unsigned char *buffer;
    Py_ssize_t end;                /* where the last whole batch ends */
    PyObject *topic, *partition;
    Py_ssize_t batch;              /* where the current batch starts; -1 before the first */
    Py_ssize_t batch_end, at;      /* the current batch's end, and the next record in it */
    int32_t records_left;
    int done;                      /* past the last batch */
    int64_t base_offset, first_timestamp, max_timestamp;
    int log_append_time;           /* the batch's timestamps are the broker's: every record has its max */
    PyObject *timestamp_type;      /* 0 or 1, as aiokafka gives it */
    int64_t next_fetch_offset;
} Records;

/* Checks every whole batch of `data` (see the module's comment): where the last ends, or -1 with
 * `NotPlain` set. */
static Py_ssize_t plain_batches_end(const unsigned char *buffer, Py_ssize_t size, int check_crcs) {
    Py_ssize_t at = 0;
    if (check_crcs && !has_crc32c()) goto not_plain;
    while (size - at >= LOG_OVERHEAD) {
        Py_ssize_t batch_end = at + LOG_OVERHEAD + int32_at(buffer + at + 8);
        if (batch_end > size) break; /* a batch cut short by the fetch's size: aiokafka stops there too */
        if (batch_end - at < HEADER || buffer[at + MAGIC_AT] != 2) goto not_plain;
        int attributes = buffer[at + ATTRIBUTES_AT + 1];
        if (attributes & (CODEC_MASK | CONTROL) || int32_at(buffer + at + RECORD_COUNT_AT) < 0) goto not_plain;
        if (check_crcs && crc32c(buffer + at + ATTRIBUTES_AT, batch_end - at - ATTRIBUTES_AT) != (uint32_t)int32_at(buffer + at + CRC_AT))
            goto not_plain;
        at = batch_end;
    }
    return at;
not_plain:
    PyErr_SetNone(not_plain);
    return -1;
}

static PyObject *Records_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *data, *topic, *partition;
    long long fetch_offset;
    int check_crcs;
    if (record_type == NULL) return PyErr_Format(PyExc_RuntimeError, "configure() first");
    if (!PyArg_ParseTuple(args, "SUOLp", &data, &topic, &partition, &fetch_offset, &check_crcs)) return NULL;
    Py_ssize_t end = plain_batches_end((const unsigned char *)PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), check_crcs);
    if (end < 0) return NULL;
    Records *self = (Records *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->data = Py_NewRef(data);
    self->buffer = (const unsigned char *)PyBytes_AS_STRING(data);
    self->end = end;
    self->topic = Py_NewRef(topic);
    self->partition = Py_NewRef(partition);
    self->batch = -1;
    self->next_fetch_offset = fetch_offset;
    return (PyObject *)self;
}

static void Records_dealloc(Records *self) {
    Py_XDECREF(self->data);
    Py_XDECREF(self->topic);
    Py_XDECREF(self->partition);
    Py_XDECREF(self->timestamp_type);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Reads a zigzag varint at `*at`, before `end`: 1, or 0 if it runs past `end` or past 10 bytes. */
static int varint(const unsigned char *buffer, Py_ssize_t *at, Py_ssize_t end, int64_t *value) {
    uint64_t raw = 0;
    for (int shift = 0; shift < 70 && *at < end; shift += 7) {
        unsigned char byte = buffer[(*at)++];
        raw |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *value = (int64_t)(raw >> 1) ^ -(int64_t)(raw & 1);
            return 1;
        }
    }
    return 0;
}

/* A nullable byte string of `length` at `*at`: a new reference (None for -1), NULL if it runs past
 * `end` (nothing set: the caller raises). */
static PyObject *bytes_at(const unsigned char *buffer, Py_ssize_t *at, Py_ssize_t end, int64_t length) {
    if (length < 0) return Py_NewRef(Py_None);
    if (length > end - *at) return NULL;
    PyObject *bytes = PyBytes_FromStringAndSize((const char *)buffer + *at, (Py_ssize_t)length);
    *at += (Py_ssize_t)length;
    return bytes;
}

static PyObject *record_corrupt(const char *what) {
    PyErr_Format(corrupt, "Found invalid record structure: %s", what);
    return NULL;
}

/* Goes past the current batch (aiokafka then moves `next_fetch_offset` past its last offset, which
 * compaction may have left without a record), to the next (the first if none yet): 1, or 0 when
 * there is none. */
static int next_batch(Records *self) {
    Py_ssize_t at = self->batch < 0 ? 0 : self->batch_end;
    if (self->batch >= 0) self->next_fetch_offset = self->base_offset + int32_at(self->buffer + self->batch + LAST_OFFSET_DELTA_AT) + 1;
    if (at >= self->end) {
        self->done = 1;
        return 0;
    }
    const unsigned char *b = self->buffer + at;
    self->batch = at;
    self->batch_end = at + LOG_OVERHEAD + int32_at(b + 8);
    self->at = at + HEADER;
    self->records_left = int32_at(b + RECORD_COUNT_AT);
    self->base_offset = int64_at(b);
    self->first_timestamp = int64_at(b + FIRST_TIMESTAMP_AT);
    self->max_timestamp = int64_at(b + MAX_TIMESTAMP_AT);
    self->log_append_time = (b[ATTRIBUTES_AT + 1] & LOG_APPEND_TIME) != 0;
    Py_XSETREF(self->timestamp_type, PyLong_FromLong(self->log_append_time)); /* a cached small int */
    return 1;
}

/* The record at `self->at` in the current batch, made as aiokafka makes it, and its offset; NULL
 * with an error set. */
static PyObject *read_record(Records *self, int64_t *offset) {
    const unsigned char *buffer = self->buffer;
    Py_ssize_t end = self->batch_end, at = self->at;
    int64_t length, attributes, timestamp_delta, offset_delta, key_length, value_length, header_count;
    if (!varint(buffer, &at, end, &length)) return record_corrupt("record length");
    Py_ssize_t start = at;
    if (!varint(buffer, &at, end, &attributes) || !varint(buffer, &at, end, &timestamp_delta)
        || !varint(buffer, &at, end, &offset_delta) || !varint(buffer, &at, end, &key_length))
        return record_corrupt("record header");
    PyObject *fields[FIELDS] = {NULL};
    fields[KEY] = bytes_at(buffer, &at, end, key_length);
    if (fields[KEY] == NULL) goto corrupt_or_error;
    if (!varint(buffer, &at, end, &value_length)) goto corrupt_or_error;
    fields[VALUE] = bytes_at(buffer, &at, end, value_length);
    if (fields[VALUE] == NULL || !varint(buffer, &at, end, &header_count)) goto corrupt_or_error;
    if (header_count < 0 || header_count > end - at) goto corrupt_or_error;
    fields[HEADERS] = PyTuple_New((Py_ssize_t)header_count);
    if (fields[HEADERS] == NULL) goto error;
    for (Py_ssize_t i = 0; i < header_count; i++) {
        int64_t name_length, header_length;
        if (!varint(buffer, &at, end, &name_length) || name_length < 0 || name_length > end - at) goto corrupt_or_error;
        PyObject *name = PyUnicode_DecodeUTF8((const char *)buffer + at, (Py_ssize_t)name_length, NULL);
        if (name == NULL) goto error;
        at += (Py_ssize_t)name_length;
        PyObject *header_value = varint(buffer, &at, end, &header_length) ? bytes_at(buffer, &at, end, header_length) : NULL;
        if (header_value == NULL) {
            Py_DECREF(name);
            goto corrupt_or_error;
        }
        PyObject *header = PyTuple_Pack(2, name, header_value);
        Py_DECREF(name);
        Py_DECREF(header_value);
        if (header == NULL) goto error;
        PyTuple_SET_ITEM(fields[HEADERS], i, header);
    }
    if (at - start != length) {
        PyErr_Format(corrupt, "Invalid record size: expected to read %lld bytes in record payload, but instead read %zd",
                     (long long)length, at - start);
        goto error;
    }
    *offset = self->base_offset + offset_delta;
    fields[OFFSET] = PyLong_FromLongLong(*offset);
    fields[TIMESTAMP] = PyLong_FromLongLong(self->log_append_time ? self->max_timestamp : self->first_timestamp + timestamp_delta);
    fields[KEY_SIZE] = PyLong_FromSsize_t(key_length < 0 ? -1 : (Py_ssize_t)key_length);
    fields[VALUE_SIZE] = PyLong_FromSsize_t(value_length < 0 ? -1 : (Py_ssize_t)value_length);
    if (!fields[OFFSET] || !fields[TIMESTAMP] || !fields[KEY_SIZE] || !fields[VALUE_SIZE]) goto error;
    fields[TOPIC] = Py_NewRef(self->topic);
    fields[PARTITION] = Py_NewRef(self->partition);
    fields[TIMESTAMP_TYPE] = Py_NewRef(self->timestamp_type);
    fields[CHECKSUM] = Py_NewRef(Py_None);
    /* The instance the dataclass's `__init__` would make, without its Python call of eleven
     * arguments: the fields are stored as `__init__` stores them, in the instance's own values
     * (CPython keeps the attributes of a class's instances in one shared table of names). */
    PyObject *record = record_type->tp_new(record_type, no_arguments, NULL);
    if (record == NULL) goto error;
    for (int f = 0; f < FIELDS; f++) {
        if (PyObject_GenericSetAttr(record, names[f], fields[f]) < 0) {
            Py_DECREF(record);
            goto error;
        }
        Py_CLEAR(fields[f]);
    }
    self->at = at;
    return record;
corrupt_or_error:
    if (!PyErr_Occurred()) record_corrupt("record runs past its batch");
error:
    for (int f = 0; f < FIELDS; f++) Py_XDECREF(fields[f]);
    return NULL;
}

static PyObject *Records_next(Records *self) {
    while (!self->done) {
        if (self->batch < 0 || self->records_left == 0) {
            if (self->batch >= 0 && self->at != self->batch_end) {
                PyErr_Format(corrupt, "%zd unconsumed bytes after all records consumed", self->batch_end - self->at);
                self->done = 1; /* as aiokafka's generator, which ends with its error */
                return NULL;
            }
            next_batch(self);
            continue;
        }
        int64_t offset;
        PyObject *record = read_record(self, &offset);
        if (record == NULL) {
            self->done = 1;
            return NULL;
        }
        self->records_left--;
        if (offset < self->next_fetch_offset) { /* before the fetch's offset: the batch began earlier */
            Py_DECREF(record);
            continue;
        }
        self->next_fetch_offset = offset + 1;
        return record;
    }
    return NULL; /* StopIteration */
}

static PyObject *Records_next_fetch_offset(Records *self, void *closure) {
    return PyLong_FromLongLong(self->next_fetch_offset);
}

static PyGetSetDef Records_getset[] = {
    {"next_fetch_offset", (getter)Records_next_fetch_offset, NULL,
     "The offset to fetch from next, as aiokafka's `PartitionRecords.next_fetch_offset`.", NULL},
    {NULL},
};

static PyTypeObject RecordsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "billing_runtime.messaging._kafka_records.Records",
    .tp_basicsize = sizeof(Records),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The ConsumerRecords of one partition's fetched data (see the module's comment).",
    .tp_new = Records_new,
    .tp_dealloc = (destructor)Records_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Records_next,
    .tp_getset = Records_getset,
};

/* configure(record_class, corrupt_error, not_plain_error): the class is aiokafka's `ConsumerRecord`
 * (a dataclass: its instances keep their fields in their `__dict__`). */
static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *cls, *corrupt_error, *not_plain_error;
    if (!PyArg_ParseTuple(args, "O!OO", &PyType_Type, &cls, &corrupt_error, &not_plain_error)) return NULL;
    for (int f = 0; f < FIELDS; f++) {
        if (names[f] == NULL && (names[f] = PyUnicode_InternFromString(field_names[f])) == NULL) return NULL;
    }
    if (no_arguments == NULL && (no_arguments = PyTuple_New(0)) == NULL) return NULL;
    Py_XSETREF(record_type, (PyTypeObject *)Py_NewRef(cls));
    Py_XSETREF(corrupt, Py_NewRef(corrupt_error));
    Py_XSETREF(not_plain, Py_NewRef(not_plain_error));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS, "configure(record_class, corrupt_error, not_plain_error)"},
    {NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kafka_records", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kafka_records(void) {
    if (PyType_Ready(&RecordsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Records", (PyObject *)&RecordsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
