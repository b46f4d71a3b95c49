/*
 * The lexicon's Aho-Corasick automaton in C: mmtkit.plugins.compliance._matching.
 *
 * Why not pyahocorasick alone: at every character of a message it walks the failure chain
 * of the current node until a node that ends a term, and its nodes and their child arrays
 * lie wherever malloc put them. Inside a check the other stages have evicted the automaton
 * (45,000 terms, 361,000 nodes) from the caches, so each of those steps is a cache miss:
 * with its search precomputed, the engine ran a quarter faster.
 *
 * Here:
 * - every node knows the nearest node on its failure chain that ends a term (its output
 *   link), so the chain is walked only where a term does end;
 * - a node is one record of int32 in a single array, its edges inline (count, failure,
 *   output, term, then (character, child) pairs sorted by character), so a transition reads
 *   one record;
 * - records are laid out depth first, so the nodes of a term follow one another and a text
 *   that runs along a term reads memory in order;
 * - the root's children for ASCII characters are a table.
 *
 * It finds exactly what pyahocorasick's Automaton.iter finds, in the same order: for each
 * position of the text in turn, every key ending there, the longest first, as
 * (index of its last character, value). tests/compliance/test_matching.py holds the two to
 * the same lists; pyahocorasick is what a build without a C compiler uses.
 *
 * hits() goes one step further for the lexicon, whose values are tuples of term payloads
 * (concept, bounded on the left, on the right, length, accented spelling or None): it keeps
 * only the terms that stand as whole words where they must, and gathers their ranges by
 * concept, as Matcher._analyse does in Python. That loop cost more than the search itself:
 * a tuple per match, then a payload tuple unpacked per term, in a compiled but boxed loop.
 * Only an accented term in a text typed with non-ASCII letters needs Python (the original
 * spelling must be looked up and compared); it is handed to a callback.
 *
 * find() never calls back into Python; hits() calls only that callback, and a search in
 * progress refuses to let the automaton be rebuilt under it. Nothing recurses; the text is
 * read once, whatever its kind, and a key or a text of any content is handled (a lone
 * surrogate is a code point).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fields of a node record, then its edges. */
enum { COUNT = 0, FAIL = 1, OUTPUT = 2, TERM = 3, EDGES = 4 };

/* Edges of up to this many are scanned; more are searched by halves. */
#define LINEAR_EDGES 8

/* One term of a key's value, for hits(); its objects are borrowed from ``values``. */
typedef struct {
    PyObject *concept;   /* the str the ranges are gathered under */
    PyObject *accented;  /* the spelling the typed words must agree with, or NULL */
    Py_ssize_t length;   /* in characters: the term starts this far before its end */
    int left, right;     /* must not touch a word character on that side */
} Term;

typedef struct {
    PyObject_HEAD
    int32_t *records;         /* every node's record; the root's is at offset 0 */
    int32_t node_count;
    int32_t root_ascii[128];  /* the root's child for each ASCII character, or 0 */
    PyObject *values;         /* a tuple: each key's value */
    Term *terms;              /* for hits(): every key's terms, read from the values on the
                                 first call (a generic automaton's values are not terms) */
    int32_t *term_first;      /* key k's terms are terms[term_first[k]:term_first[k + 1]] */
    int searching;            /* find() calls under way: a match it allocates may run a
                                 finaliser, which must not rebuild the automaton under it */
} Automaton;

/* -- building: a trie of growable nodes, then the records ------------------------------ */

typedef struct {
    Py_UCS4 ch;
    int32_t to;
} Edge;

typedef struct {
    Edge *edges; /* sorted by character */
    int32_t count, capacity;
    int32_t term, fail, output;
} BuildNode;

static int32_t
build_child(const BuildNode *node, Py_UCS4 ch)
{
    int32_t low = 0, high = node->count - 1;
    while (low <= high) {
        int32_t mid = low + (high - low) / 2;
        Py_UCS4 at = node->edges[mid].ch;
        if (at == ch) {
            return node->edges[mid].to;
        }
        if (at < ch) {
            low = mid + 1;
        } else {
            high = mid - 1;
        }
    }
    return -1;
}

static int32_t
build_next(const BuildNode *nodes, int32_t state, Py_UCS4 ch)
{
    for (;;) {
        int32_t to = build_child(&nodes[state], ch);
        if (to >= 0) {
            return to;
        }
        if (state == 0) {
            return 0;
        }
        state = nodes[state].fail;
    }
}

typedef struct {
    BuildNode *nodes;
    int32_t count, capacity;
} Trie;

static void
trie_free(Trie *trie)
{
    if (trie->nodes != NULL) {
        for (int32_t n = 0; n < trie->count; n++) {
            PyMem_Free(trie->nodes[n].edges);
        }
        PyMem_Free(trie->nodes);
    }
    trie->nodes = NULL;
}

/* The child of ``state`` for ``ch``, made if missing; -1 with an exception set on failure. */
static int32_t
trie_child(Trie *trie, int32_t state, Py_UCS4 ch)
{
    int32_t to = build_child(&trie->nodes[state], ch), at;
    BuildNode *node;
    if (to >= 0) {
        return to;
    }
    if (trie->count == trie->capacity) {
        BuildNode *grown;
        if (trie->capacity > INT32_MAX / 4) {
            PyErr_SetString(PyExc_ValueError, "the keys hold too many characters");
            return -1;
        }
        grown = PyMem_Realloc(trie->nodes, sizeof(BuildNode) * (size_t)trie->capacity * 2);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memset(grown + trie->capacity, 0, sizeof(BuildNode) * (size_t)trie->capacity);
        trie->nodes = grown;
        trie->capacity *= 2;
    }
    to = trie->count++;
    trie->nodes[to].term = -1;
    node = &trie->nodes[state];
    if (node->count == node->capacity) {
        int32_t capacity = node->capacity ? node->capacity * 2 : 2;
        Edge *grown = PyMem_Realloc(node->edges, sizeof(Edge) * (size_t)capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        node->edges = grown;
        node->capacity = capacity;
    }
    for (at = node->count; at > 0 && node->edges[at - 1].ch > ch; at--) {
        node->edges[at] = node->edges[at - 1];
    }
    node->edges[at].ch = ch;
    node->edges[at].to = to;
    node->count++;
    return to;
}

static void
automaton_release(Automaton *self)
{
    PyMem_Free(self->records);
    self->records = NULL;
    self->node_count = 0;
    PyMem_Free(self->terms);
    self->terms = NULL;
    PyMem_Free(self->term_first);
    self->term_first = NULL;
    Py_CLEAR(self->values);
}

static void
automaton_dealloc(Automaton *self)
{
    automaton_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
automaton_init(Automaton *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"keys", "values", NULL};
    PyObject *keys_arg, *values_arg, *keys = NULL, *values = NULL;
    Trie trie = {NULL, 1, 1024};
    int32_t *order = NULL, *offset = NULL;
    Py_ssize_t key_count, i;
    int result = -1;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO", kwlist, &keys_arg, &values_arg)) {
        return -1;
    }
    if (self->searching) {
        PyErr_SetString(PyExc_RuntimeError, "the automaton cannot be rebuilt during a search");
        return -1;
    }
    automaton_release(self);
    keys = PySequence_Fast(keys_arg, "keys must be a sequence of str");
    if (keys == NULL) {
        goto done;
    }
    values = PySequence_Tuple(values_arg);
    if (values == NULL) {
        goto done;
    }
    key_count = PySequence_Fast_GET_SIZE(keys);
    if (PyTuple_GET_SIZE(values) != key_count) {
        PyErr_Format(PyExc_ValueError, "%zd keys but %zd values", key_count,
                     PyTuple_GET_SIZE(values));
        goto done;
    }
    if (key_count > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "too many keys");
        goto done;
    }
    trie.nodes = PyMem_Calloc((size_t)trie.capacity, sizeof(BuildNode));
    if (trie.nodes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    trie.nodes[0].term = -1;
    for (i = 0; i < key_count; i++) {
        PyObject *key = PySequence_Fast_GET_ITEM(keys, i);
        Py_ssize_t length;
        int32_t state = 0;
        if (!PyUnicode_Check(key)) {
            PyErr_Format(PyExc_TypeError, "key %zd is not a str", i);
            goto done;
        }
        length = PyUnicode_GET_LENGTH(key);
        if (length == 0) {
            PyErr_Format(PyExc_ValueError, "key %zd is empty", i);
            goto done;
        }
        for (Py_ssize_t k = 0; k < length; k++) {
            state = trie_child(&trie, state, PyUnicode_READ_CHAR(key, k));
            if (state < 0) {
                goto done;
            }
        }
        if (trie.nodes[state].term >= 0) {
            PyErr_Format(PyExc_ValueError, "key %zd (%R) is given twice", i, key);
            goto done;
        }
        trie.nodes[state].term = (int32_t)i;
    }

    order = PyMem_Malloc(sizeof(int32_t) * (size_t)trie.count);
    offset = PyMem_Malloc(sizeof(int32_t) * (size_t)trie.count);
    if (order == NULL || offset == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* Failure and output links, breadth first: a node's need those of shallower nodes. */
    {
        int32_t head = 0, tail = 0;
        BuildNode *nodes = trie.nodes;
        order[tail++] = 0;
        nodes[0].fail = 0;
        nodes[0].output = -1;
        while (head < tail) {
            int32_t n = order[head++];
            for (int32_t e = 0; e < nodes[n].count; e++) {
                Edge edge = nodes[n].edges[e];
                int32_t fail = n == 0 ? 0 : build_next(nodes, nodes[n].fail, edge.ch);
                nodes[edge.to].fail = fail;
                nodes[edge.to].output = nodes[fail].term >= 0 ? fail : nodes[fail].output;
                order[tail++] = edge.to;
            }
        }
    }
    /* The records' order: depth first, children in character order. */
    {
        int32_t top = 0, tail = 0;
        int32_t *stack = offset; /* free until the offsets are written below */
        stack[top++] = 0;
        while (top > 0) {
            int32_t n = stack[--top];
            order[tail++] = n;
            for (int32_t e = trie.nodes[n].count - 1; e >= 0; e--) {
                stack[top++] = trie.nodes[n].edges[e].to;
            }
        }
    }
    {
        int64_t size = 0;
        for (int32_t k = 0; k < trie.count; k++) {
            offset[order[k]] = (int32_t)size;
            size += EDGES + 2 * (int64_t)trie.nodes[order[k]].count;
            if (size >= INT32_MAX) {
                PyErr_SetString(PyExc_ValueError, "the keys make too large an automaton");
                goto done;
            }
        }
        self->records = PyMem_Malloc(sizeof(int32_t) * (size_t)size);
        if (self->records == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    for (int32_t n = 0; n < trie.count; n++) {
        const BuildNode *node = &trie.nodes[n];
        int32_t *record = self->records + offset[n];
        record[COUNT] = node->count;
        record[FAIL] = offset[node->fail];
        record[OUTPUT] = node->output >= 0 ? offset[node->output] : -1;
        record[TERM] = node->term;
        for (int32_t e = 0; e < node->count; e++) {
            record[EDGES + 2 * e] = (int32_t)node->edges[e].ch;
            record[EDGES + 2 * e + 1] = offset[node->edges[e].to];
        }
    }
    memset(self->root_ascii, 0, sizeof(self->root_ascii));
    for (int32_t e = 0; e < trie.nodes[0].count; e++) {
        Edge edge = trie.nodes[0].edges[e];
        if (edge.ch < 128) {
            self->root_ascii[edge.ch] = offset[edge.to];
        }
    }
    self->node_count = trie.count;
    self->values = values;
    values = NULL;
    result = 0;

done:
    trie_free(&trie);
    PyMem_Free(order);
    PyMem_Free(offset);
    Py_XDECREF(keys);
    Py_XDECREF(values);
    if (result < 0) {
        automaton_release(self);
    }
    return result;
}

/* -- searching ------------------------------------------------------------------------ */

static inline int32_t
record_child(const int32_t *record, Py_UCS4 ch)
{
    int32_t count = record[COUNT];
    const int32_t *edges = record + EDGES;
    if (count <= LINEAR_EDGES) {
        for (int32_t k = 0; k < count; k++) {
            if ((Py_UCS4)edges[2 * k] == ch) {
                return edges[2 * k + 1];
            }
        }
        return -1;
    }
    int32_t low = 0, high = count - 1;
    while (low <= high) {
        int32_t mid = low + ((high - low) >> 1);
        Py_UCS4 at = (Py_UCS4)edges[2 * mid];
        if (at == ch) {
            return edges[2 * mid + 1];
        }
        if (at < ch) {
            low = mid + 1;
        } else {
            high = mid - 1;
        }
    }
    return -1;
}

static inline int32_t
next_state(const Automaton *self, int32_t state, Py_UCS4 ch)
{
    const int32_t *records = self->records;
    for (;;) {
        int32_t to;
        if (state == 0) {
            if (ch < 128) {
                return self->root_ascii[ch];
            }
            to = record_child(records, ch);
            return to < 0 ? 0 : to;
        }
        to = record_child(records + state, ch);
        if (to >= 0) {
            return to;
        }
        state = records[state + FAIL];
    }
}

static int
append_match(PyObject *found, Py_ssize_t end, PyObject *value)
{
    PyObject *index = PyLong_FromSsize_t(end), *pair;
    int failed;
    if (index == NULL) {
        return -1;
    }
    pair = PyTuple_Pack(2, index, value);
    Py_DECREF(index);
    if (pair == NULL) {
        return -1;
    }
    failed = PyList_Append(found, pair);
    Py_DECREF(pair);
    return failed;
}

static PyObject *
automaton_find(Automaton *self, PyObject *text)
{
    const int32_t *records = self->records;
    Py_ssize_t length;
    int kind;
    const void *data;
    int32_t state = 0;
    PyObject *found;

    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "find() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (records == NULL) {
        PyErr_SetString(PyExc_ValueError, "the automaton was not initialised");
        return NULL;
    }
    self->searching++;
    found = PyList_New(0);
    if (found == NULL) {
        self->searching--;
        return NULL;
    }
    length = PyUnicode_GET_LENGTH(text);
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        int32_t at;
        state = next_state(self, state, PyUnicode_READ(kind, data, i));
        at = records[state + TERM] >= 0 ? state : records[state + OUTPUT];
        while (at >= 0) {
            if (append_match(found, i, PyTuple_GET_ITEM(self->values, records[at + TERM])) < 0) {
                self->searching--;
                Py_DECREF(found);
                return NULL;
            }
            at = records[at + OUTPUT];
        }
    }
    self->searching--;
    return found;
}

/* -- hits: the lexicon's terms that stand where they must, by concept ----------------- */

/* What a word is made of in folded text (textnorm.WORD_CHARS): ASCII letters and digits. */
static inline int
is_word(Py_UCS4 ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Reads each key's value as term payloads; -1 with TypeError if one is not. Only exact
 * types are accepted, so nothing here runs Python code. */
static int
read_terms(Automaton *self)
{
    PyObject *values = self->values;
    Py_ssize_t key_count = PyTuple_GET_SIZE(values), total = 0, n = 0;
    for (Py_ssize_t k = 0; k < key_count; k++) {
        PyObject *value = PyTuple_GET_ITEM(values, k);
        if (!PyTuple_CheckExact(value)) {
            goto not_terms;
        }
        total += PyTuple_GET_SIZE(value);
    }
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many terms");
        return -1;
    }
    self->term_first = PyMem_Malloc(sizeof(int32_t) * (size_t)(key_count + 1));
    self->terms = PyMem_Malloc(sizeof(Term) * (size_t)(total ? total : 1));
    if (self->term_first == NULL || self->terms == NULL) {
        PyErr_NoMemory();
        goto failed;
    }
    for (Py_ssize_t k = 0; k < key_count; k++) {
        PyObject *value = PyTuple_GET_ITEM(values, k);
        self->term_first[k] = (int32_t)n;
        for (Py_ssize_t p = 0; p < PyTuple_GET_SIZE(value); p++, n++) {
            PyObject *payload = PyTuple_GET_ITEM(value, p), *length, *accented;
            Term *term = &self->terms[n];
            if (!PyTuple_CheckExact(payload) || PyTuple_GET_SIZE(payload) != 5
                    || !PyUnicode_CheckExact(PyTuple_GET_ITEM(payload, 0))
                    || !PyBool_Check(PyTuple_GET_ITEM(payload, 1))
                    || !PyBool_Check(PyTuple_GET_ITEM(payload, 2))
                    || !PyLong_CheckExact(PyTuple_GET_ITEM(payload, 3))) {
                goto not_terms;
            }
            length = PyTuple_GET_ITEM(payload, 3);
            accented = PyTuple_GET_ITEM(payload, 4);
            if (accented != Py_None && !PyUnicode_CheckExact(accented)) {
                goto not_terms;
            }
            term->concept = PyTuple_GET_ITEM(payload, 0);
            term->left = PyTuple_GET_ITEM(payload, 1) == Py_True;
            term->right = PyTuple_GET_ITEM(payload, 2) == Py_True;
            term->accented = accented == Py_None ? NULL : accented;
            term->length = PyLong_AsSsize_t(length);
            if (term->length < 1) {
                if (!PyErr_Occurred()) {
                    PyErr_Format(PyExc_ValueError, "key %zd has a term of length %zd", k,
                                 term->length);
                }
                goto failed;
            }
        }
    }
    self->term_first[key_count] = (int32_t)n;
    return 0;

not_terms:
    PyErr_SetString(PyExc_TypeError,
                    "hits() needs every value to be a tuple of (concept: str, left: bool, "
                    "right: bool, length: int, accented: str | None) payloads");
failed:
    PyMem_Free(self->terms);
    self->terms = NULL;
    PyMem_Free(self->term_first);
    self->term_first = NULL;
    return -1;
}

/* Whether ``accept(start, end, accented)`` says yes; -1 with an exception set. */
static int
accepted(PyObject *accept, Py_ssize_t start, Py_ssize_t end, PyObject *accented)
{
    PyObject *args[3], *answer;
    int yes;
    args[0] = PyLong_FromSsize_t(start);
    args[1] = PyLong_FromSsize_t(end);
    if (args[0] == NULL || args[1] == NULL) {
        Py_XDECREF(args[0]);
        Py_XDECREF(args[1]);
        return -1;
    }
    args[2] = accented;
    answer = PyObject_Vectorcall(accept, args, 3, NULL);
    Py_DECREF(args[0]);
    Py_DECREF(args[1]);
    if (answer == NULL) {
        return -1;
    }
    yes = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    return yes;
}

/* Adds [start, end) to the concept's ranges, unless it already has ``limit``. */
static int
add_hit(PyObject *hits, PyObject *concept, Py_ssize_t start, Py_ssize_t end,
        Py_ssize_t limit)
{
    PyObject *found = PyDict_GetItemWithError(hits, concept), *range, *low, *high;
    int failed;
    if (found == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (found != NULL && PyList_GET_SIZE(found) >= limit) {
        return 0;
    }
    low = PyLong_FromSsize_t(start);
    high = PyLong_FromSsize_t(end);
    range = PyTuple_New(2);
    if (low == NULL || high == NULL || range == NULL) {
        Py_XDECREF(low);
        Py_XDECREF(high);
        Py_XDECREF(range);
        return -1;
    }
    PyTuple_SET_ITEM(range, 0, low);
    PyTuple_SET_ITEM(range, 1, high);
    if (found != NULL) {
        failed = PyList_Append(found, range);
        Py_DECREF(range);
        return failed;
    }
    found = PyList_New(1);
    if (found == NULL) {
        Py_DECREF(range);
        return -1;
    }
    PyList_SET_ITEM(found, 0, range);
    failed = PyDict_SetItem(hits, concept, found);
    Py_DECREF(found);
    return failed;
}

static PyObject *
automaton_hits(Automaton *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *text, *accept, *hits;
    Py_ssize_t short_accented, limit, length;
    const int32_t *records = self->records;
    int kind;
    const void *data;
    int32_t state = 0;

    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "hits() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    text = args[0];
    accept = args[1];
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "hits() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (accept != Py_None && !PyCallable_Check(accept)) {
        PyErr_SetString(PyExc_TypeError, "accept must be callable or None");
        return NULL;
    }
    short_accented = PyLong_AsSsize_t(args[2]);
    if (short_accented == -1 && PyErr_Occurred()) {
        return NULL;
    }
    limit = PyLong_AsSsize_t(args[3]);
    if (limit == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (limit < 1) {
        PyErr_SetString(PyExc_ValueError, "limit must be at least 1");
        return NULL;
    }
    if (records == NULL) {
        PyErr_SetString(PyExc_ValueError, "the automaton was not initialised");
        return NULL;
    }
    if (self->terms == NULL && read_terms(self) < 0) {
        return NULL;
    }
    hits = PyDict_New();
    if (hits == NULL) {
        return NULL;
    }
    self->searching++;  /* accept() runs Python code: no rebuilding under this loop */
    length = PyUnicode_GET_LENGTH(text);
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_ssize_t end = i + 1;
        int32_t at;
        int after_is_word;
        state = next_state(self, state, PyUnicode_READ(kind, data, i));
        at = records[state + TERM] >= 0 ? state : records[state + OUTPUT];
        if (at < 0) {
            continue;
        }
        after_is_word = end < length && is_word(PyUnicode_READ(kind, data, end));
        for (; at >= 0; at = records[at + OUTPUT]) {
            int32_t key = records[at + TERM];
            for (int32_t t = self->term_first[key]; t < self->term_first[key + 1]; t++) {
                const Term *term = &self->terms[t];
                Py_ssize_t start = end - term->length;
                if (start < 0) {
                    PyErr_Format(PyExc_ValueError,
                                 "key %d has a term longer than the key", (int)key);
                    goto failed;
                }
                if ((term->right && after_is_word)
                        || (term->left && start > 0
                            && is_word(PyUnicode_READ(kind, data, start - 1)))) {
                    continue;
                }
                if (term->accented != NULL) {
                    if (accept == Py_None) {
                        /* typed in ASCII: without its accents, a short term is too often
                           another language's everyday word */
                        if (term->length <= short_accented) {
                            continue;
                        }
                    } else {
                        int yes = accepted(accept, start, end, term->accented);
                        if (yes < 0) {
                            goto failed;
                        }
                        if (!yes) {
                            continue;
                        }
                    }
                }
                if (add_hit(hits, term->concept, start, end, limit) < 0) {
                    goto failed;
                }
            }
        }
    }
    self->searching--;
    return hits;

failed:
    self->searching--;
    Py_DECREF(hits);
    return NULL;
}

static PyObject *
automaton_nodes(Automaton *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(self->node_count);
}

static PyMethodDef automaton_methods[] = {
    {"find", (PyCFunction)automaton_find, METH_O,
     "find(text) -> list[tuple[int, object]]: every key in text, as (index of its last "
     "character, its value), by end position and, at one position, the longest first."},
    {"hits", (PyCFunction)(void (*)(void))automaton_hits, METH_FASTCALL,
     "hits(text, accept, short_accented, limit) -> dict[str, list[tuple[int, int]]]: the "
     "ranges of the terms found in text that stand as whole words where they must, by "
     "concept, at most limit each, in the order find() finds them. A term with an accented "
     "spelling is kept if accept(start, end, accented) is true or, when accept is None (the "
     "text was typed in ASCII), if it is longer than short_accented."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef automaton_getset[] = {
    {"nodes", (getter)automaton_nodes, NULL, "How many nodes the automaton has.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mmtkit.plugins.compliance._matching.Automaton",
    .tp_doc = "Automaton(keys, values): an Aho-Corasick automaton over the keys (non-empty "
              "str, each once), each with its value.",
    .tp_basicsize = sizeof(Automaton),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)automaton_init,
    .tp_dealloc = (destructor)automaton_dealloc,
    .tp_methods = automaton_methods,
    .tp_getset = automaton_getset,
};

/* Append a new reference to list, which takes it (NULL: the error that made it stands). */
static int
append_new(PyObject *list, PyObject *value)
{
    if (value == NULL) {
        return -1;
    }
    int failed = PyList_Append(list, value);
    Py_DECREF(value);
    return failed;
}

/* -- where sentences and clauses end ------------------------------------------------- */

/* analysis._SENTENCE_END and analysis._CLAUSE_END, whose finditer() the analysis needs for
 * rules scoped to a sentence or a clause: both start with a character class, which the regex
 * engine tests every character of the text against through its generic set code (more
 * instructions than the rest of the search). Here one pass decides, branch by branch in the
 * patterns' order:
 *   1. . ! ? (and ideographic, full-width) and the run of them after it, when a space or the
 *      end follows the run;
 *   2. ! ? new line ; (for clauses also , :) and the run of them after it;
 *   3. a dash (- en em) with a space that is not a new line before it, and the space after;
 *   4. a bracket (for clauses also an en or em dash, and the symbols and emoji ranges).
 * tests/compliance/test_matching.py holds it to the patterns on every short sequence of the
 * characters involved and on the blind sets. */

static inline int
is_stop(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F;
}

static inline int
is_run(Py_UCS4 c, int clauses)
{
    return c == '!' || c == '?' || c == '\n' || c == ';' || (clauses && (c == ',' || c == ':'));
}

static inline int
is_dash(Py_UCS4 c)
{
    return c == '-' || c == 0x2013 || c == 0x2014;
}

static inline int
is_alone(Py_UCS4 c, int clauses)
{
    if (c == '(' || c == ')' || c == '[' || c == ']') {
        return 1;
    }
    return clauses && (c == 0x2013 || c == 0x2014 || (c >= 0x2600 && c <= 0x27BF)
                       || (c >= 0x1F300 && c <= 0x1FAFF));
}

/* The end of the match starting at i, or -1 when none starts there. */
static Py_ssize_t
unit_end_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t i, int clauses)
{
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    Py_ssize_t j;
    if (is_stop(c)) {
        for (j = i + 1; j < length && is_stop(PyUnicode_READ(kind, data, j)); j++) {
        }
        if (j == length || Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j))) {
            return j;
        }
    }
    if (is_run(c, clauses)) {
        for (j = i + 1; j < length && is_run(PyUnicode_READ(kind, data, j), clauses); j++) {
        }
        return j;
    }
    if (is_dash(c) && i > 0 && i + 1 < length) {
        Py_UCS4 before = PyUnicode_READ(kind, data, i - 1);
        if (before != '\n' && Py_UNICODE_ISSPACE(before)
                && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i + 1))) {
            return i + 2;
        }
    }
    if (is_alone(c, clauses)) {
        return i + 1;
    }
    return -1;
}

/* Whether c can start a match: the patterns' leading class. The common characters (letters,
 * digits, spaces) are told apart first. */
static inline int
may_end_unit(Py_UCS4 c, int clauses)
{
    if (c < 128) {
        return c == '.' || c == '!' || c == '?' || c == '\n' || c == ';' || c == '-'
               || c == '(' || c == ')' || c == '[' || c == ']'
               || (clauses && (c == ',' || c == ':'));
    }
    return is_stop(c) || is_dash(c) || is_alone(c, clauses);
}

static PyObject *
matching_unit_ends(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "unit_ends() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *text = args[0];
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "unit_ends() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    int clauses = PyObject_IsTrue(args[1]);
    if (clauses < 0) {
        return NULL;
    }
    PyObject *ends = PyList_New(0);
    if (ends == NULL) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t i = 0;
    while (i < length) {
        if (!may_end_unit(PyUnicode_READ(kind, data, i), clauses)) {
            i++;
            continue;
        }
        Py_ssize_t end = unit_end_at(kind, data, length, i, clauses);
        if (end < 0) {
            i++;
            continue;
        }
        if (append_new(ends, PyLong_FromSsize_t(end)) < 0) {
            Py_DECREF(ends);
            return NULL;
        }
        i = end;
    }
    return ends;
}

/* -- digit groups ------------------------------------------------------------------------ */

/* entities._DIGITS, [0-9][0-9 ().\-]{6,22}[0-9], the candidates for a phone number: a
 * character class first again, on nearly every message (prices, order numbers). The
 * repetition is greedy, so a match ends at the last digit within reach that the characters
 * between allow. */

static inline int
is_ascii_digit(Py_UCS4 c)
{
    return c >= '0' && c <= '9';
}

static inline int
in_digit_group(Py_UCS4 c)
{
    return is_ascii_digit(c) || c == ' ' || c == '(' || c == ')' || c == '.' || c == '-';
}

static PyObject *
matching_digit_groups(PyObject *module, PyObject *text)
{
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "digit_groups() needs a str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    PyObject *groups = PyList_New(0);
    if (groups == NULL) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t i = 0;
    while (i < length) {
        if (!is_ascii_digit(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        /* run: how many characters a group allows follow, up to the 23 the pattern reads */
        Py_ssize_t run = 0;
        while (run < 23 && i + 1 + run < length
               && in_digit_group(PyUnicode_READ(kind, data, i + 1 + run))) {
            run++;
        }
        Py_ssize_t inner = run - 1 < 22 ? run - 1 : 22;
        while (inner >= 6 && !is_ascii_digit(PyUnicode_READ(kind, data, i + 1 + inner))) {
            inner--;
        }
        if (inner < 6) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 2 + inner;
        if (append_new(groups, Py_BuildValue("(nn)", i, end)) < 0) {
            Py_DECREF(groups);
            return NULL;
        }
        i = end;
    }
    return groups;
}

static PyMethodDef matching_functions[] = {
    {"unit_ends", (PyCFunction)(void (*)(void))matching_unit_ends, METH_FASTCALL,
     "unit_ends(text, clauses) -> list[int]: where the matches of analysis._CLAUSE_END "
     "(clauses true) or analysis._SENTENCE_END end in text, as finditer() finds them."},
    {"digit_groups", (PyCFunction)matching_digit_groups, METH_O,
     "digit_groups(text) -> list[tuple[int, int]]: the spans of entities._DIGITS in text, "
     "as finditer() finds them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef matching_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mmtkit.plugins.compliance._matching",
    .m_doc = "The lexicon's Aho-Corasick automaton in C (see analysis.Matcher).",
    .m_size = -1,
    .m_methods = matching_functions,
};

PyMODINIT_FUNC
PyInit__matching(void)
{
    PyObject *module;
    if (PyType_Ready(&AutomatonType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&matching_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&AutomatonType);
    if (PyModule_AddObject(module, "Automaton", (PyObject *)&AutomatonType) < 0) {
        Py_DECREF(&AutomatonType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
