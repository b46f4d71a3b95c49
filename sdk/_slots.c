/*
 * Filling the slots of a new instance in C: mmtkit._slots.
 *
 * mmtkit.trusted.assemble builds frozen attrs instances (normalised texts, spans, findings,
 * violations, decisions) from values already checked, for every message checked. In Python
 * that is object.__new__(cls), then object.__setattr__(made, name, value) per slot: each goes
 * through a method wrapper, the generic attribute machinery and then the slot's member
 * descriptor, about 200 instructions a slot and 4% of the compliance checks' instructions.
 *
 * fill() does exactly what those calls do, without the wrappers: the slot's member
 * descriptor is found through the type's attribute cache (_PyType_Lookup, as the generic
 * machinery finds it) and written with PyMember_SetOne, as the descriptor writes itself.
 * Anything unusual (a class with its own __new__, a name that is not a plain slot of the
 * class) takes the generic path, which is object.__new__ and object.__setattr__ themselves,
 * so every answer and every error is theirs. tests/core/test_trusted.py holds the two forms
 * to the same objects; trusted.py keeps the Python form for a build without a compiler.
 *
 * Nothing here runs Python code on the fast path; the generic path may (a descriptor's
 * __set__), and holds its own references while it does.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *empty_tuple; /* the arguments of object.__new__(cls) */

/* object.__new__(cls), as the Python form calls it. */
static PyObject *
new_instance(PyTypeObject *type)
{
    if (type->tp_new == PyBaseObject_Type.tp_new) {
        /* object.__new__ checks that cls is not abstract and takes no arguments; tp_new
           does both, and object.__new__(cls) is safe for a class that inherits it */
        return type->tp_new(type, empty_tuple, NULL);
    }
    return PyObject_CallMethod((PyObject *)&PyBaseObject_Type, "__new__", "O",
                               (PyObject *)type);
}

/* object.__setattr__(made, name, value), writing a plain slot directly. */
static int
set_slot(PyObject *made, PyObject *name, PyObject *value)
{
    if (PyUnicode_CheckExact(name)) {
        PyObject *descriptor = _PyType_Lookup(Py_TYPE(made), name); /* borrowed */
        if (descriptor != NULL && Py_IS_TYPE(descriptor, &PyMemberDescr_Type)
                && PyObject_TypeCheck(made, PyDescr_TYPE(descriptor))) {
            return PyMember_SetOne((char *)made,
                                   ((PyMemberDescrObject *)descriptor)->d_member, value);
        }
    }
    return PyObject_GenericSetAttr(made, name, value);
}

static PyObject *
slots_fill(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *names, *values, *made;
    PyTypeObject *type;
    Py_ssize_t count;
    (void)module;

    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "fill() takes 3 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyType_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "fill() needs a class, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        return NULL;
    }
    type = (PyTypeObject *)args[0];
    names = args[1];
    values = args[2];
    if (!PyTuple_Check(names) || !PyTuple_Check(values)) {
        PyErr_SetString(PyExc_TypeError, "fill() needs the names and the values as tuples");
        return NULL;
    }
    count = PyTuple_GET_SIZE(names);
    if (PyTuple_GET_SIZE(values) != count) {
        PyErr_Format(PyExc_ValueError, "%s: %zd names for %zd values", _PyType_Name(type),
                     count, PyTuple_GET_SIZE(values));
        return NULL;
    }
    made = new_instance(type);
    if (made == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (set_slot(made, PyTuple_GET_ITEM(names, i), PyTuple_GET_ITEM(values, i)) < 0) {
            Py_DECREF(made);
            return NULL;
        }
    }
    return made;
}

static PyMethodDef slots_methods[] = {
    {"fill", (PyCFunction)(void (*)(void))slots_fill, METH_FASTCALL,
     "fill(cls, names, values) -> object: object.__new__(cls), then "
     "object.__setattr__(made, name, value) for each name and value, in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef slots_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mmtkit._slots",
    .m_doc = "Filling the slots of a new instance in C (see mmtkit.trusted.assemble).",
    .m_size = -1,
    .m_methods = slots_methods,
};

PyMODINIT_FUNC
PyInit__slots(void)
{
    if (empty_tuple == NULL) {
        empty_tuple = PyTuple_New(0);
        if (empty_tuple == NULL) {
            return NULL;
        }
    }
    return PyModule_Create(&slots_module);
}
