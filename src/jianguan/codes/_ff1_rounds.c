/* The arithmetic of one FF1 round over a slice of codes, in one pass (see codec._rounds_compiled).
 *
 * FF1 on 18 digits, as codec.py builds it: each code is two halves below 10^9, and a round
 * hashes one half into an AES block, takes y = the first 8 bytes of the AES output (big-endian)
 * and adds y mod 10^9 to the other half (subtracts, decrypting). Python makes the AES call, over
 * the whole slice at once; this function does everything between two AES calls:
 *
 *   encrypt: c = (A + y mod 10^9) mod 10^9;  A <- B;  B <- c
 *   decrypt: c = (B - y mod 10^9) mod 10^9;  B <- A;  A <- c
 *
 * and writes c, the half the next round hashes, into the second word of each block, big-endian,
 * XORed with that round's constant word. With numpy this took eight passes over the slice; here
 * it is one, and the compiler turns the division by the constant into a multiplication.
 *
 * start(...), described where it is defined, splits a slice of values into halves and writes the
 * first round's blocks.
 *
 * round(blocks, output, a, b, next_word, decrypt[, joined]) -> None
 *   blocks    writable buffer of 16 * n bytes: the AES input of the next round
 *   output    buffer of at least 16 * n bytes: the AES output of this round
 *   a, b      writable buffers of n uint64 (native order): the halves, updated in place
 *   next_word the next round's constant second word
 *   decrypt   true to decrypt
 *   joined    for the last round, a writable buffer of n uint64: it receives A * 10^9 + B,
 *             and the halves and blocks are left as they were
 *
 * Nothing is allocated and no Python object is touched inside the loop, which runs without the
 * interpreter lock.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define HALF 1000000000ULL

static inline uint64_t load_be64(const unsigned char *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
           ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) | ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

static inline void store_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

/* The loop of one round; called with constant flags, so that each use is compiled without tests. */
static inline void round_loop(Py_ssize_t n, unsigned char *block, const unsigned char *out, uint64_t *left,
                              uint64_t *right, uint64_t next_word, uint64_t *joined, const int decrypt,
                              const int last)
{
    for (Py_ssize_t j = 0; j < n; j++) {
        uint64_t r = load_be64(out + 16 * j) % HALF, c;
        if (decrypt) {
            c = right[j] + HALF - r;
            if (c >= HALF)
                c -= HALF;
            if (last) {
                joined[j] = c * HALF + left[j];
                continue;
            }
            right[j] = left[j];
            left[j] = c;
        } else {
            c = left[j] + r;
            if (c >= HALF)
                c -= HALF;
            if (last) {
                joined[j] = right[j] * HALF + c;
                continue;
            }
            left[j] = right[j];
            right[j] = c;
        }
        store_be64(block + 16 * j + 8, next_word ^ c);
    }
}

static PyObject *ff1_round(PyObject *self, PyObject *args)
{
    Py_buffer blocks, output, a, b, out_joined = {0};
    unsigned long long next_word;
    int decrypt;
    PyObject *joined_object = Py_None;
    (void)self;
    if (!PyArg_ParseTuple(args, "w*y*w*w*Kp|O", &blocks, &output, &a, &b, &next_word, &decrypt, &joined_object))
        return NULL;
    PyObject *result = NULL;
    int last = joined_object != Py_None;
    if (last && PyObject_GetBuffer(joined_object, &out_joined, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0)
        goto done;
    Py_ssize_t n = a.len / (Py_ssize_t)sizeof(uint64_t);
    if (a.len % (Py_ssize_t)sizeof(uint64_t) || b.len != a.len || blocks.len < 16 * n || output.len < 16 * n ||
        (last && out_joined.len != a.len)) {
        PyErr_SetString(PyExc_ValueError, "blocks and output need 16 bytes, a, b and joined 8 bytes, per code");
        goto done;
    }
    unsigned char *block = blocks.buf;
    const unsigned char *out = output.buf;
    uint64_t *left = a.buf, *right = b.buf, *joined = out_joined.buf, word = next_word;
    Py_BEGIN_ALLOW_THREADS
    if (decrypt && last)
        round_loop(n, block, out, left, right, word, joined, 1, 1);
    else if (decrypt)
        round_loop(n, block, out, left, right, word, joined, 1, 0);
    else if (last)
        round_loop(n, block, out, left, right, word, joined, 0, 1);
    else
        round_loop(n, block, out, left, right, word, joined, 0, 0);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&blocks);
    PyBuffer_Release(&output);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    if (last && out_joined.obj != NULL)
        PyBuffer_Release(&out_joined);
    return result;
}

/* start(values, a, b, blocks, first_word, word, decrypt) -> None
 *   Splits n values (uint64, each below 10^18, else ValueError) into their halves a and b and
 *   writes the first round's blocks: the 8 bytes first_word, then word XOR the half hashed
 *   first (b encrypting, a decrypting), big-endian. */
static PyObject *ff1_start(PyObject *self, PyObject *args)
{
    Py_buffer values, a, b, blocks, first;
    unsigned long long word;
    int decrypt;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*w*w*y*Kp", &values, &a, &b, &blocks, &first, &word, &decrypt))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = values.len / (Py_ssize_t)sizeof(uint64_t), bad = -1;
    if (values.len % (Py_ssize_t)sizeof(uint64_t) || a.len < values.len || b.len < values.len ||
        blocks.len < 16 * n || first.len != 8) {
        PyErr_SetString(PyExc_ValueError, "a, b need 8 bytes and blocks 16 bytes per value; first_word is 8 bytes");
        goto done;
    }
    const uint64_t *v = values.buf;
    uint64_t *left = a.buf, *right = b.buf;
    unsigned char *block = blocks.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t j = 0; j < n; j++) {
        if (v[j] >= HALF * HALF) {
            bad = j;
            break;
        }
        uint64_t high = v[j] / HALF, low = v[j] - high * HALF;
        left[j] = high;
        right[j] = low;
        memcpy(block + 16 * j, first.buf, 8);
        store_be64(block + 16 * j + 8, (uint64_t)word ^ (decrypt ? high : low));
    }
    Py_END_ALLOW_THREADS
    if (bad >= 0) {
        PyErr_SetString(PyExc_ValueError, "a serial or body is in [0, 10^18)");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&blocks);
    PyBuffer_Release(&first);
    return result;
}

static PyMethodDef methods[] = {
    {"start", ff1_start, METH_VARARGS, "Split values into halves and write the first round's blocks."},
    {"round", ff1_round, METH_VARARGS, "One FF1 round's arithmetic over a slice, after its AES call."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ff1_rounds", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ff1_rounds(void)
{
    return PyModule_Create(&module);
}
