# The compiled round arithmetic (_ff1_rounds.c) as Python calls it; the C file says what each
# argument holds. The arrays are contiguous; all but values and output are written in place.
import numpy as np
from numpy.typing import NDArray

def start(values: NDArray[np.uint64], a: NDArray[np.uint64], b: NDArray[np.uint64],
          blocks: NDArray[np.uint8], first_word: bytes, word: int, decrypt: bool, /) -> None: ...
def round(blocks: NDArray[np.uint8], output: NDArray[np.uint8], a: NDArray[np.uint64],
          b: NDArray[np.uint64], next_word: int, decrypt: bool, joined: NDArray[np.uint64] | None = None,
          /) -> None: ...
