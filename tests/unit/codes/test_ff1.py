"""FF1 against NIST's published samples, and the fast paths against the general one."""

import json
import shutil
import sysconfig
from pathlib import Path

import fastfpe.ff1
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jianguan.codes import codec, ff1
from jianguan.codes.codec import (
    SERIAL_SPACE,
    Key,
    decode_bodies,
    encode_serial,
    encode_serials,
    ff1_decrypt,
    ff1_encrypt,
)
from tests.unit.codes.paths import PATHS, bulk_path

SAMPLES = json.loads((Path(__file__).parent / "ff1_nist_samples.json").read_text())["samples"]
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
serials = st.integers(min_value=0, max_value=SERIAL_SPACE - 1)
generations = st.integers(min_value=1, max_value=9)
secrets = st.binary(min_size=32, max_size=32)


def test_all_nine_nist_samples_are_present():
    assert sorted(s["sample"] for s in SAMPLES) == list(range(1, 10))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"sample-{s['sample']}-radix-{s['radix']}")
def test_nist_sample(sample):
    key, tweak, radix = bytes.fromhex(sample["key_hex"]), bytes.fromhex(sample["tweak_hex"]), sample["radix"]
    plain = [ALPHABET.index(ch) for ch in sample["plaintext"]]
    cipher = ff1_encrypt(key, tweak, radix, plain)
    assert "".join(ALPHABET[x] for x in cipher) == sample["ciphertext"]
    assert ff1_decrypt(key, tweak, radix, cipher) == plain


def test_ff1_refuses_a_domain_below_a_million():
    with pytest.raises(ValueError):
        ff1_encrypt(bytes(16), b"", 10, [1, 2, 3, 4, 5])


def _general(key: Key, n: int) -> str:
    """The code body by the general algorithm, straight from the standard."""
    return "".join(map(str, ff1_encrypt(key.secret, key.tweak, 10, [int(d) for d in f"{n:018d}"])))


@settings(max_examples=60)
@given(secret=secrets, generation=generations, n=serials)
def test_one_code_path_matches_the_general_algorithm_and_fastfpe(secret, generation, n):
    key = Key(generation, secret)
    code = encode_serial(key, n)
    assert code[0] == str(generation)
    assert code[1:19] == _general(key, n)
    oracle = fastfpe.ff1.encrypt(secret.hex(), key.tweak.hex(), "0123456789", f"{n:018d}")
    assert code[1:19] == oracle


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=30)
@given(secret=secrets, generation=generations, values=st.lists(serials, max_size=40))
def test_bulk_path_matches_one_at_a_time(path, secret, generation, values):
    key = Key(generation, secret)
    with bulk_path(path):
        bodies = encode_serials(key, np.array(values, dtype=np.uint64))
        assert [f"{x:018d}" for x in bodies.tolist()] == [encode_serial(key, n)[1:19] for n in values]
        assert decode_bodies(key, bodies).tolist() == values


@pytest.mark.parametrize("path", PATHS)
def test_bulk_path_across_slices_and_edges(path):
    """More items than one slice, with the edges of the serial space, against one at a time."""
    key = Key(5, bytes(range(32)))
    values = np.concatenate(
        [np.arange(40_000, dtype=np.uint64), np.array([SERIAL_SPACE - 1, 10**9 - 1, 10**9], dtype=np.uint64)]
    )
    with bulk_path(path):
        bodies = encode_serials(key, values)
        for i in [0, 1, 16383, 16384, 16385, 39_999, 40_000, 40_001, 40_002]:
            assert f"{int(bodies[i]):018d}" == encode_serial(key, int(values[i]))[1:19]
        assert (decode_bodies(key, bodies) == values).all()
    assert len(set(bodies.tolist())) == len(values)  # a permutation


@settings(max_examples=20)
@given(secret=secrets, generation=generations, values=st.lists(serials, max_size=60))
def test_the_two_bulk_paths_agree(secret, generation, values):
    key, array = Key(generation, secret), np.array(values, dtype=np.uint64)
    if codec.bulk_path() != "compiled":
        pytest.skip("the compiled round arithmetic is not built here")
    with bulk_path("numpy"):
        expected = encode_serials(key, array)
    assert (encode_serials(key, array) == expected).all()
    assert (decode_bodies(key, expected) == array).all()


@pytest.mark.parametrize("path", PATHS)
def test_empty_arrays(path):
    key = Key(1, bytes(32))
    with bulk_path(path):
        assert encode_serials(key, np.array([], dtype=np.uint64)).size == 0
        assert decode_bodies(key, np.array([], dtype=np.uint64)).size == 0


@pytest.mark.parametrize("path", PATHS)
def test_values_outside_the_space_are_refused(path):
    key = Key(1, bytes(32))
    with pytest.raises(ValueError):
        encode_serial(key, SERIAL_SPACE)
    with bulk_path(path):
        for bad in ([SERIAL_SPACE], [1, 2, 2**64 - 1]):
            with pytest.raises(ValueError, match="10\\^18"):
                encode_serials(key, np.array(bad, dtype=np.uint64))
            with pytest.raises(ValueError, match="10\\^18"):
                decode_bodies(key, np.array(bad, dtype=np.uint64))
        with pytest.raises(ValueError, match="one-dimensional"):
            encode_serials(key, np.zeros((2, 2), dtype=np.uint64))


def test_the_compiled_round_arithmetic_is_built_where_a_compiler_is():
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the numpy passes serve")
    assert codec.bulk_path() == "compiled"


def test_the_compiled_round_refuses_buffers_of_the_wrong_size():
    if ff1._KERNEL is None:
        pytest.skip("the compiled round arithmetic is not built here")
    halves = np.zeros(4, dtype=np.uint64)
    with pytest.raises(ValueError, match="16 bytes"):
        ff1._KERNEL.round(np.zeros(16, dtype=np.uint8), np.zeros(64, dtype=np.uint8), halves, halves.copy(), 0, False)
    with pytest.raises(ValueError, match="16 bytes"):
        ff1._KERNEL.start(halves, halves.copy(), halves.copy(), np.zeros(16, dtype=np.uint8), bytes(8), 0, False)


def test_the_generation_is_the_tweak():
    secret = bytes(range(32))
    assert Key(3, secret).tweak == b"3"
    assert encode_serial(Key(3, secret), 42)[1:19] != encode_serial(Key(4, secret), 42)[1:19]
