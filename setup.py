"""The one compiled part: FF1's round arithmetic (src/jianguan/codes/_ff1_rounds.c).

Optional: where no C compiler is, the install goes on without it and the codec runs the same
rounds as numpy passes (``jianguan.codes.codec.bulk_path()`` says which). Everything else is in
pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("jianguan.codes._ff1_rounds", ["src/jianguan/codes/_ff1_rounds.c"],
                             extra_compile_args=["-O3"], optional=True)])
