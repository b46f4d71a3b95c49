/*
 * The lexicon rules' evaluation in C: mmtkit.plugins.compliance._rules.
 *
 * Why: after the automaton has found a message's terms, rules.RuleIndex picks the rules whose
 * concepts all occur and evaluates each (rules._evaluate): group the hits of each concept by
 * sentence or clause, drop the negated ones, find a unit that holds every concept and no
 * blocker, pick the hit of each concept nearest the anchor. In compiled Python that is a
 * dict of lists per concept and scope, a tuple per range read and a bound-method call per
 * group: about 25,000 instructions a message, for one or two rules evaluated. Here the
 * ranges are read once into C arrays and the same steps are loops over them.
 *
 * It decides exactly as rules._evaluate does, in the same order, and returns the same
 * findings (tests/compliance/test_rules_native.py holds the two to the same answers on every
 * corpus message and on generated hits). Only the parts that need the analysis call back into
 * Python: where sentences or clauses end (its sentence_ends and clause_ends, each computed
 * once per message), whether a hit is negated (its negated(), only when the message holds a
 * negation cue at all) and the making of a finding.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

enum { SCOPE_MESSAGE = 0, SCOPE_SENTENCE = 1, SCOPE_CLAUSE = 2, SCOPES = 3 };
static const char *const scope_names[SCOPES] = {"message", "sentence", "clause"};

/* One rule; its objects are owned (new references). */
typedef struct {
    PyObject *spec;      /* what a finding names */
    PyObject *category;  /* str: the findings are gathered under it */
    PyObject *all;       /* tuple of str, not empty: every concept that must occur */
    PyObject *others;    /* tuple of str: the concepts of all but the last, each once */
    PyObject *none;      /* tuple of str: a hit of one in the unit blocks the rule */
    PyObject *unless;    /* tuple of str: one in the message silences the rule */
    char *negatable;     /* per concept of all: its negated hits do not count */
    int scope;
    Py_ssize_t within;   /* the most characters the chosen hits may span; -1: any */
} Rule;

typedef struct {
    PyObject_HEAD
    Rule *rules;
    Py_ssize_t count;
    PyObject *by_trigger;  /* dict: a rule's last concept -> list of its indices, in order */
    PyObject *make;        /* make(spec, ranges) -> a finding */
    PyObject *negations;   /* tuple of str: without one of them in a message, nothing is negated */
} Rules;

/* One range of a concept, with the unit it lies in (0 until units are assigned). */
typedef struct {
    Py_ssize_t start, end, unit;
    PyObject *range;  /* the (start, end) tuple, a new reference */
} Hit;

typedef struct {
    Hit *items;
    Py_ssize_t count;
} HitList;

/* What one findings() call reads more than once. */
typedef struct {
    PyObject *hits;      /* dict: concept -> list of (start, end) */
    PyObject *analysis;
    int negation;        /* the message holds a negation cue: negated() must be asked */
    Py_ssize_t *ends[SCOPES];
    Py_ssize_t end_count[SCOPES];
} Call;

static PyObject *str_negated, *str_sentence_ends, *str_clause_ends;

#define BAD_HITS "hits must map each concept to a list of (start, end) tuples of int"
#define BAD_ENDS "the analysis's unit ends must be a list of int"

static void
hit_list_clear(HitList *list)
{
    for (Py_ssize_t i = 0; i < list->count; i++) {
        Py_DECREF(list->items[i].range);
    }
    PyMem_Free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* An offset of a range or a unit end; a TypeError with ``message`` if it is not an int. */
static int
read_position(PyObject *value, Py_ssize_t *out, const char *message)
{
    if (!PyLong_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, message);
        return -1;
    }
    *out = PyLong_AsSsize_t(value);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* Whether analysis.negated(range, concept) says the hit is negated (-1: an error). */
static int
is_negated(Call *call, PyObject *range, PyObject *concept)
{
    PyObject *args[3] = {call->analysis, range, concept};
    PyObject *answer = PyObject_VectorcallMethod(
        str_negated, args, 3, NULL);
    int yes;
    if (answer == NULL) {
        return -1;
    }
    yes = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    return yes;
}

/* The hits of concept, in match order, without the negated ones if skip_negated (and the
 * message holds a negation cue). The list read is held while negated() runs, and read by
 * index, so a callback that changes it cannot make this read freed memory. */
static int
read_hits(Call *call, PyObject *concept, int skip_negated, HitList *out)
{
    PyObject *found = PyDict_GetItemWithError(call->hits, concept);
    Py_ssize_t size;
    out->items = NULL;
    out->count = 0;
    if (found == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyList_Check(found)) {
        PyErr_SetString(PyExc_TypeError, BAD_HITS);
        return -1;
    }
    Py_INCREF(found);
    size = PyList_GET_SIZE(found);
    out->items = PyMem_Malloc(sizeof(Hit) * (size_t)(size + 1));
    if (out->items == NULL) {
        Py_DECREF(found);
        PyErr_NoMemory();
        return -1;
    }
    /* At most the ranges the list held at first (a callback cannot make it outgrow items). */
    for (Py_ssize_t i = 0; i < size && i < PyList_GET_SIZE(found); i++) {
        PyObject *range = PyList_GET_ITEM(found, i);
        Hit hit;
        if (!PyTuple_CheckExact(range) || PyTuple_GET_SIZE(range) != 2) {
            PyErr_SetString(PyExc_TypeError, BAD_HITS);
            goto failed;
        }
        if (read_position(PyTuple_GET_ITEM(range, 0), &hit.start, BAD_HITS) < 0
                || read_position(PyTuple_GET_ITEM(range, 1), &hit.end, BAD_HITS) < 0) {
            goto failed;
        }
        Py_INCREF(range);
        if (skip_negated && call->negation) {
            int negated = is_negated(call, range, concept);
            if (negated != 0) {
                Py_DECREF(range);
                if (negated < 0) {
                    goto failed;
                }
                continue;
            }
        }
        hit.unit = 0;
        hit.range = range;
        out->items[out->count++] = hit;
    }
    Py_DECREF(found);
    return 0;
failed:
    Py_DECREF(found);
    hit_list_clear(out);
    return -1;
}

/* Where the units of scope end (analysis.sentence_ends or clause_ends), read once a call. */
static int
unit_ends(Call *call, int scope)
{
    PyObject *ends;
    Py_ssize_t count;
    if (call->ends[scope] != NULL) {
        return 0;
    }
    ends = PyObject_GetAttr(call->analysis, scope == SCOPE_SENTENCE ? str_sentence_ends
                                                                    : str_clause_ends);
    if (ends == NULL) {
        return -1;
    }
    if (!PyList_Check(ends)) {
        PyErr_SetString(PyExc_TypeError, BAD_ENDS);
        Py_DECREF(ends);
        return -1;
    }
    count = PyList_GET_SIZE(ends);
    call->ends[scope] = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(count + 1));
    if (call->ends[scope] == NULL) {
        Py_DECREF(ends);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (read_position(PyList_GET_ITEM(ends, i), &call->ends[scope][i], BAD_ENDS) < 0) {
            Py_DECREF(ends);
            return -1;
        }
    }
    call->end_count[scope] = count;
    Py_DECREF(ends);
    return 0;
}

/* bisect_right(ends, position): the index of the unit holding position. */
static Py_ssize_t
unit_of(const Call *call, int scope, Py_ssize_t position)
{
    const Py_ssize_t *ends = call->ends[scope];
    Py_ssize_t low = 0, high = call->end_count[scope];
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (position < ends[middle]) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    return low;
}

static void
assign_units(const Call *call, int scope, HitList *list)
{
    for (Py_ssize_t i = 0; i < list->count; i++) {
        list->items[i].unit = scope == SCOPE_MESSAGE ? 0 : unit_of(call, scope, list->items[i].start);
    }
}

static int
compare_sizes(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static int
holds_unit(const HitList *list, Py_ssize_t unit)
{
    for (Py_ssize_t i = 0; i < list->count; i++) {
        if (list->items[i].unit == unit) {
            return 1;
        }
    }
    return 0;
}

/* Whether any concept of names is a key of hits (-1: an error). */
static int
any_occurs(PyObject *hits, PyObject *names)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        int found = PyDict_Contains(hits, PyTuple_GET_ITEM(names, i));
        if (found != 0) {
            return found;
        }
    }
    return 0;
}

/* Whether every concept of names is a key of hits (-1: an error). */
static int
all_occur(PyObject *hits, PyObject *names)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        int found = PyDict_Contains(hits, PyTuple_GET_ITEM(names, i));
        if (found <= 0) {
            return found;
        }
    }
    return 1;
}

/* The finding make(spec, ranges), ranges being the chosen hits' tuples. */
static PyObject *
make_finding(Rules *self, const Rule *rule, Hit *const *chosen, Py_ssize_t count)
{
    PyObject *ranges = PyTuple_New(count), *args[2], *finding;
    if (ranges == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_INCREF(chosen[i]->range);
        PyTuple_SET_ITEM(ranges, i, chosen[i]->range);
    }
    args[0] = rule->spec;
    args[1] = ranges;
    finding = PyObject_Vectorcall(self->make, args, 2, NULL);
    Py_DECREF(ranges);
    return finding;
}

/* rules._evaluate: the rule's finding in *finding (NULL: it does not fire); -1 on an error. */
static int
evaluate(Rules *self, const Rule *rule, Call *call, PyObject **finding)
{
    Py_ssize_t n_all = PyTuple_GET_SIZE(rule->all), n_none = PyTuple_GET_SIZE(rule->none);
    Py_ssize_t blocker_count = 0, unit_count = 0;
    HitList *lists = NULL, *blocked = NULL;
    PyObject **blockers = NULL;
    Hit **chosen = NULL;
    Py_ssize_t *units = NULL;
    int status = -1, silenced;
    *finding = NULL;

    silenced = any_occurs(call->hits, rule->unless);
    if (silenced != 0) {
        return silenced < 0 ? -1 : 0;
    }
    lists = PyMem_Calloc((size_t)n_all, sizeof(HitList));
    blockers = PyMem_Calloc((size_t)n_none + 1, sizeof(PyObject *));
    blocked = PyMem_Calloc((size_t)n_none + 1, sizeof(HitList));
    chosen = PyMem_Calloc((size_t)n_all, sizeof(Hit *));
    if (lists == NULL || blockers == NULL || blocked == NULL || chosen == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* Only the blockers that occur at all can block. */
    for (Py_ssize_t i = 0; i < n_none; i++) {
        PyObject *concept = PyTuple_GET_ITEM(rule->none, i);
        int found = PyDict_Contains(call->hits, concept);
        if (found < 0) {
            goto done;
        }
        if (found) {
            blockers[blocker_count++] = concept;
        }
    }
    for (Py_ssize_t i = 0; i < n_all; i++) {
        if (read_hits(call, PyTuple_GET_ITEM(rule->all, i), rule->negatable[i], &lists[i]) < 0) {
            goto done;
        }
        if (lists[i].count == 0) {
            status = 0;
            goto done;
        }
    }
    if (n_all == 1 && blocker_count == 0 && rule->within < 0) {
        /* One concept and nothing that blocks it: when the kept hits start in order, the
         * first of them lies in the earliest unit, and no unit needs to be cut. */
        int in_order = 1;
        for (Py_ssize_t i = 1; in_order && i < lists[0].count; i++) {
            in_order = lists[0].items[i - 1].start <= lists[0].items[i].start;
        }
        if (rule->scope == SCOPE_MESSAGE || in_order) {
            chosen[0] = &lists[0].items[0];
            *finding = make_finding(self, rule, chosen, 1);
            status = *finding == NULL ? -1 : 0;
            goto done;
        }
    }
    if (rule->scope != SCOPE_MESSAGE && unit_ends(call, rule->scope) < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_all; i++) {
        assign_units(call, rule->scope, &lists[i]);
    }
    /* A blocker's hit in a unit blocks the rule there; a negated one ("not in the app") does
     * not. */
    for (Py_ssize_t b = 0; b < blocker_count; b++) {
        if (read_hits(call, blockers[b], 1, &blocked[b]) < 0) {
            goto done;
        }
        assign_units(call, rule->scope, &blocked[b]);
    }
    /* The units of the first concept, ascending and each once. */
    units = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)lists[0].count);
    if (units == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < lists[0].count; i++) {
        units[i] = lists[0].items[i].unit;
    }
    qsort(units, (size_t)lists[0].count, sizeof(Py_ssize_t), compare_sizes);
    for (Py_ssize_t i = 0; i < lists[0].count; i++) {
        if (unit_count == 0 || units[unit_count - 1] != units[i]) {
            units[unit_count++] = units[i];
        }
    }
    for (Py_ssize_t u = 0; u < unit_count; u++) {
        Py_ssize_t unit = units[u];
        int shared = 1, blocks = 0;
        for (Py_ssize_t i = 1; shared && i < n_all; i++) {
            shared = holds_unit(&lists[i], unit);
        }
        if (!shared) {
            continue;
        }
        for (Py_ssize_t b = 0; !blocks && b < blocker_count; b++) {
            blocks = holds_unit(&blocked[b], unit);
        }
        if (blocks) {
            continue;
        }
        for (Py_ssize_t a = 0; a < lists[0].count; a++) {
            Hit *anchor = &lists[0].items[a];
            int complete = 1;
            if (anchor->unit != unit) {
                continue;
            }
            chosen[0] = anchor;
            for (Py_ssize_t i = 1; complete && i < n_all; i++) {
                /* The hit nearest the anchor (the first of equals); one nested in the anchor
                 * ("sale" inside "flash sale") is the same words, not a second piece of
                 * evidence, unless it is the anchor's own range. */
                Hit *best = NULL;
                Py_ssize_t distance = 0;
                for (Py_ssize_t h = 0; h < lists[i].count; h++) {
                    Hit *hit = &lists[i].items[h];
                    Py_ssize_t gap;
                    if (hit->unit != unit) {
                        continue;
                    }
                    if (anchor->start <= hit->start && hit->end <= anchor->end
                            && !(hit->start == anchor->start && hit->end == anchor->end)) {
                        continue;
                    }
                    gap = hit->start > anchor->start ? hit->start - anchor->start
                                                     : anchor->start - hit->start;
                    if (best == NULL || gap < distance) {
                        best = hit;
                        distance = gap;
                    }
                }
                chosen[i] = best;
                complete = best != NULL;
            }
            if (!complete) {
                continue;
            }
            if (rule->within >= 0) {
                Py_ssize_t low = chosen[0]->start, high = chosen[0]->end;
                for (Py_ssize_t i = 1; i < n_all; i++) {
                    low = chosen[i]->start < low ? chosen[i]->start : low;
                    high = chosen[i]->end > high ? chosen[i]->end : high;
                }
                if (high - low > rule->within) {
                    continue;
                }
            }
            *finding = make_finding(self, rule, chosen, n_all);
            status = *finding == NULL ? -1 : 0;
            goto done;
        }
    }
    status = 0;
done:
    if (lists != NULL) {
        for (Py_ssize_t i = 0; i < n_all; i++) {
            hit_list_clear(&lists[i]);
        }
    }
    if (blocked != NULL) {
        for (Py_ssize_t b = 0; b < blocker_count; b++) {
            hit_list_clear(&blocked[b]);
        }
    }
    PyMem_Free(lists);
    PyMem_Free(blocked);
    PyMem_Free(blockers);
    PyMem_Free(chosen);
    PyMem_Free(units);
    return status;
}

static PyObject *
rules_findings(Rules *self, PyObject *const *args, Py_ssize_t nargs)
{
    Call call = {0};
    Py_ssize_t position = 0, candidate_count = 0, capacity = 16;
    Py_ssize_t *candidates = NULL;
    PyObject *concept, *ranges, *result = NULL;
    int negation;

    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "findings(hits, analysis) takes two arguments");
        return NULL;
    }
    if (!PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "hits must be a dict of concept to ranges");
        return NULL;
    }
    if (self->rules == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the Rules object was not initialised");
        return NULL;
    }
    call.hits = args[0];
    call.analysis = args[1];
    Py_INCREF(call.hits);
    negation = any_occurs(call.hits, self->negations);
    if (negation < 0) {
        goto done;
    }
    call.negation = negation;
    candidates = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)capacity);
    if (candidates == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* The rules filed under a concept the message holds, whose other concepts it holds too. */
    while (PyDict_Next(call.hits, &position, &concept, &ranges)) {
        PyObject *filed = PyDict_GetItemWithError(self->by_trigger, concept);
        if (filed == NULL) {
            if (PyErr_Occurred()) {
                goto done;
            }
            continue;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(filed); i++) {
            Py_ssize_t index = PyLong_AsSsize_t(PyList_GET_ITEM(filed, i));
            int complete;
            if (index == -1 && PyErr_Occurred()) {
                goto done;
            }
            complete = all_occur(call.hits, self->rules[index].others);
            if (complete < 0) {
                goto done;
            }
            if (!complete) {
                continue;
            }
            if (candidate_count == capacity) {
                Py_ssize_t *grown;
                capacity *= 2;
                grown = PyMem_Realloc(candidates, sizeof(Py_ssize_t) * (size_t)capacity);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                candidates = grown;
            }
            candidates[candidate_count++] = index;
        }
    }
    /* In lexicon order, as the categories' findings are listed. */
    qsort(candidates, (size_t)candidate_count, sizeof(Py_ssize_t), compare_sizes);
    result = PyDict_New();
    if (result == NULL) {
        goto done;
    }
    for (Py_ssize_t c = 0; c < candidate_count; c++) {
        const Rule *rule = &self->rules[candidates[c]];
        PyObject *finding, *listed;
        if (evaluate(self, rule, &call, &finding) < 0) {
            Py_CLEAR(result);
            goto done;
        }
        if (finding == NULL) {
            continue;
        }
        listed = PyDict_GetItemWithError(result, rule->category);
        if (listed != NULL) {
            int failed = PyList_Append(listed, finding);
            Py_DECREF(finding);
            if (failed < 0) {
                Py_CLEAR(result);
                goto done;
            }
            continue;
        }
        if (PyErr_Occurred() || (listed = PyList_New(1)) == NULL) {
            Py_DECREF(finding);
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(listed, 0, finding);
        if (PyDict_SetItem(result, rule->category, listed) < 0) {
            Py_DECREF(listed);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(listed);
    }
done:
    for (int s = 0; s < SCOPES; s++) {
        PyMem_Free(call.ends[s]);
    }
    PyMem_Free(candidates);
    Py_DECREF(call.hits);
    return result;
}

static void
rules_release(Rules *self)
{
    for (Py_ssize_t i = 0; i < self->count; i++) {
        Rule *rule = &self->rules[i];
        Py_XDECREF(rule->spec);
        Py_XDECREF(rule->category);
        Py_XDECREF(rule->all);
        Py_XDECREF(rule->others);
        Py_XDECREF(rule->none);
        Py_XDECREF(rule->unless);
        PyMem_Free(rule->negatable);
    }
    PyMem_Free(self->rules);
    self->rules = NULL;
    self->count = 0;
    Py_CLEAR(self->by_trigger);
    Py_CLEAR(self->make);
    Py_CLEAR(self->negations);
}

static void
rules_dealloc(Rules *self)
{
    rules_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A tuple of str, or a TypeError naming the field. */
static PyObject *
concepts(PyObject *value, const char *field, int allow_empty)
{
    PyObject *tuple = PySequence_Tuple(value);
    if (tuple == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(tuple, i))) {
            PyErr_Format(PyExc_TypeError, "a rule's %s must hold concept names (str)", field);
            Py_DECREF(tuple);
            return NULL;
        }
    }
    if (!allow_empty && PyTuple_GET_SIZE(tuple) == 0) {
        PyErr_Format(PyExc_ValueError, "a rule's %s must name at least one concept", field);
        Py_DECREF(tuple);
        return NULL;
    }
    return tuple;
}

static int
read_rule(PyObject *row, Rule *rule)
{
    PyObject *fields = PySequence_Tuple(row), *negatable = NULL, *others = NULL, *scope, *within;
    Py_ssize_t n_all;
    int status = -1;
    if (fields == NULL) {
        return -1;
    }
    if (PyTuple_GET_SIZE(fields) != 8) {
        PyErr_SetString(PyExc_TypeError, "each rule must be (spec, category, all, scope, "
                        "negatable, none, unless, within)");
        goto done;
    }
    rule->spec = Py_NewRef(PyTuple_GET_ITEM(fields, 0));
    rule->category = PyTuple_GET_ITEM(fields, 1);
    if (!PyUnicode_Check(rule->category)) {
        rule->category = NULL;
        PyErr_SetString(PyExc_TypeError, "a rule's category must be a str");
        goto done;
    }
    Py_INCREF(rule->category);
    if ((rule->all = concepts(PyTuple_GET_ITEM(fields, 2), "all", 0)) == NULL
            || (negatable = concepts(PyTuple_GET_ITEM(fields, 4), "negatable", 1)) == NULL
            || (rule->none = concepts(PyTuple_GET_ITEM(fields, 5), "none", 1)) == NULL
            || (rule->unless = concepts(PyTuple_GET_ITEM(fields, 6), "unless", 1)) == NULL) {
        goto done;
    }
    scope = PyTuple_GET_ITEM(fields, 3);
    rule->scope = -1;
    for (int named = 0; PyUnicode_Check(scope) && named < SCOPES; named++) {
        if (PyUnicode_CompareWithASCIIString(scope, scope_names[named]) == 0) {
            rule->scope = named;
        }
    }
    if (rule->scope < 0) {
        PyErr_SetString(PyExc_ValueError, "a rule's scope must be 'message', 'sentence' or "
                        "'clause'");
        goto done;
    }
    within = PyTuple_GET_ITEM(fields, 7);
    if (within == Py_None) {
        rule->within = -1;
    } else if (PyLong_Check(within)) {
        rule->within = PyLong_AsSsize_t(within);
        if (rule->within == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (rule->within < 0) {
            PyErr_SetString(PyExc_ValueError, "a rule's within must be None or an int >= 0");
            goto done;
        }
    } else {
        PyErr_SetString(PyExc_TypeError, "a rule's within must be None or an int >= 0");
        goto done;
    }
    n_all = PyTuple_GET_SIZE(rule->all);
    rule->negatable = PyMem_Calloc((size_t)n_all, 1);
    others = PyList_New(0);
    if (rule->negatable == NULL || others == NULL) {
        if (rule->negatable == NULL) {
            PyErr_NoMemory();
        }
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_all; i++) {
        PyObject *concept = PyTuple_GET_ITEM(rule->all, i);
        int listed = PySequence_Contains(negatable, concept);
        if (listed < 0) {
            goto done;
        }
        rule->negatable[i] = (char)listed;
        /* The other concepts a rule needs beside its trigger (the last), each once. */
        int trigger = PyObject_RichCompareBool(concept, PyTuple_GET_ITEM(rule->all, n_all - 1),
                                               Py_EQ);
        if (trigger < 0) {
            goto done;
        }
        if (!trigger) {
            int seen = PySequence_Contains(others, concept);
            if (seen < 0 || (!seen && PyList_Append(others, concept) < 0)) {
                goto done;
            }
        }
    }
    rule->others = PyList_AsTuple(others);
    status = rule->others == NULL ? -1 : 0;
done:
    Py_DECREF(fields);
    Py_XDECREF(negatable);
    Py_XDECREF(others);
    return status;
}

static int
rules_init(Rules *self, PyObject *args, PyObject *kwds)
{
    PyObject *rows, *make, *negations, *sequence;
    static char *keywords[] = {"rules", "make", "negations", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:Rules", keywords, &rows, &make,
                                     &negations)) {
        return -1;
    }
    if (!PyCallable_Check(make)) {
        PyErr_SetString(PyExc_TypeError, "make must be callable: make(spec, ranges)");
        return -1;
    }
    rules_release(self);
    sequence = PySequence_Fast(rows, "rules must be a sequence of rule tuples");
    if (sequence == NULL) {
        return -1;
    }
    self->make = Py_NewRef(make);
    self->negations = concepts(negations, "negations", 1);
    self->by_trigger = PyDict_New();
    self->rules = PyMem_Calloc((size_t)PySequence_Fast_GET_SIZE(sequence) + 1, sizeof(Rule));
    if (self->negations == NULL || self->by_trigger == NULL || self->rules == NULL) {
        if (self->rules == NULL && !PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        goto failed;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(sequence); i++) {
        Rule *rule = &self->rules[i];
        PyObject *trigger, *filed, *index;
        int failed;
        self->count = i + 1;
        if (read_rule(PySequence_Fast_GET_ITEM(sequence, i), rule) < 0) {
            goto failed;
        }
        /* Each rule is filed under its last concept, the specific one ("credential" in
         * ["request", "credential"]). */
        trigger = PyTuple_GET_ITEM(rule->all, PyTuple_GET_SIZE(rule->all) - 1);
        filed = PyDict_GetItemWithError(self->by_trigger, trigger);
        if (filed == NULL && PyErr_Occurred()) {
            goto failed;
        }
        if (filed == NULL) {
            filed = PyList_New(0);
            failed = filed == NULL || PyDict_SetItem(self->by_trigger, trigger, filed) < 0;
            Py_XDECREF(filed);  /* the dict holds it */
            if (failed) {
                goto failed;
            }
        }
        index = PyLong_FromSsize_t(i);
        failed = index == NULL || PyList_Append(filed, index) < 0;
        Py_XDECREF(index);
        if (failed) {
            goto failed;
        }
    }
    Py_DECREF(sequence);
    return 0;
failed:
    Py_DECREF(sequence);
    rules_release(self);
    return -1;
}

static PyObject *
rules_len(Rules *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->count);
}

static PyMethodDef rules_methods[] = {
    {"findings", (PyCFunction)(void (*)(void))rules_findings, METH_FASTCALL,
     "findings(hits, analysis) -> dict[str, list]: the findings of the rules that fire on a "
     "message, by category in rule order, as rules.RuleIndex evaluates them in Python."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef rules_getset[] = {
    {"count", (getter)rules_len, NULL, "How many rules the table holds.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject RulesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mmtkit.plugins.compliance._rules.Rules",
    .tp_doc = "Rules(rules, make, negations): lexicon rules, each (spec, category, all, scope, "
              "negatable, none, unless, within), evaluated in C; make(spec, ranges) makes a "
              "finding; negations are the concepts without which no hit is negated.",
    .tp_basicsize = sizeof(Rules),
    .tp_itemsize = 0,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)rules_init,
    .tp_dealloc = (destructor)rules_dealloc,
    .tp_methods = rules_methods,
    .tp_getset = rules_getset,
};

static struct PyModuleDef rules_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mmtkit.plugins.compliance._rules",
    .m_doc = "The lexicon rules' evaluation in C (see rules.RuleIndex).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__rules(void)
{
    PyObject *module;
    str_negated = PyUnicode_InternFromString("negated");
    str_sentence_ends = PyUnicode_InternFromString("sentence_ends");
    str_clause_ends = PyUnicode_InternFromString("clause_ends");
    if (str_negated == NULL || str_sentence_ends == NULL || str_clause_ends == NULL) {
        return NULL;
    }
    if (PyType_Ready(&RulesType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&rules_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&RulesType);
    if (PyModule_AddObject(module, "Rules", (PyObject *)&RulesType) < 0) {
        Py_DECREF(&RulesType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
