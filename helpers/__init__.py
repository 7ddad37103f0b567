"""The character-recognition bundle's package, a folder per stage of the pipeline:

- `data`: every source (EMNIST, MNIST, the A–Z CSV, image folders, the built-in glyphs) loaded
  as one `Dataset` shape, with caches;
- `learn`: balancing, augmentation, the networks, training, evaluation, prediction;
- `reading`: photos and lines of characters read with a trained network and a lexicon;
- `plots`: every figure; `report`: the papermill chain, the write-up, HTML and PDF;
- `web`: the page and its JSON API.

At the top: `experiment` (what the notebooks share), `cli` (`python -m helpers`), `arguments`
(what the command lines share), `errors`, `paths`, and `colab` (the notebooks' Colab cells and
the install there; standard library only, so this file imports nothing).
"""

__version__ = "0.1.0"
