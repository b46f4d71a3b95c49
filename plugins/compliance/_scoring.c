/*
 * The message model's feature sums, in C: mmtkit.plugins.compliance._scoring.
 *
 * Why C: the model looks up every word and every pair of neighbouring words of a message.
 * In Python each look-up goes through dict entries, key strings, tuples and boxed floats
 * spread over the heap, which the other stages of a check have evicted from the caches by
 * the time the model runs: about a fifth of a check's time went there. Here the features
 * live in one open-addressing table of hashes and indices, their keys in one array of code
 * points and their weights in one array of doubles.
 *
 * What it computes is exactly what model.TextModel._python_totals computes (a property test
 * holds the two to the same floats): the words of the text are the matches of the pattern
 * \w+ (a character is a word character when str.isalnum() or it is "_", as the regex engine
 * decides), the features are each word and each pair "previous word" + " " + "word" that the
 * model holds, each counted once, and each category's total adds the weights of the features
 * found in ascending feature order.
 *
 * Nothing here calls back into Python, allocates per word or recurses; the text is read once
 * with PyUnicode_READ, whatever its kind. Python objects are made only once the sums are
 * done, so no finaliser can run while the tables are read.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static inline uint64_t
fnv_step(uint64_t hash, Py_UCS4 ch)
{
    return (hash ^ (uint64_t)ch) * FNV_PRIME;
}

/* ASCII letters, digits and "_": most characters of most messages, without a look-up in
 * the Unicode database. */
static const unsigned char ascii_word[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
};

static inline int
is_word_char(Py_UCS4 ch)
{
    /* The regex engine's \w for str patterns: SRE_UNI_IS_WORD. */
    if (ch < 128) {
        return ascii_word[ch];
    }
    return Py_UNICODE_ISALNUM(ch);
}

typedef struct {
    uint64_t hash;
    Py_ssize_t index; /* -1: an empty slot */
} Slot;

typedef struct {
    PyObject_HEAD
    Py_ssize_t categories;
    Py_ssize_t features;
    double *weights;      /* features x categories, row by row */
    Py_UCS4 *keys;        /* every key's code points, one after the other */
    Py_ssize_t *key_start; /* features + 1 offsets into keys */
    Slot *slots;
    size_t mask;          /* slots - 1; the slot count is a power of two */
} Scorer;

static void
scorer_free(Scorer *self)
{
    PyMem_Free(self->weights);
    PyMem_Free(self->keys);
    PyMem_Free(self->key_start);
    PyMem_Free(self->slots);
    self->weights = NULL;
    self->keys = NULL;
    self->key_start = NULL;
    self->slots = NULL;
}

static void
scorer_dealloc(Scorer *self)
{
    scorer_free(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void
slot_insert(Scorer *self, uint64_t hash, Py_ssize_t index)
{
    size_t at = (size_t)hash & self->mask;
    while (self->slots[at].index >= 0) {
        at = (at + 1) & self->mask;
    }
    self->slots[at].hash = hash;
    self->slots[at].index = index;
}

/* The feature whose key is the code points of text[a_start:a_end], then (for a pair) a space
 * and text[b_start:b_end]; -1 if the model has none. */
static Py_ssize_t
lookup(const Scorer *self, uint64_t hash, int kind, const void *data,
       Py_ssize_t a_start, Py_ssize_t a_end, Py_ssize_t b_start, Py_ssize_t b_end)
{
    Py_ssize_t length = a_end - a_start + (b_start < 0 ? 0 : 1 + b_end - b_start);
    size_t at = (size_t)hash & self->mask;
    for (;;) {
        const Slot *slot = &self->slots[at];
        if (slot->index < 0) {
            return -1;
        }
        if (slot->hash == hash) {
            Py_ssize_t index = slot->index;
            const Py_UCS4 *key = self->keys + self->key_start[index];
            if (self->key_start[index + 1] - self->key_start[index] == length) {
                Py_ssize_t k = 0, i;
                int same = 1;
                for (i = a_start; same && i < a_end; i++, k++) {
                    same = key[k] == PyUnicode_READ(kind, data, i);
                }
                if (same && b_start >= 0) {
                    same = key[k++] == ' ';
                    for (i = b_start; same && i < b_end; i++, k++) {
                        same = key[k] == PyUnicode_READ(kind, data, i);
                    }
                }
                if (same) {
                    return index;
                }
            }
        }
        at = (at + 1) & self->mask;
    }
}

/* The words of a text one after another, as \\w+ finds them, with the hashes the look-ups
 * need: totals() and where() read a text the same way. */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length, next;
    Py_ssize_t start, end;                   /* the current word */
    Py_ssize_t previous_start, previous_end; /* the word before it, or -1 */
    uint64_t hash;                           /* of the word */
    uint64_t pair_hash;                      /* of the word before it, a space and the word */
} Words;

static void
words_start(Words *words, PyObject *text)
{
    words->kind = PyUnicode_KIND(text);
    words->data = PyUnicode_DATA(text);
    words->length = PyUnicode_GET_LENGTH(text);
    words->next = 0;
    words->start = words->end = words->previous_start = words->previous_end = -1;
    words->hash = words->pair_hash = 0;
}

/* Moves to the next word; 0 when there is none. */
static inline int
words_next(Words *words)
{
    Py_ssize_t i = words->next, length = words->length;
    int kind = words->kind;
    const void *data = words->data;
    uint64_t hash = FNV_OFFSET, pair_hash = fnv_step(words->hash, ' ');
    while (i < length && !is_word_char(PyUnicode_READ(kind, data, i))) {
        i++;
    }
    if (i >= length) {
        words->next = i;
        return 0;
    }
    words->previous_start = words->start;
    words->previous_end = words->end;
    words->start = i;
    while (i < length) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!is_word_char(ch)) {
            break;
        }
        hash = fnv_step(hash, ch);
        pair_hash = fnv_step(pair_hash, ch);
        i++;
    }
    words->end = words->next = i;
    words->hash = hash;
    words->pair_hash = pair_hash;
    return 1;
}

static int
scorer_init(Scorer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"keys", "rows", "categories", NULL};
    PyObject *keys_arg, *rows_arg, *keys = NULL, *rows = NULL;
    Py_ssize_t categories, features, i, c, total = 0;
    size_t slot_count = 8;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOn", kwlist, &keys_arg, &rows_arg,
                                     &categories)) {
        return -1;
    }
    scorer_free(self);
    if (categories < 1) {
        PyErr_SetString(PyExc_ValueError, "a scorer needs at least one category");
        return -1;
    }
    keys = PySequence_Fast(keys_arg, "keys must be a sequence of str");
    rows = keys == NULL ? NULL : PySequence_Fast(rows_arg, "rows must be a sequence");
    if (rows == NULL) {
        goto error;
    }
    features = PySequence_Fast_GET_SIZE(keys);
    if (PySequence_Fast_GET_SIZE(rows) != features) {
        PyErr_Format(PyExc_ValueError, "%zd keys but %zd rows", features,
                     PySequence_Fast_GET_SIZE(rows));
        goto error;
    }
    for (i = 0; i < features; i++) {
        PyObject *key = PySequence_Fast_GET_ITEM(keys, i);
        if (!PyUnicode_Check(key)) {
            PyErr_Format(PyExc_TypeError, "key %zd is not a str", i);
            goto error;
        }
        total += PyUnicode_GET_LENGTH(key);
    }
    while (slot_count < (size_t)features * 2) {
        slot_count *= 2;
    }
    self->categories = categories;
    self->features = features;
    self->weights = PyMem_Calloc((size_t)(features * categories) + 1, sizeof(double));
    self->keys = PyMem_Calloc((size_t)total + 1, sizeof(Py_UCS4));
    self->key_start = PyMem_Calloc((size_t)features + 1, sizeof(Py_ssize_t));
    self->slots = PyMem_Calloc(slot_count, sizeof(Slot));
    if (!self->weights || !self->keys || !self->key_start || !self->slots) {
        PyErr_NoMemory();
        goto error;
    }
    self->mask = slot_count - 1;
    for (size_t s = 0; s < slot_count; s++) {
        self->slots[s].index = -1;
    }
    total = 0;
    for (i = 0; i < features; i++) {
        PyObject *key = PySequence_Fast_GET_ITEM(keys, i);
        PyObject *row = PySequence_Fast(PySequence_Fast_GET_ITEM(rows, i),
                                        "each row must be a sequence of floats");
        Py_ssize_t length = PyUnicode_GET_LENGTH(key);
        uint64_t hash = FNV_OFFSET;
        if (row == NULL) {
            goto error;
        }
        if (PySequence_Fast_GET_SIZE(row) != categories) {
            PyErr_Format(PyExc_ValueError, "row %zd has %zd weights, not %zd", i,
                         PySequence_Fast_GET_SIZE(row), categories);
            Py_DECREF(row);
            goto error;
        }
        for (c = 0; c < categories; c++) {
            double weight = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(row, c));
            if (weight == -1.0 && PyErr_Occurred()) {
                Py_DECREF(row);
                goto error;
            }
            self->weights[i * categories + c] = weight;
        }
        Py_DECREF(row);
        self->key_start[i] = total;
        for (Py_ssize_t k = 0; k < length; k++) {
            Py_UCS4 ch = PyUnicode_READ_CHAR(key, k);
            self->keys[total++] = ch;
            hash = fnv_step(hash, ch);
        }
        self->key_start[i + 1] = total;
        if (lookup(self, hash, PyUnicode_KIND(key), PyUnicode_DATA(key), 0, length, -1, -1)
                >= 0) {
            PyErr_Format(PyExc_ValueError, "key %zd (%R) is given twice", i, key);
            goto error;
        }
        slot_insert(self, hash, i);
    }
    self->key_start[features] = total;
    Py_DECREF(keys);
    Py_DECREF(rows);
    return 0;

error:
    Py_XDECREF(keys);
    Py_XDECREF(rows);
    scorer_free(self);
    self->features = 0;
    return -1;
}

/* What totals() and where() accept: a str, and a scorer whose tables are built. */
static int
check_reading(const Scorer *self, PyObject *text, const char *method)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s() needs a str, not %.100s", method,
                     Py_TYPE(text)->tp_name);
        return -1;
    }
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_ValueError, "the scorer was not initialised");
        return -1;
    }
    return 0;
}

static int
compare_indices(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* The found features in ascending order, each once; returns how many remain. A message
 * finds a few dozen features at most, where an insertion sort that drops repeats as it goes
 * costs a third of qsort's calls through a comparison function; longer texts take qsort. */
static Py_ssize_t
sort_unique(Py_ssize_t *found, Py_ssize_t count)
{
    if (count > 64) {
        qsort(found, (size_t)count, sizeof(Py_ssize_t), compare_indices);
        Py_ssize_t kept = 0;
        for (Py_ssize_t f = 0; f < count; f++) {
            if (kept == 0 || found[f] != found[kept - 1]) {
                found[kept++] = found[f];
            }
        }
        return kept;
    }
    Py_ssize_t kept = 0;
    for (Py_ssize_t f = 0; f < count; f++) {
        Py_ssize_t value = found[f], at = kept;
        while (at > 0 && found[at - 1] > value) {
            at--;
        }
        if (at > 0 && found[at - 1] == value) {
            continue; /* a feature counts once, however often it occurs */
        }
        for (Py_ssize_t move = kept; move > at; move--) {
            found[move] = found[move - 1];
        }
        found[at] = value;
        kept++;
    }
    return kept;
}

/* Each category's sum of the weights of the features text holds, into sums (categories
 * doubles): what totals() returns and flagged() compares. -1 on an error. */
static int
sum_features(const Scorer *self, PyObject *text, double *sums)
{
    Py_ssize_t length, found_count = 0, categories = self->categories;
    Words words;
    Py_ssize_t stack_found[256];
    Py_ssize_t *found = stack_found;
    int kind;
    const void *data;

    words_start(&words, text);
    length = words.length;
    kind = words.kind;
    data = words.data;
    /* A word and a pair per word at most, and a text of n characters has at most
     * (n + 1) / 2 words. */
    if (length + 1 > (Py_ssize_t)(sizeof(stack_found) / sizeof(stack_found[0]))) {
        found = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(length + 1));
        if (found == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    while (words_next(&words)) {
        Py_ssize_t index = lookup(self, words.hash, kind, data, words.start, words.end, -1, -1);
        if (index >= 0) {
            found[found_count++] = index;
        }
        if (words.previous_start >= 0) {
            index = lookup(self, words.pair_hash, kind, data, words.previous_start,
                           words.previous_end, words.start, words.end);
            if (index >= 0) {
                found[found_count++] = index;
            }
        }
    }
    found_count = sort_unique(found, found_count);
    for (Py_ssize_t c = 0; c < categories; c++) {
        sums[c] = 0.0;
    }
    for (Py_ssize_t f = 0; f < found_count; f++) {
        const double *row = self->weights + found[f] * categories;
        for (Py_ssize_t c = 0; c < categories; c++) {
            sums[c] += row[c];
        }
    }
    if (found != stack_found) {
        PyMem_Free(found);
    }
    return 0;
}

/* Room for ``count`` doubles: on the stack for the few a message needs (a row of sums, and
 * for flagged() the intercepts and cutoffs beside it), else on the heap. */
typedef struct {
    double stack[48];
    double *values;
} Doubles;

static int
doubles_open(Doubles *doubles, Py_ssize_t count)
{
    doubles->values = doubles->stack;
    if (count > (Py_ssize_t)(sizeof(doubles->stack) / sizeof(doubles->stack[0]))) {
        doubles->values = PyMem_Malloc(sizeof(double) * (size_t)count);
        if (doubles->values == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

static void
doubles_close(Doubles *doubles)
{
    if (doubles->values != doubles->stack) {
        PyMem_Free(doubles->values);
    }
}

static PyObject *
scorer_totals(Scorer *self, PyObject *text)
{
    Py_ssize_t categories = self->categories;
    Doubles sums;
    PyObject *result = NULL;

    if (check_reading(self, text, "totals") < 0 || doubles_open(&sums, categories) < 0) {
        return NULL;
    }
    if (sum_features(self, text, sums.values) < 0) {
        goto done;
    }
    result = PyList_New(categories);
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t c = 0; c < categories; c++) {
        PyObject *value = PyFloat_FromDouble(sums.values[c]);
        if (value == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, c, value);
    }

done:
    doubles_close(&sums);
    return result;
}

/* One float per category from a sequence, or an error naming it. */
static int
read_floats(PyObject *values, Py_ssize_t categories, const char *name, double *out)
{
    PyObject *sequence = PySequence_Fast(values, "intercepts and cutoffs must be sequences");
    if (sequence == NULL) {
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(sequence) != categories) {
        PyErr_Format(PyExc_ValueError, "%s must hold one float per category (%zd), not %zd",
                     name, categories, PySequence_Fast_GET_SIZE(sequence));
        Py_DECREF(sequence);
        return -1;
    }
    for (Py_ssize_t c = 0; c < categories; c++) {
        out[c] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(sequence, c));
        if (out[c] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(sequence);
            return -1;
        }
    }
    Py_DECREF(sequence);
    return 0;
}

/* flagged(text, intercepts, cutoffs): the categories whose log-odds reach their cutoff, as
 * TextModel.flagged compares them in Python: intercept + scale * total >= cutoff, with the
 * scale of model.feature_scale, 1 / sqrt(2 * words - 1) and words one more than the
 * spaces. Each product is stored before it is added (volatile), so that no compiler fuses the
 * two into one multiply-add, whose single rounding Python's floats do not have. */
static PyObject *
scorer_flagged(Scorer *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t categories = self->categories, spaces = 0, length;
    Doubles doubles;
    double *sums, *intercepts, *cutoffs;
    PyObject *text, *result = NULL;
    int kind;
    const void *data;
    double scale;

    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "flagged() takes 3 arguments (%zd given)", nargs);
        return NULL;
    }
    text = args[0];
    if (check_reading(self, text, "flagged") < 0) {
        return NULL;
    }
    if (doubles_open(&doubles, 3 * categories) < 0) {
        return NULL;
    }
    sums = doubles.values;
    intercepts = sums + categories;
    cutoffs = intercepts + categories;
    if (read_floats(args[1], categories, "intercepts", intercepts) < 0
            || read_floats(args[2], categories, "cutoffs", cutoffs) < 0
            || sum_features(self, text, sums) < 0) {
        goto done;
    }
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    length = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        spaces += PyUnicode_READ(kind, data, i) == ' ';
    }
    scale = 1.0 / sqrt((double)(2 * (spaces + 1) - 1));
    result = PyList_New(0);
    for (Py_ssize_t c = 0; result != NULL && c < categories; c++) {
        volatile double product = scale * sums[c];
        if (intercepts[c] + product >= cutoffs[c]) {
            PyObject *index = PyLong_FromSsize_t(c);
            if (index == NULL || PyList_Append(result, index) < 0) {
                Py_CLEAR(result);
            }
            Py_XDECREF(index);
        }
    }

done:
    doubles_close(&doubles);
    return result;
}

typedef struct {
    Py_ssize_t index, start, end;
} Place;

static PyObject *
scorer_where(Scorer *self, PyObject *text)
{
    Py_ssize_t length, count = 0;
    Words words;
    unsigned char *seen = NULL;
    Place *places = NULL;
    PyObject *result = NULL;
    int kind;
    const void *data;

    if (check_reading(self, text, "where") < 0) {
        return NULL;
    }
    words_start(&words, text);
    length = words.length;
    kind = words.kind;
    data = words.data;
    /* A word and a pair per word at most, as in totals(); each feature once (``seen``). The
     * places are gathered before any Python object is made, as in totals(). */
    seen = PyMem_Calloc((size_t)(self->features / 8 + 1), 1);
    places = PyMem_Malloc(sizeof(Place) * (size_t)(length + 1));
    if (seen == NULL || places == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    while (words_next(&words)) {
        Py_ssize_t index;
        /* As FeatureIndex.where notes them: the pair ending here, then the word. */
        if (words.previous_start >= 0) {
            index = lookup(self, words.pair_hash, kind, data, words.previous_start,
                           words.previous_end, words.start, words.end);
            if (index >= 0 && !(seen[index >> 3] & (1u << (index & 7)))) {
                seen[index >> 3] |= (unsigned char)(1u << (index & 7));
                places[count++] = (Place){index, words.previous_start, words.end};
            }
        }
        index = lookup(self, words.hash, kind, data, words.start, words.end, -1, -1);
        if (index >= 0 && !(seen[index >> 3] & (1u << (index & 7)))) {
            seen[index >> 3] |= (unsigned char)(1u << (index & 7));
            places[count++] = (Place){index, words.start, words.end};
        }
    }
    result = PyDict_New();
    for (Py_ssize_t p = 0; result != NULL && p < count; p++) {
        PyObject *key = PyLong_FromSsize_t(places[p].index);
        PyObject *span = Py_BuildValue("(nn)", places[p].start, places[p].end);
        if (key == NULL || span == NULL || PyDict_SetItem(result, key, span) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(key);
        Py_XDECREF(span);
    }

done:
    PyMem_Free(seen);
    PyMem_Free(places);
    return result;
}

static PyObject *
scorer_features(Scorer *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->features);
}

static PyMethodDef scorer_methods[] = {
    {"where", (PyCFunction)scorer_where, METH_O,
     "where(text) -> dict[int, tuple[int, int]]: each feature the text holds, by index, with "
     "the span where it first stands (as FeatureIndex.where finds them)."},
    {"flagged", (PyCFunction)(void (*)(void))scorer_flagged, METH_FASTCALL,
     "flagged(text, intercepts, cutoffs) -> list[int]: the categories, by index, for which "
     "intercept + scale * total >= cutoff, scale being 1 / sqrt(2 * words - 1) with one "
     "word more than the text has spaces (as TextModel.flagged decides)."},
    {"totals", (PyCFunction)scorer_totals, METH_O,
     "totals(text) -> list[float]: each category's sum of the weights of the features "
     "(words and pairs of neighbouring words) the text holds, each feature once, in "
     "ascending feature order."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef scorer_getset[] = {
    {"features", (getter)scorer_features, NULL, "How many features the scorer holds.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mmtkit.plugins.compliance._scoring.Scorer",
    .tp_doc = "Scorer(keys, rows, categories): the features (words, and pairs written "
              "\"first second\") and their weights, one row of `categories` floats each.",
    .tp_basicsize = sizeof(Scorer),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)scorer_init,
    .tp_dealloc = (destructor)scorer_dealloc,
    .tp_methods = scorer_methods,
    .tp_getset = scorer_getset,
};

static struct PyModuleDef scoring_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mmtkit.plugins.compliance._scoring",
    .m_doc = "The message model's feature sums in C (see model.TextModel).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__scoring(void)
{
    PyObject *module;
    if (PyType_Ready(&ScorerType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&scoring_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(module, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
