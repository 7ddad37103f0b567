"""`make gpu-check` where TensorFlow sees no GPU, and how it reads the report's training table."""

import os
import subprocess
import sys

import pytest
import tensorflow as tf
from conftest import REPO

sys.path.insert(0, str(REPO / "tests" / "benchmarks"))
import gpu_check  # noqa: E402

from helpers.report.training import parameter_rows  # noqa: E402


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="a GPU is here")
def test_without_a_gpu_it_says_what_tensorflow_sees_and_exits_2():
    done = subprocess.run([sys.executable, str(REPO / "tests" / "benchmarks" / "gpu_check.py")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == gpu_check.NO_GPU == 2
    assert f"TensorFlow {tf.__version__} sees no GPU" in done.stderr
    assert "nvidia-smi" in done.stderr and "/physical_device:CPU:0" in done.stderr


def test_the_device_row_is_read_from_the_reports_table():
    facts = {"device": "2 × NVIDIA H100 80GB HBM3 (GPUs)", "mixed_precision": "mixed_float16"}
    rows = parameter_rows([{"model": "deep", "training": facts}])
    # As the report's HTML writes a table row: cells, × escaped.
    page = "".join(f"<tr>\n<td>{k}</td>\n<td>{v.replace('×', '&times;')}</td>\n</tr>\n"
                   for k, v in rows)
    assert gpu_check.training_row(page) == "2 × NVIDIA H100 80GB HBM3 (GPUs), mixed_float16"
    assert gpu_check.training_row("<td>precision</td><td>float32</td>") is None
