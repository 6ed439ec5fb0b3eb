"""The same numbers on every x86-64 CPU: the saved outputs are what the checks compare against.

NumPy, its OpenBLAS and the oneDNN matrix kernels inside TensorFlow each pick code for the CPU
they run on. On a CPU with AVX-512 they choose other kernels than on one with only AVX2, and
those round differently in the last bits: a dot product of two perpendicular vectors prints
-1.5e-17 instead of 0.0e+00, and a network trained to the brink of divergence ends elsewhere.
The notebooks' outputs were computed with the AVX2 kernels; these variables ask for them on
every machine that has AVX2 (they change nothing on one that has no AVX-512). They must be set
before NumPy or TensorFlow is loaded, so they are put into the environment of every kernel that
runs a notebook for a check: by tests/conftest.py for pytest, and by the maintainer scripts.
"""

import os

AVX2_KERNELS = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # NumPy's own SIMD loops
    "OPENBLAS_CORETYPE": "Haswell",  # NumPy's linear algebra
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # TensorFlow's matrix products
    "DNNL_MAX_CPU_ISA": "AVX2",  # the same, under oneDNN's older name
}


def use_avx2_kernels(environ=os.environ):
    """Put the variables into ``environ`` (kernels started afterwards inherit them); a value
    already set there wins."""
    for name, value in AVX2_KERNELS.items():
        environ.setdefault(name, value)
