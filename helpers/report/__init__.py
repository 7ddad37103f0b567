"""From a run to a write-up: `chain` executes the notebooks with papermill (`python -m
helpers.report`, what `make report` runs) and `reuse` copies those an earlier run executed with
the same inputs, `writeup` writes the report's chapters from the run's
numbers, `tables` formats the tables the notebooks and the report show, `pdf` renders the PDF,
and `console` keeps the terminal to progress bars and warnings that matter; `submission` marks a
report DRAFT until it can be handed in, and hands it in (`make submission`).
"""
