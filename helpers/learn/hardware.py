"""What trains the networks: the device (the GPUs TensorFlow sees, else the CPU), the precision
its arithmetic is fast in, and the distribution strategy over several GPUs.

- precision: mixed float16 on a CUDA GPU with tensor cores (compute capability 7.0 or newer),
  mixed bfloat16 on a CPU with bfloat16 instructions (AVX512-BF16 or AMX; emulated bfloat16 is
  slower than float32), float32 otherwise. `OCR_PRECISION=float32|mixed_bfloat16|mixed_float16`
  overrides the choice, e.g. to time float32 on a machine that has both.
- strategy: `tf.distribute.MirroredStrategy` over the local GPUs where there are several (each
  batch split among them), else whatever strategy is in force (the default: one device).
- memory: TensorFlow takes all of a GPU's memory when it starts unless told to grow; two
  notebooks training at once need `SHARED_GPU` in the environment of every process they start.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from helpers.errors import ConfigError

PRECISION_ENV = "OCR_PRECISION"
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
# Tensor cores, which make float16 fast, came with Volta (compute capability 7.0).
FLOAT16_CAPABILITY = (7, 0)
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
# Each TensorFlow process takes GPU memory as it needs it, so that several share one GPU.
SHARED_GPU = {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}


def gpu_details() -> list[dict]:
    """TensorFlow's details of each GPU it sees (`device_name`, `compute_capability`)."""
    import tensorflow as tf

    return [tf.config.experimental.get_device_details(gpu)
            for gpu in tf.config.list_physical_devices("GPU")]


def cpu_flags() -> str:
    try:
        return next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("flags")), "")
    except OSError:
        return ""


def cpu_name() -> str:
    """The CPU's model name (e.g. "Intel(R) Xeon(R) Platinum 8480+")."""
    try:
        text = Path("/proc/cpuinfo").read_text()
        return next(line.split(":", 1)[1].strip() for line in text.splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def choose_precision(forced: str | None, gpus: list[dict], flags: str) -> str:
    """The Keras dtype policy to train in: `forced` (OCR_PRECISION) when set, else by the
    hardware: the `gpus`' details and the CPU's `flags`."""
    if forced := (forced or "").strip():
        if forced not in PRECISIONS:
            raise ConfigError(f"{PRECISION_ENV}={forced!r} is not a precision; use one of "
                              f"{', '.join(PRECISIONS)} (or leave it unset to choose by the "
                              "hardware)")
        return forced
    if gpus:
        capable = all(tuple(g.get("compute_capability") or (0, 0)) >= FLOAT16_CAPABILITY
                      for g in gpus)
        return "mixed_float16" if capable else "float32"
    words = flags.split()
    return "mixed_bfloat16" if any(f in words for f in BFLOAT16_FLAGS) else "float32"


def precision() -> str:
    """This machine's precision (see `choose_precision`)."""
    return choose_precision(os.environ.get(PRECISION_ENV), gpu_details(), cpu_flags())


def device_text(gpus: list[dict] | None = None, cpu: str | None = None) -> str:
    """What trains, in words: "NVIDIA H100 80GB HBM3 (GPU)", "2 × NVIDIA A100 (GPUs)", or
    the CPU's name with "(CPU)" where TensorFlow sees no GPU."""
    gpus = gpu_details() if gpus is None else gpus
    if not gpus:
        return f"{cpu or cpu_name()} (CPU)"
    names: dict[str, int] = {}
    for g in gpus:
        name = g.get("device_name") or "GPU"
        names[name] = names.get(name, 0) + 1
    said = ", ".join(f"{n} × {name}" if n > 1 else name for name, n in names.items())
    return f"{said} ({'GPUs' if len(gpus) > 1 else 'GPU'})"


def distributes(gpus: list) -> bool:
    """Whether training is split among several GPUs (MirroredStrategy): more than one seen."""
    return len(gpus) > 1


def strategy():
    """The strategy a network is built and trained under: MirroredStrategy over the local GPUs
    where there are several and the caller has not chosen one, else the one in force."""
    import tensorflow as tf

    if not tf.distribute.has_strategy() and distributes(tf.config.list_physical_devices("GPU")):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
