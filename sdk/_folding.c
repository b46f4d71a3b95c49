/*
 * Text folding in C: mmtkit._folding, for mmtkit.textnorm.
 *
 * Why C: normalize() folds every character of every message. In Python that is
 * str.translate over textnorm's lazily filled table (a dict subclass), which for a text
 * beyond ASCII calls PyObject_GetItem with a new int for every character, then a regular
 * expression search for the characters that fold to more or fewer than one; and the
 * pre-check for spaced-out letters encodes the text, translates it to classes and searches
 * the classes twice, one byte at a time (the alphabet is three letters). Here:
 *
 * - Folder.fold(text) reads each character's folded form from a cache of its own, a page
 *   table over the code points (pages of 256 entries, allocated when a character of theirs
 *   is first seen), filled from textnorm's table: a missing entry is looked up there with
 *   PyObject_GetItem, so the table's __missing__ still folds the character and keeps its
 *   bookkeeping. It returns what text.translate(table) returns, and the indices of the
 *   characters whose folded form is not one character long, which textnorm needs for its
 *   offsets.
 * - Folder.maybe_spaced(text) classes each character with textnorm's byte table and looks
 *   for the two class sequences in the same pass: one read of a table a character, the
 *   transitions of a small automaton composed with the classes.
 *
 * The cache is never invalidated: it assumes the table is append-only and a function of
 * the code point (textnorm's table is: a character's folded form is computed once, from
 * the Unicode database, and never replaced). tests/core/test_folding.py holds both methods
 * to their Python forms, which are what a build without a C compiler runs.
 *
 * Re-entrancy: a look-up runs Python code (the table's __missing__, and any finaliser the
 * garbage collector runs meanwhile), which may fold another text with the same Folder, from
 * this thread or, as it may release the GIL, another. So the cache only grows: a page, once
 * allocated, stays where it is until the Folder is freed, an entry once filled never changes
 * (when a nested fold filled it first, that value is kept), a fold holds a reference to its
 * Folder and to the table it calls, and the table cannot be replaced (there is no __init__
 * to call again).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PAGE_BITS 8
#define PAGE_SIZE ((Py_UCS4)1 << PAGE_BITS)
#define PAGE_MASK (PAGE_SIZE - 1)
#define PAGE_COUNT ((0x10FFFF >> PAGE_BITS) + 1)

/* A character's class for maybe_spaced(): "o" (anything else), "S" (a separator) or "A" (a
 * letter or digit). */
enum { CLASS_O = 0, CLASS_S = 1, CLASS_A = 2, CLASSES = 3 };

/* The automaton that finds SASAS or SASSAS in a sequence of classes: its state is the
 * longest end of the classes read so far that begins one of them ("", S, SA, SAS, SASA, SASS,
 * SASSA), or MATCHED, which it never leaves once either is found. */
enum { SPACED_STATES = 8, MATCHED = 7 };
static const unsigned char spaced_next[SPACED_STATES][CLASSES] = {
    /*             o  S  A */
    /* ""     */ {0, 1, 0},
    /* S      */ {0, 1, 2},
    /* SA     */ {0, 3, 0},
    /* SAS    */ {0, 5, 4},
    /* SASA   */ {0, MATCHED, 0},
    /* SASS   */ {0, 1, 6},
    /* SASSA  */ {0, MATCHED, 0},
    /* found  */ {MATCHED, MATCHED, MATCHED},
};

/* maybe_spaced() checks for MATCHED after every this many characters. */
#define SPACED_BLOCK 64

typedef struct {
    PyObject *value; /* the folded form, a str (owned); NULL until it is looked up */
    Py_ssize_t size; /* its length */
    Py_UCS4 ch;      /* its one character, when size is 1 */
    Py_UCS4 max;     /* its largest character; 0 when it is empty */
} Entry;

typedef struct {
    PyObject_HEAD
    PyObject *table;                 /* what the entries are looked up in */
    Entry *pages[PAGE_COUNT];        /* each NULL until one of its characters is seen */
    int ascii_simple;                /* every ASCII character folds to one ASCII character */
    int ascii_lower;                 /* ... and that is its lower case (textnorm's table) */
    Py_UCS1 ascii[128];              /* then: what it folds to */
    /* maybe_spaced()'s automaton read a Latin-1 character at a time: its next state after
     * each, from each state. The others read as "?" (as Latin-1 writes them with
     * errors="replace"). */
    unsigned char spaced_step[SPACED_STATES][256];
} Folder;

/* -- the cache ------------------------------------------------------------------------- */

static inline const Entry *
cached(const Folder *self, Py_UCS4 ch)
{
    const Entry *page = self->pages[ch >> PAGE_BITS];
    if (page == NULL || page[ch & PAGE_MASK].value == NULL) {
        return NULL;
    }
    return &page[ch & PAGE_MASK];
}

/* What str.translate writes for ``ch`` given what the table holds for it (``item``, a new
 * reference, or NULL with the table's exception set): always a str, as a new reference. */
static PyObject *
folded_form(Py_UCS4 ch, PyObject *item)
{
    if (item == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_LookupError)) {
            return NULL;
        }
        PyErr_Clear(); /* not in the table: the character stays as it is */
        return PyUnicode_FromOrdinal((int)ch);
    }
    if (PyUnicode_Check(item)) {
        return item;
    }
    if (item == Py_None) {
        Py_DECREF(item);
        return PyUnicode_New(0, 0); /* the character is deleted */
    }
    if (PyLong_Check(item)) {
        int overflow;
        long code = PyLong_AsLongAndOverflow(item, &overflow);
        Py_DECREF(item);
        if (code == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (overflow || code < 0 || code > 0x10FFFF) {
            PyErr_SetString(PyExc_ValueError, "character mapping must be in range(0x110000)");
            return NULL;
        }
        return PyUnicode_FromOrdinal((int)code);
    }
    Py_DECREF(item);
    PyErr_SetString(PyExc_TypeError, "character mapping must return integer, None or str");
    return NULL;
}

/* The entry of ``ch``, looked up in the table if it is not cached yet; NULL with an exception
 * set on failure. */
static const Entry *
fill(Folder *self, Py_UCS4 ch)
{
    Entry *page = self->pages[ch >> PAGE_BITS], *entry;
    PyObject *table = self->table, *key, *value;
    Py_ssize_t size;
    Py_UCS4 max = 0;

    if (page == NULL) {
        page = PyMem_Calloc(PAGE_SIZE, sizeof(Entry));
        if (page == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        self->pages[ch >> PAGE_BITS] = page;
    }
    entry = &page[ch & PAGE_MASK];
    if (entry->value != NULL) {
        return entry;
    }
    if (table == NULL) { /* cleared by the garbage collector: the Folder is being freed */
        PyErr_SetString(PyExc_ValueError, "the folder has no table");
        return NULL;
    }
    key = PyLong_FromUnsignedLong(ch);
    if (key == NULL) {
        return NULL;
    }
    Py_INCREF(table);
    value = folded_form(ch, PyObject_GetItem(table, key));
    Py_DECREF(table);
    Py_DECREF(key);
    if (value == NULL) {
        return NULL;
    }
    /* The look-up ran Python code, which may have folded this very character (a nested
     * fold): the first value stays, so that every fold of the text sees one. The page has not
     * moved (pages are freed only with the Folder, which the caller holds). */
    if (entry->value != NULL) {
        Py_DECREF(value);
        return entry;
    }
    size = PyUnicode_GET_LENGTH(value);
    {
        int kind = PyUnicode_KIND(value);
        const void *data = PyUnicode_DATA(value);
        for (Py_ssize_t k = 0; k < size; k++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, k);
            max = c > max ? c : max;
        }
        entry->ch = size == 1 ? PyUnicode_READ(kind, data, 0) : 0;
    }
    entry->size = size;
    entry->max = max;
    entry->value = value;
    return entry;
}

static inline const Entry *
entry_of(Folder *self, Py_UCS4 ch)
{
    const Entry *entry = cached(self, ch);
    return entry != NULL ? entry : fill(self, ch);
}

/* -- folding ------------------------------------------------------------------------- */

static PyObject *
fold_result(PyObject *folded, PyObject *resized)
{
    PyObject *pair;
    if (folded == NULL) {
        Py_XDECREF(resized);
        return NULL;
    }
    if (resized == NULL) {
        resized = Py_None;
        Py_INCREF(resized);
    }
    pair = PyTuple_Pack(2, folded, resized);
    Py_DECREF(folded);
    Py_DECREF(resized);
    return pair;
}

static inline int
is_upper(Py_UCS1 ch)
{
    return (unsigned int)(ch - 'A') < 26u;
}

/* An ASCII text, when every ASCII character folds to one ASCII character: no look-up, no
 * index to report. When that is its lower case (textnorm's table), the loop that writes is
 * free of table reads, and the compiler turns it into vector instructions. */
static PyObject *
fold_ascii(const Folder *self, PyObject *text)
{
    const Py_UCS1 *in = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), same = 0;
    PyObject *folded;
    Py_UCS1 *out;

    while (same < length && self->ascii[in[same]] == in[same]) {
        same++;
    }
    if (same == length && PyUnicode_CheckExact(text)) {
        Py_INCREF(text);
        return fold_result(text, NULL);
    }
    folded = PyUnicode_New(length, 127);
    if (folded == NULL) {
        return NULL;
    }
    out = PyUnicode_1BYTE_DATA(folded);
    memcpy(out, in, (size_t)same);
    if (self->ascii_lower) {
        for (Py_ssize_t i = same; i < length; i++) {
            out[i] = (Py_UCS1)(in[i] | (is_upper(in[i]) << 5));
        }
    } else {
        for (Py_ssize_t i = same; i < length; i++) {
            out[i] = self->ascii[in[i]];
        }
    }
    return fold_result(folded, NULL);
}

/* What the first pass finds out about the folded text. */
typedef struct {
    Py_ssize_t length;   /* its length */
    Py_ssize_t resizing; /* how many characters fold to more or fewer than one */
    Py_UCS4 max;         /* its largest character */
    int changed;         /* whether it differs from the text */
} Measure;

/* The first pass, over a text of one kind (a constant once inlined): every character's
 * entry, looked up in the table if it is not cached (which runs Python code: nothing of this
 * pass is kept across a look-up but the counts). 0, or -1 with an exception set. */
static Py_ALWAYS_INLINE inline int
measure(Folder *self, int kind, const void *data, Py_ssize_t length, Measure *found)
{
    Py_ssize_t out_length = 0, resizing = 0;
    Py_UCS4 max = 0;
    int changed = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        const Entry *entry = entry_of(self, ch);
        if (entry == NULL) {
            return -1;
        }
        if (entry->size == 1) {
            changed |= entry->ch != ch;
            out_length++; /* at most the text's length so far: no overflow */
        } else {
            if (entry->size > PY_SSIZE_T_MAX - out_length) {
                PyErr_SetString(PyExc_OverflowError, "the folded text is too long");
                return -1;
            }
            out_length += entry->size;
            resizing++;
            changed = 1;
        }
        max = entry->max > max ? entry->max : max;
    }
    found->length = out_length;
    found->resizing = resizing;
    found->max = max;
    found->changed = changed;
    return 0;
}

/* The second pass, from the cache alone (every character of the text is in it now, and an
 * entry never changes), for one kind of text and one of the folded text: the folded text,
 * and in ``resized`` (a list of the right length, or NULL when none resizes) the indices of
 * the characters that fold to more or fewer than one. 0, or -1 with an exception set. */
static Py_ALWAYS_INLINE inline int
write_folded(const Folder *self, int kind, const void *data, Py_ssize_t length, int out_kind,
             void *out, PyObject *resized)
{
    Py_ssize_t at = 0, resizing = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        const Entry *entry = &self->pages[ch >> PAGE_BITS][ch & PAGE_MASK];
        if (entry->size == 1) {
            PyUnicode_WRITE(out_kind, out, at, entry->ch);
            at++;
        } else {
            PyObject *index = PyLong_FromSsize_t(i);
            int value_kind = PyUnicode_KIND(entry->value);
            const void *value = PyUnicode_DATA(entry->value);
            if (index == NULL) {
                return -1;
            }
            PyList_SET_ITEM(resized, resizing, index);
            resizing++;
            for (Py_ssize_t k = 0; k < entry->size; k++) {
                PyUnicode_WRITE(out_kind, out, at, PyUnicode_READ(value_kind, value, k));
                at++;
            }
        }
    }
    return 0;
}

/* write_folded() for each pair of kinds, so that each loop reads and writes one. */
static int
write_folded_kinds(const Folder *self, int kind, const void *data, Py_ssize_t length,
                   PyObject *folded, PyObject *resized)
{
    int out_kind = PyUnicode_KIND(folded);
    void *out = PyUnicode_DATA(folded);
#define KINDS(in, to)                                                                     \
    if (kind == (in) && out_kind == (to)) {                                                 \
        return write_folded(self, in, data, length, to, out, resized);                      \
    }
    KINDS(PyUnicode_1BYTE_KIND, PyUnicode_1BYTE_KIND)
    KINDS(PyUnicode_2BYTE_KIND, PyUnicode_1BYTE_KIND)
    KINDS(PyUnicode_4BYTE_KIND, PyUnicode_1BYTE_KIND)
    KINDS(PyUnicode_1BYTE_KIND, PyUnicode_2BYTE_KIND)
    KINDS(PyUnicode_2BYTE_KIND, PyUnicode_2BYTE_KIND)
    KINDS(PyUnicode_4BYTE_KIND, PyUnicode_2BYTE_KIND)
    KINDS(PyUnicode_1BYTE_KIND, PyUnicode_4BYTE_KIND)
    KINDS(PyUnicode_2BYTE_KIND, PyUnicode_4BYTE_KIND)
#undef KINDS
    return write_folded(self, PyUnicode_4BYTE_KIND, data, length, PyUnicode_4BYTE_KIND, out,
                        resized);
}

static PyObject *
fold_text(Folder *self, PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text), failed;
    const void *data = PyUnicode_DATA(text);
    Measure found;
    PyObject *folded, *resized = NULL;

    if (self->ascii_simple && PyUnicode_IS_ASCII(text)) {
        return fold_ascii(self, text);
    }
    if (kind == PyUnicode_1BYTE_KIND) {
        failed = measure(self, PyUnicode_1BYTE_KIND, data, length, &found);
    } else if (kind == PyUnicode_2BYTE_KIND) {
        failed = measure(self, PyUnicode_2BYTE_KIND, data, length, &found);
    } else {
        failed = measure(self, PyUnicode_4BYTE_KIND, data, length, &found);
    }
    if (failed) {
        return NULL;
    }
    if (!found.changed && PyUnicode_CheckExact(text)) {
        Py_INCREF(text);
        return fold_result(text, NULL);
    }
    /* Making the objects may run the garbage collector, and so Python code, which can only
     * add entries to the cache. */
    folded = PyUnicode_New(found.length, found.max);
    if (folded == NULL) {
        return NULL;
    }
    if (found.resizing > 0) {
        resized = PyList_New(found.resizing);
        if (resized == NULL) {
            Py_DECREF(folded);
            return NULL;
        }
    }
    if (write_folded_kinds(self, kind, data, length, folded, resized) < 0) {
        Py_DECREF(folded);
        Py_XDECREF(resized);
        return NULL;
    }
    return fold_result(folded, resized);
}

static PyObject *
folder_fold(Folder *self, PyObject *text)
{
    PyObject *result;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "fold() needs a str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    /* The table's Python code could drop every other reference to this Folder (a Python
     * caller holds one for the call; this does not depend on it). */
    Py_INCREF(self);
    result = fold_text(self, text);
    Py_DECREF(self);
    return result;
}

/* -- the spaced-out letters pre-check ------------------------------------------------- */

static PyObject *
folder_maybe_spaced(Folder *self, PyObject *text)
{
    unsigned char (*step)[256] = self->spaced_step;
    unsigned int state = 0;
    Py_ssize_t length, i = 0;
    int kind;
    const void *data;

    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "maybe_spaced() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    length = PyUnicode_GET_LENGTH(text);
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    /* MATCHED is never left, so it is looked for once a block, not at every character. */
    while (i < length) {
        Py_ssize_t end = length - i > SPACED_BLOCK ? i + SPACED_BLOCK : length;
        if (kind == PyUnicode_1BYTE_KIND) {
            const Py_UCS1 *chars = data;
            for (; i < end; i++) {
                state = step[state][chars[i]];
            }
        } else if (kind == PyUnicode_2BYTE_KIND) {
            const Py_UCS2 *chars = data;
            for (; i < end; i++) {
                state = step[state][chars[i] < 256 ? chars[i] : '?'];
            }
        } else {
            const Py_UCS4 *chars = data;
            for (; i < end; i++) {
                state = step[state][chars[i] < 256 ? chars[i] : '?'];
            }
        }
        if (state == MATCHED) {
            Py_RETURN_TRUE;
        }
    }
    Py_RETURN_FALSE;
}

/* -- the leetspeak pre-check --------------------------------------------------------- */

/* textnorm's _MAYBE_LEET, a character where leetspeak may change a word:
 *   [013457$!@|](?:(?<=[a-z][013457])|(?<=[013457])(?=[a-z])|(?<=[a-z0-9][$!@|])(?=[a-z0-9]))
 * The engine tests every character of the text against the leading class through its
 * generic set code; here one switch a character decides. ASCII only, as the pattern is. */
#define LEET_LETTER 1u       /* a-z */
#define LEET_DIGIT 2u        /* 0 1 3 4 5 7: digits leetspeak reads as letters */
#define LEET_OTHER_DIGIT 4u  /* 2 6 8 9 */
#define LEET_SYMBOL 8u       /* $ ! @ | */
#define LEET_WORDLIKE (LEET_LETTER | LEET_DIGIT | LEET_OTHER_DIGIT)

static inline unsigned int
leet_class(Py_UCS4 ch)
{
    if (ch >= 'a' && ch <= 'z') {
        return LEET_LETTER;
    }
    switch (ch) {
    case '0': case '1': case '3': case '4': case '5': case '7':
        return LEET_DIGIT;
    case '2': case '6': case '8': case '9':
        return LEET_OTHER_DIGIT;
    case '$': case '!': case '@': case '|':
        return LEET_SYMBOL;
    default:
        return 0;
    }
}

#define LEET_SCAN(TYPE)                                                                    \
    do {                                                                                   \
        const TYPE *chars = data;                                                          \
        unsigned int before = start > 0 ? leet_class(chars[start - 1]) : 0;               \
        unsigned int here = leet_class(chars[start]);                                     \
        for (Py_ssize_t i = start; i < length; i++) {                                      \
            unsigned int after = i + 1 < length ? leet_class(chars[i + 1]) : 0;           \
            if (((here & LEET_DIGIT) && ((before | after) & LEET_LETTER))                  \
                || ((here & LEET_SYMBOL) && (before & LEET_WORDLIKE)                       \
                    && (after & LEET_WORDLIKE))) {                                         \
                found = i;                                                                 \
                break;                                                                     \
            }                                                                              \
            before = here;                                                                 \
            here = after;                                                                  \
        }                                                                                  \
    } while (0)

static PyObject *
folder_leet_hint(Folder *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "leet_hint() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *text = args[0];
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "leet_hint() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    if (start == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (start < 0) {
        start = 0; /* as pattern.search(text, pos) takes a negative pos */
    }
    Py_ssize_t found = -1;
    if (start < length) {
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        if (kind == PyUnicode_1BYTE_KIND) {
            LEET_SCAN(Py_UCS1);
        } else if (kind == PyUnicode_2BYTE_KIND) {
            LEET_SCAN(Py_UCS2);
        } else {
            LEET_SCAN(Py_UCS4);
        }
    }
    return PyLong_FromSsize_t(found);
}

/* -- the type ------------------------------------------------------------------------- */

static int
folder_traverse(Folder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->table); /* the cached values are str, which refer to nothing */
    return 0;
}

static int
folder_clear(Folder *self)
{
    Py_CLEAR(self->table);
    return 0;
}

static void
folder_dealloc(Folder *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->table);
    for (size_t p = 0; p < PAGE_COUNT; p++) {
        Entry *page = self->pages[p];
        if (page == NULL) {
            continue;
        }
        for (size_t k = 0; k < PAGE_SIZE; k++) {
            Py_XDECREF(page[k].value);
        }
        PyMem_Free(page);
        self->pages[p] = NULL;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static unsigned char
class_of(char code)
{
    return code == 'S' ? CLASS_S : code == 'A' ? CLASS_A : CLASS_O;
}

static PyObject *
folder_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"table", "classes", NULL};
    PyObject *table;
    Py_buffer classes;
    Folder *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "Oy*", kwlist, &table, &classes)) {
        return NULL;
    }
    if (classes.len != 256) {
        PyErr_Format(PyExc_ValueError, "classes must be 256 bytes, not %zd", classes.len);
        PyBuffer_Release(&classes);
        return NULL;
    }
    self = (Folder *)type->tp_alloc(type, 0); /* zeroed: no page, no table */
    if (self == NULL) {
        PyBuffer_Release(&classes);
        return NULL;
    }
    for (size_t c = 0; c < 256; c++) {
        unsigned char cls = class_of(((const char *)classes.buf)[c]);
        for (size_t state = 0; state < SPACED_STATES; state++) {
            self->spaced_step[state][c] = spaced_next[state][cls];
        }
    }
    PyBuffer_Release(&classes);
    Py_INCREF(table);
    self->table = table;
    /* ASCII first: most messages are ASCII, and fold them with one array read a character
     * when the table folds each to one ASCII character. */
    self->ascii_simple = 1;
    self->ascii_lower = 1;
    for (Py_UCS4 ch = 0; ch < 128; ch++) {
        const Entry *entry = fill(self, ch);
        if (entry == NULL) {
            Py_DECREF(self);
            return NULL;
        }
        if (entry->size == 1 && entry->ch < 128) {
            self->ascii[ch] = (Py_UCS1)entry->ch;
            self->ascii_lower &= entry->ch == (is_upper((Py_UCS1)ch) ? ch | 0x20 : ch);
        } else {
            self->ascii_simple = self->ascii_lower = 0;
        }
    }
    return (PyObject *)self;
}

static PyMethodDef folder_methods[] = {
    {"fold", (PyCFunction)folder_fold, METH_O,
     "fold(text) -> tuple[str, list[int] | None]: text.translate(table), and the indices of "
     "the characters whose folded form is not one character long (None when there is none)."},
    {"maybe_spaced", (PyCFunction)folder_maybe_spaced, METH_O,
     "maybe_spaced(text) -> bool: whether the classes of the text's characters hold SASAS "
     "or SASSAS (S a separator, A a letter or digit, as the classes table says)."},
    {"leet_hint", (PyCFunction)(void (*)(void))folder_leet_hint, METH_FASTCALL,
     "leet_hint(text, pos) -> int: where textnorm's _MAYBE_LEET.search(text, pos) matches "
     "(a digit or symbol that leetspeak may read as a letter), or -1."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FolderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mmtkit._folding.Folder",
    .tp_doc = "Folder(table, classes): folds text as str.translate(table) does, from a cache "
              "of its own (the table must be append-only), and classes characters with "
              "classes (256 bytes, b'S', b'A' or another each) for maybe_spaced().",
    .tp_basicsize = sizeof(Folder),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = folder_new,
    .tp_dealloc = (destructor)folder_dealloc,
    .tp_traverse = (traverseproc)folder_traverse,
    .tp_clear = (inquiry)folder_clear,
    .tp_methods = folder_methods,
};

static struct PyModuleDef folding_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mmtkit._folding",
    .m_doc = "Text folding in C (see mmtkit.textnorm).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__folding(void)
{
    PyObject *module;
    if (PyType_Ready(&FolderType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&folding_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&FolderType);
    if (PyModule_AddObject(module, "Folder", (PyObject *)&FolderType) < 0) {
        Py_DECREF(&FolderType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
