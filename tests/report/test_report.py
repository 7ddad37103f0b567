"""The headless chain: papermill runs the notebooks, nbconvert and xhtml2pdf render the report."""

import html as html_module
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import REPO
from support.report_text import defects, uncited, visible_text

from helpers.report import chain, console, kernel
from helpers.report.pdf import main_body_pages, pdf_summary

SMOKE_MODELS = ["baseline", "digits_small", "resnet"]


@pytest.fixture
def project(private_project_dir):
    shutil.copytree(REPO / "notebooks", private_project_dir / "notebooks")
    return private_project_dir


def test_chain_selects_cnn_notebooks_by_model(project):
    names = [p.name for p in chain.notebooks_for(["deep"])]
    assert names[:3] == ["01_data_exploration.ipynb", "02_nearmiss_balancing.ipynb",
                         "03_augmentation.ipynb"]
    assert names[3:] == ["05_cnn_deep.ipynb", "11_your_network.ipynb", "12_ablation.ipynb",
                         "13_comparison.ipynb", "14_reading_images.ipynb"]
    assert len(chain.notebooks_for()) == 14
    assert "12_ablation.ipynb" not in [p.name for p in chain.notebooks_for(ablation=False)]
    # The ablation trains: it runs in the training stage, beside the CNN notebooks.
    stages = chain.stages(chain.notebooks_for(["deep"]))
    assert [p.stem for p in stages[1]] == ["05_cnn_deep", "11_your_network", "12_ablation"]


@pytest.mark.emnist
@pytest.mark.slow
def test_smoke_run_of_the_whole_chain_on_real_emnist(project, emnist_dir, capfd):
    """What CI checks: every notebook runs, the report exists as HTML and as a readable PDF."""
    smoke = ["--dataset", "emnist-byclass", "--data-dir", str(emnist_dir), "--limit", "2500",
             "--epochs", "1", "--seed", "1", "--models", ",".join(SMOKE_MODELS),
             "--balance", "class-weights", "--minutes", "20"]
    # The student's part: a network of their own (unlike any of the seven) and one answer.
    own = project / "notebooks" / "11_your_network.ipynb"
    nb = nbformat.read(own, as_version=4)
    cell = next(c for c in nb.cells if "your-network" in c.metadata.get("tags", []))
    cell.source = re.sub(r"layers\.Conv2D\(16, 3", 'layers.Conv2D(8, 5, padding="same"',
                         cell.source)
    assert "Conv2D(8, 5" in cell.source
    nbformat.write(nb, own)
    # The student tries SGD for the baseline, in its notebook's recipe cell.
    baseline = project / "notebooks" / "04_cnn_baseline.ipynb"
    nb = nbformat.read(baseline, as_version=4)
    cell = next(c for c in nb.cells if c.source.startswith("prepared = experiment.balanced_data"))
    cell.source += ("\nfrom dataclasses import replace\n"
                    "recipe = replace(recipe, optimizer=\"sgd\", learning_rate=0.05)\nrecipe")
    nbformat.write(nb, baseline)
    answered = project / "notebooks" / "13_comparison.ipynb"
    nb = nbformat.read(answered, as_version=4)
    first = next(c for c in nb.cells if "your-answer" in c.metadata.get("tags", []))
    first.source = "I would deploy the smallest network within the best one's interval."
    nbformat.write(nb, answered)
    assert chain.main(smoke) == 0
    err = capfd.readouterr().err
    assert "warning: 3 of 4 questions are unanswered" in err
    assert "time budget 20 min:" in err
    assert re.search(r"estimate at this machine's speed \(.+ \((CPU|GPUs?)\), "
                     r"(float32|mixed_bfloat16|mixed_float16)\): about ", err), err
    assert "epochs in MINUTES=20" in err
    assert err.index("estimate at this machine's speed") < err.index("04_cnn_baseline.ipynb  ")
    latest = project / "outputs" / "latest"
    assert json.loads((latest / "budget.json").read_text())["minutes"] == 20
    html = (latest / "report.html").read_text()
    for chapter in ("Abstract", "1. Introduction", "2. Methodology", "3. Results",
                    "4. Discussion", "5. Conclusion", "Appendix"):
        assert chapter in html, chapter
    assert "load_from" not in html and "callbacks = experiment" not in html  # code hidden
    shown = html_module.unescape(re.sub(r"<[^>]+>", "", (
        latest / "notebooks" / "04_cnn_baseline.html").read_text()))
    assert "model.compile(" in shown and "model.fit(" in shown  # fit's source, on the page
    trained = nbformat.read(latest / "notebooks" / "04_cnn_baseline.ipynb", as_version=4)
    fitted = next(c for c in trained.cells if c.source.startswith("callbacks = experiment"))
    assert re.search(r"\d+/\d+ - .* - val_accuracy: ", "".join(
        o.get("text", "") for o in fitted.outputs))  # a progress line per epoch
    summary = pdf_summary(latest / "report.pdf")
    assert summary["pages"] >= 8 and summary["images"] >= 10 and summary["text_chars"] > 3000
    # The write-up's main body, title page to references, is a write-up's length; each
    # network's details follow in the appendix.
    main = main_body_pages(latest / "report.pdf")
    assert 8 <= main <= 25 and summary["pages"] > main
    executed = sorted(p.name for p in (latest / "notebooks").glob("*.ipynb"))
    assert executed == sorted(p.name for p in chain.notebooks_for(SMOKE_MODELS))
    metrics = {p.stem: json.loads(p.read_text()) for p in (latest / "metrics").glob("*.json")}
    assert sorted(metrics) == sorted([*SMOKE_MODELS, "my_cnn"])
    # SGD trained the baseline, the recipe's Adam the others; the report's method says so.
    assert metrics["baseline"]["training"]["optimizer"] == "SGD"
    assert metrics["baseline"]["recipe"]["optimizer"] == "sgd"
    assert {metrics[m]["training"]["optimizer"] for m in metrics if m != "baseline"} == {"Adam"}
    assert all(m["stopped_by"] == "epochs" for m in metrics.values())  # EPOCHS=1
    method = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    assert "baseline: SGD, learning rate 0.05, momentum 0.9" in method
    assert "Adam, learning rate 0.001" in method
    for name in executed:  # an unanswered exercise is not a failed test
        assert "Test case failed" not in (latest / "notebooks" / name).read_text(), name
    comparison = nbformat.read(latest / "notebooks" / "13_comparison.ipynb", as_version=4)
    table = next(c for c in comparison.cells if c.cell_type == "code" and "comparison(" in c.source)
    table_html = table.outputs[0]["data"]["text/html"]
    assert all(model in table_html for model in [*SMOKE_MODELS, "my_cnn"])
    paired = next(c for c in comparison.cells if "paired_tests(" in c.source)
    assert "my_cnn" in paired.outputs[0]["data"]["text/html"]
    assert (latest / "models" / "my_cnn.keras").exists()
    # Every executed notebook ends with its exercises: 3 to 6, then their checks.
    for name in executed:
        cells = nbformat.read(latest / "notebooks" / name, as_version=4).cells
        at = next(i for i, c in enumerate(cells) if c.source.startswith("## Exercises"))
        assert all("exercises" in c.metadata.get("tags", []) for c in cells[at:]), name
        items = re.findall(r"^\d+\. ", cells[at].source, flags=re.MULTILINE)
        assert 3 <= len(items) <= 6, name
    assert (latest / "models" / "resnet.keras").exists()
    reading = json.loads((latest / "reading.json").read_text())
    assert reading["lines"] == 100 and 0 <= reading["cer"] <= 1.5
    # Reading the simulated photos comes after the comparison, among the results, and is discussed.
    # (the headings, not their lines in the contents)
    results, discussion = html.rindex(">3. Results<"), html.rindex(">4. Discussion<")
    assert results < html.index("Reading simulated photos and lines", results) < discussion
    assert f"character error rate of {reading['cer']:.1%}" in html
    timings = json.loads((latest / "timings.json").read_text())
    assert len(timings) == len(executed)
    for name in executed:  # what a student hands in: no TensorFlow chatter in any cell
        notebook = nbformat.read(latest / "notebooks" / name, as_version=4)
        assert start_up_lines(notebook) == [], name
    # Each network's Keras code: in its executed notebook (the listing cell) and, all of them,
    # in the report's method chapter; what it sees: filters, maps and heat maps.
    text = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    for model in SMOKE_MODELS:
        notebook = next((latest / "notebooks").glob(f"*_cnn_{model}.ipynb"))
        listing = next(c for c in nbformat.read(notebook, as_version=4).cells
                       if c.cell_type == "code" and "listing" in c.metadata.get("tags", []))
        assert f"def {model}(num_classes" in listing.outputs[0]["data"]["text/plain"]
        assert f"def {model}(num_classes" in text  # highlighted: the words are in spans
    assert html.index("2.4 The networks") < html.index("3. Results")
    for section in ("What the first layer learned", "Inside the best network", "References",
                    "The method at a glance", "What the skip connections change",
                    "Ablation: what balancing and augmentation do here",
                    "What the test set can tell apart"):
        assert section in html, section
    # Intervals and paired tests, computed here and quoted in the text.
    study = json.loads((latest / "ablation.json").read_text())
    assert study["rows"] and all("accuracy_interval" in r for r in study["rows"])
    assert "95% interval" in text and re.search(r"McNemar p [=<] ", text)
    # The student's network, with its code, and their answer, under their analysis.
    assert "my_cnn: the network written in notebook 11" in text
    assert 'layers.Conv2D(8, 5, padding="same"' in text and "Exercises" not in text
    start = text.rindex("Your analysis")  # the section, not its line in the contents
    analysis = text[start:text.index("5. Conclusion", start)]
    assert "I would deploy the smallest network within the best one's interval." in analysis
    assert analysis.count("[Unanswered: write the answer") == 3
    # It reads as a submission, not as pasted output, and cites what it lists.
    assert defects(visible_text(html)) == []
    assert uncited(visible_text(html)) == [] and "Zhang and Mani, 2003" in text
    for heading in ("Contents", "2.1 Data exploration", "4.3 Limitations", "Figure 1.",
                    "Table 1.", "[your name: make report AUTHOR="):
        assert heading in text, heading
    # Every file the notebooks wrote is one that some notebook declares (`helpers.writes`), so
    # a later run can reuse it; the same command again executes nothing.
    index = json.loads((latest / "reuse.json").read_text())["notebooks"]
    declared = {name for entry in index.values() for name in entry["files"]}
    made = {p.relative_to(latest).as_posix() for p in latest.rglob("*") if p.is_file()}
    rendered = {"report.html", "report.pdf", "timings.json", "reuse.json", "budget.json",
                "estimate.json"}
    assert made - rendered - {f"notebooks/{p.stem}.html" for p in chain.notebooks_for()} \
        == declared
    first = latest.resolve().name
    assert chain.main(smoke) == 0
    assert "estimate: every training notebook is reused" in capfd.readouterr().err
    again = project / "outputs" / "latest"
    assert again.resolve().name != first
    index = json.loads((again / "reuse.json").read_text())["notebooks"]
    assert {entry["ran_in"] for entry in index.values()} == {first}
    assert f"reused from {first}" in (again / "report.html").read_text()


@pytest.mark.slow
def test_whole_chain_on_digits_reads_numbers(project):
    """A dataset whose classes are digits: every notebook runs, and the reading section reads
    lines of numbers without the word list and says that the lexicon does not apply."""
    assert chain.main(["--dataset", "digits", "--epochs", "1", "--seed", "0",
                       "--models", "baseline,digits_small"]) == 0
    latest = project / "outputs" / "latest"
    reading = json.loads((latest / "reading.json").read_text())
    assert reading["texts"] == "numbers" and reading["text_lines"] == 100
    assert reading["lexicon"] is None and 0 <= reading["text_cer"] <= 1.5
    html = (latest / "report.html").read_text()
    text = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    assert "Reading simulated photos and lines" in text and "4. Discussion" in text
    assert "lines of text were numbers" in text and "does not apply to this dataset" in text
    # The notebook's own section (handed in beside the report): the lexicon's part is left
    # out, not shown empty: no column, no row, no n/a.
    shown = (latest / "notebooks" / "14_reading_images.html").read_text()
    notebook = html_module.unescape(re.sub(r"<[^>]+>", "", shown))
    assert "numbers as forms and documents have them" in notebook
    assert "first choices (no lexicon)</th>" in shown and "with the lexicon</th>" not in shown
    assert "lines of numbers read" in notebook and "CER of read with the lexicon" not in notebook
    assert pdf_summary(latest / "report.pdf")["pages"] >= 8
    assert defects(visible_text(html)) == [] and uncited(visible_text(html)) == []
    for notebook in (latest / "notebooks").glob("*.ipynb"):
        assert start_up_lines(nbformat.read(notebook, as_version=4)) == [], notebook.name


def test_failing_notebook_stops_the_chain_and_names_the_cell(private_project_dir):
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    cells = [nbformat.v4.new_code_cell("DATASET = 'glyphs'", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": chain.KERNEL, "display_name": "k", "language": "python"}
    nbformat.write(nb, notebooks / "01_broken.ipynb")
    nbformat.write(nb, notebooks / "02_never_run.ipynb")
    run = private_project_dir / "outputs" / "run1"
    with pytest.raises(SystemExit) as e:
        chain.main(["--out", str(run), "--jobs", "1"])  # one at a time: strictly in order
    message = str(e.value)
    assert "01_broken.ipynb failed in code cell 3" in message  # papermill's own cell is skipped
    assert "broken on purpose" in message
    assert (run / "notebooks" / "01_broken.ipynb").exists()  # partial copy kept for debugging
    assert not (run / "notebooks" / "02_never_run.ipynb").exists()
    assert not (run / "report.html").exists() and not (run / "report.pdf").exists()
    assert not (run / "reuse.json").exists()  # nothing of a failed run is ever reused
    assert not (private_project_dir / "outputs" / "latest").exists()


def test_bad_parameters_stop_before_any_notebook_runs(private_project_dir, capsys):
    with pytest.raises(SystemExit, match="unknown architecture.*vgg"):
        chain.main(["--models", "baseline,vgg"])
    assert not (private_project_dir / "outputs").exists()


def test_report_drops_tensorflow_start_up_logs_but_keeps_real_warnings():
    logs = ("WARNING: All log messages before absl::InitializeLog() is called are written to "
            "STDERR\nI0000 00:00:1795266229.342422   29402 port.cc:153] oneDNN custom "
            "operations are on.\n")
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text=logs),
        nbformat.v4.new_output("stream", name="stderr", text=logs + "UserWarning: real one\n"),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 kept on stdout\n")])
    cleaned = chain._without_tf_logs(cell)
    assert [o.get("text") for o in cleaned.outputs] == ["UserWarning: real one\n",
                                                        "I0000 kept on stdout\n"]
    assert len(cell.outputs) == 3  # the executed notebook itself is left as it ran


# What TensorFlow's C++ core writes on start-up and on the first tf.data pipeline.
START_UP = ("absl::InitializeLog", "oneDNN custom operations", "I0000 ", "E0000 ", "W0000 ",
            "NodeDef mentions attribute")


def start_up_lines(notebook: nbformat.NotebookNode) -> list[str]:
    return [line for cell in notebook.cells for output in cell.get("outputs", [])
            if output.get("output_type") == "stream"
            for line in output.get("text", "").splitlines()
            if any(mark in line for mark in START_UP)]


def test_kernel_keeps_tensorflow_start_up_lines_out_of_the_cells_but_shows_warnings(tmp_path):
    import papermill as pm

    from helpers.report import kernel

    kernel.ensure()
    assert kernel.current()
    source = tmp_path / "tf.ipynb"
    nbformat.write(notebook_of(
        "import tensorflow as tf\nimport warnings",
        "ds = tf.data.Dataset.range(8).map(lambda x: x * 2).batch(4)\n"
        "print(sum(int(b.numpy().sum()) for b in ds))",
        "warnings.warn('a real warning')"), source)
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(source), str(out), kernel_name=chain.KERNEL, progress_bar=False)
    executed = nbformat.read(out, as_version=4)
    assert start_up_lines(executed) == []
    streams = [(o.get("name"), o.get("text", "")) for c in executed.cells for o in c.outputs
               if o.get("output_type") == "stream"]
    assert ("stdout", "56\n") in streams
    assert any(name == "stderr" and "a real warning" in text for name, text in streams)


@pytest.mark.slow
def test_a_notebook_runs_in_jupyters_own_python3_kernel(private_project_dir, tmp_path):
    """Colab's kernel is `python3`: nothing a notebook does needs the project's kernel, and the
    Colab setup cell does nothing elsewhere."""
    import papermill as pm

    out = tmp_path / "02.ipynb"
    pm.execute_notebook(str(REPO / "notebooks" / "02_nearmiss_balancing.ipynb"), str(out),
                        kernel_name="python3", cwd=str(REPO / "notebooks"), progress_bar=False,
                        parameters={"DATASET": "glyphs", "LIMIT": 720,
                                    "RUN_DIR": str(private_project_dir / "outputs" / "run")})
    executed = nbformat.read(out, as_version=4)
    assert all(c.execution_count for c in executed.cells if c.cell_type == "code")
    assert (private_project_dir / "outputs" / "run" / "balance.json").exists()


def test_the_chain_runs_the_notebooks_in_the_kernel_it_is_given(private_project_dir):
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    seen = private_project_dir / "argv.txt"
    nbformat.write(notebook_of("import pathlib, sys",
                               f"pathlib.Path({str(seen)!r}).write_text(' '.join(sys.argv))",
                               "raise RuntimeError('stop here')"), notebooks / "01_kernel.ipynb")
    for name, flag in (("python3", False), (kernel.NAME, True)):
        with pytest.raises(SystemExit, match="stop here"):
            chain.main(["--out", str(private_project_dir / "outputs" / name), "--jobs", "1",
                        "--kernel", name])
        # The project's kernel is the one started with capture_fd_output off.
        assert ("capture_fd_output=False" in seen.read_text()) is flag, name


def test_a_relative_data_dir_is_resolved_before_the_notebooks_run(monkeypatch, tmp_path):
    seen = {}

    def fake_chain(config, parameters, **options):
        seen.update(parameters)
        return tmp_path / "report.html"

    monkeypatch.setattr(chain, "run_chain", fake_chain)
    monkeypatch.chdir(tmp_path)
    chain.main(["--dataset", "emnist-letters", "--data-dir", "data/emnist"])
    assert seen["DATA_DIR"] == str(tmp_path / "data" / "emnist")


def notebook_of(*sources: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell("DATASET = 'glyphs'", metadata={"tags": ["parameters"]}),
             *map(nbformat.v4.new_code_cell, sources)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": chain.KERNEL, "display_name": "k", "language": "python"}
    return nb


def test_cnn_notebooks_run_together_and_a_failure_among_them_stops_the_chain(
        private_project_dir, monkeypatch):
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    seen = private_project_dir / "threads.txt"
    nbformat.write(notebook_of("x = 1"), notebooks / "01_prepare.ipynb")
    nbformat.write(notebook_of("raise RuntimeError('broken on purpose')"),
                   notebooks / "04_cnn_baseline.ipynb")
    nbformat.write(notebook_of("import os, pathlib",
                               f"pathlib.Path({str(seen)!r}).write_text("
                               "os.environ.get('TF_NUM_INTRAOP_THREADS', 'unset') + ' ' + "
                               "os.environ.get('TF_FORCE_GPU_ALLOW_GROWTH', 'unset'))"),
                   notebooks / "05_cnn_deep.ipynb")
    nbformat.write(notebook_of("x = 2"), notebooks / "11_after.ipynb")
    run = private_project_dir / "outputs" / "run1"
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "unset")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH")  # restored afterwards: the chain sets it
    with pytest.raises(SystemExit) as e:
        chain.main(["--out", str(run), "--models", "baseline,deep", "--jobs", "2"])
    assert "04_cnn_baseline.ipynb failed in code cell 2" in str(e.value)
    assert "broken on purpose" in str(e.value)
    executed = sorted(p.name for p in (run / "notebooks").glob("*.ipynb"))
    assert executed == ["01_prepare.ipynb", "04_cnn_baseline.ipynb", "05_cnn_deep.ipynb"]
    assert not (run / "report.html").exists() and not (run / "report.pdf").exists()
    assert not (private_project_dir / "outputs" / "latest").exists()
    # Two kernels at once share the cores: each TensorFlow gets half of them; and a GPU: each
    # takes its memory as it needs it, not all of it at the start.
    assert seen.read_text() == f"{max(1, chain.cpu_count() // 2)} true"


def test_stages_are_preparation_the_cnns_and_the_results(tmp_path):
    names = ["01_a", "02_b", "04_cnn_x", "05_cnn_y", "11_c", "12_d"]
    groups = chain.stages([tmp_path / f"{n}.ipynb" for n in names])
    assert [[p.stem for p in g] for g in groups] == [["01_a", "02_b"], ["04_cnn_x", "05_cnn_y"],
                                                    ["11_c", "12_d"]]
    order = chain.longest_first(groups[1], {"05_cnn_y": 30.0, "04_cnn_x": 10.0})
    assert [p.stem for p in order] == ["05_cnn_y", "04_cnn_x"]
    assert chain.longest_first(groups[1], {}) == groups[1]


def test_thread_share_sets_only_what_the_caller_left_unset(monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.setenv("TF_NUM_INTEROP_THREADS", "3")
    with chain.thread_share(cpus=8, jobs=2):
        assert os.environ["TF_NUM_INTRAOP_THREADS"] == "4"
        assert os.environ["TF_NUM_INTEROP_THREADS"] == "3"
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ
    assert os.environ["TF_NUM_INTEROP_THREADS"] == "3"


NOISE = [
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication "
    "(including code and outputs) is sent in plain text.",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795477481.405626    2081 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results.",
    "I0000 00:00:1795477481.436904    2081 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "E0000 00:00:1795477518.517847    2396 node_def_util.cc:682] NodeDef mentions attribute "
    "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset>",
    "2026-12-06 06:16:59.744647: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:467] "
    "Unable to register cuFFT factory: Attempting to register factory for plugin cuFFT when one "
    "has already been registered",
    "E0000 00:00:1796537819.783407    7241 cuda_dnn.cc:8579] Unable to register cuDNN factory: "
    "Attempting to register factory for plugin cuDNN when one has already been registered",
    "W0000 00:00:1796537819.857329    7241 computation_placer.cc:177] computation placer already "
    "registered. Please check linkage and avoid linking the same target more than once.",
]
KEPT = ["/work/helpers/plots.py:12: UserWarning: Glyph 8594 missing from font", "  warnings.warn(",
        "E0000 00:00:1795477518.5 12 some_kernel.cc:9] a real TensorFlow error",
        "2026-12-06 06:17:05.985787: E external/local_xla/xla/stream_executor/cuda/"
        "cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error"]


def test_console_filter_drops_start_up_noise_and_keeps_real_warnings():
    text = "\n".join([NOISE[0], KEPT[0], *NOISE[1:4], KEPT[1], *NOISE[4:], *KEPT[2:]]) + "\n"
    assert console.filter_text(text) == "\n".join(KEPT) + "\n"
    # Noise right after a progress bar's unfinished line: the bar stays, the noise goes.
    bar = "\rExecuting:   0%|          | 0/13 [00:00<?, ?cell/s]"
    assert console.filter_text(bar + NOISE[0] + "\n" + bar) == bar + bar
    shown, held = console.split((bar + NOISE[2][:40]).encode())
    assert shown.decode() == bar and held.decode() == NOISE[2][:40]


def test_filtered_stderr_applies_to_child_processes(capfd):
    script = ("import sys; sys.stderr.write(" + repr("\n".join(NOISE + KEPT) + "\n") + ")")
    with console.filtered_stderr():
        subprocess.run([sys.executable, "-c", script], check=True)
        print("from this process", file=sys.stderr)
    assert capfd.readouterr().err == "\n".join(KEPT) + "\nfrom this process\n"


def test_a_notebook_that_reads_another_starts_after_it_even_when_two_run_at_once(
        private_project_dir):
    """06 reads 05's saved results: with two lanes free it still waits for 05 to finish."""
    notebooks = private_project_dir / "notebooks"
    notebooks.mkdir()
    log = private_project_dir / "order.txt"
    stamp = (f"import time, pathlib\nlog = pathlib.Path({str(log)!r})\n"
             "log.write_text(log.read_text() + '{} ' if log.exists() else '{} ')")
    nbformat.write(notebook_of("x = 1"), notebooks / "01_prepare.ipynb")
    nbformat.write(notebook_of(f"import time\ntime.sleep(3)\n{stamp.format('05', '05')}"),
                   notebooks / "05_cnn_deep.ipynb")
    reader = notebook_of(stamp.format("06", "06"))
    reader.metadata["helpers"] = {"reads": ["05_cnn_deep"]}
    nbformat.write(reader, notebooks / "06_cnn_dropout_bn.ipynb")
    assert chain.reads(notebooks / "06_cnn_dropout_bn.ipynb") == {"05_cnn_deep"}
    run = private_project_dir / "outputs" / "run1"
    steps = chain.Chain(run, chain.notebooks_for(["deep", "dropout_bn"]), {}, jobs=2)
    (run / "notebooks").mkdir(parents=True)
    steps.run_stage(chain.stages(steps.notebooks)[1])
    assert log.read_text().split() == ["05", "06"]


def test_the_report_gathers_every_networks_code_and_its_references(tmp_path):
    from helpers.experiment import RunConfig
    from helpers.report import writeup

    config = RunConfig.from_parameters(MODELS="baseline,resnet", RUN_DIR=str(tmp_path))
    layers = {"convolutions": 12, "dense": 1, "batch_norm": 13, "dropout": 1, "skips": 6}
    found = {"metrics": [{"model": "baseline", "parameters": 697316},
                         {"model": "resnet", "parameters": 701892, "layers": layers}]}
    code = writeup.networks(config, found)  # the appendix: the code
    assert code.count("```python") == 2 and "def baseline(num_classes" in code
    assert "def resnet(num_classes" in code and "697,316 parameters" in code
    table = writeup.architectures(config, found)  # the method: the networks side by side
    assert "| resnet | 12 | 1 | 13 | 1 | 6 | 701,892 |" in table
    assert "| baseline | – | – | – | – | – | 697,316 |" in table  # no layer counts saved
    assert "(He et al., 2016b)" in table and "(Ismadi, 2025)" in table
    # The list holds what the text cites, and only that; a citation broken over two lines
    # counts.
    references = writeup.references(table + " NearMiss (Zhang and\nMani, 2003)")
    assert "Zhang, J. and Mani, I. (2003)" in references and "He, K." in references
    assert "Grad-CAM" not in references and "EMNIST" not in references
    # Three heading lines, then the networks' citations (NearMiss among them).
    assert len(references.splitlines()) == 3 + len(writeup.cited(table + " Zhang and Mani, 2003"))


def test_every_citation_in_the_generated_chapters_is_listed(tmp_path):
    """Each "(Author, 1999)" or "(Author et al., 1999)" the prose writes has its entry."""
    from helpers.experiment import RunConfig
    from helpers.report import writeup

    config = RunConfig.from_parameters(RUN_DIR=str(tmp_path))
    found = {"metrics": [], "dataset": {"name": "emnist-letters"}, "balance": {}}
    text = " ".join([writeup.introduction(config, found), writeup.methodology_opening(),
                     writeup.evaluation(), writeup.architectures(config, found)])
    known = {citation for citation, _ in writeup.REFERENCES}
    pattern = r"([A-Z][\w-]+(?: et al\.| and [A-Z][\w]+)?(?: [a-z]+)?), (\d{4}[ab]?|n\.d\.)"
    flat = " ".join(text.split())
    found_citations = {f"{who}, {year}" for who, year in re.findall(pattern, flat)}
    assert found_citations and found_citations <= known, found_citations - known
    assert len(writeup.cited(text)) == len(found_citations)


def test_the_report_scan_finds_each_kind_of_pasted_output():
    from support.report_text import defects, visible_text

    clean = visible_text("<p>Accuracy 95.1% (94.0–96.2%) on 4,800 test images in [0, 1]; "
                         "12.0 s</p><pre>def f(x=None): return [1, 2, 3]</pre>")
    assert defects(clean) == []
    for sample, kind in [("seed None here", "Python None"), ("notes [] and", "empty list"),
                         ("classes ['A', 'B']", "list repr"), ("{'a': 1}", "dict repr"),
                         ("12 13 ... 46", "pandas truncation"),
                         ("[2 rows x 36 columns]", "pandas truncation"),
                         ("train_images 19200.0 test", "count as a float"),
                         ("from /tmp/folder47: 5,640", "machine path")]:
        found = defects(visible_text(f"<p>{sample}</p>"))
        assert found and found[0].startswith(kind), (sample, found)
