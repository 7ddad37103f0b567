"""A local web page to try a trained network: upload or draw a character, or read a line.

`create_app(recognizer)` builds the Flask app around one loaded `Recognizer`, shared by every
request (it serialises its own network calls; decoding and framing run in parallel). Pages: `/`
(upload or draw, top-5 with bars, the 28×28 image the network saw, a line read as text) and
`/model` (what the network is and how well it did). JSON endpoints: `POST /predict` and
`POST /read` take a multipart field `image` and answer as `python -m helpers predict|read --json`
does; `/read` spells words with the default English lexicon unless given `lexicon=0`. Uploads
are read in memory (Werkzeug spools large ones to the system's temp folder), are bounded in
bytes and in pixels, and are only ever decoded as images: a large one at about the reader's
working size (`ink.WORK_PIXELS`), and no more than `LARGE_DECODES` large ones at a time.
`serve()` runs the app with waitress on 127.0.0.1 (`make serve`).
"""

from __future__ import annotations

import base64
import io
import json
import threading
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from PIL import Image
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from helpers.data.images import NotAnImage, TooManyPixels, open_image
from helpers.errors import DataError
from helpers.learn import UNSURE_BELOW
from helpers.reading.ink import WORK_PIXELS, BlankImage, NoCharacters, TooSmall
from helpers.reading.lexicon import Lexicon
from helpers.reading.recognizer import Recognizer, classify, read
from helpers.reading.segment import TooManyCharacters

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 25_000_000
# Uploads over the reader's working size decode at most this many at a time: each costs its
# full decoded size for a moment (about 100 MB for a 24-megapixel RGB page).
LARGE_DECODES = 2
TOP_K = 5
OFF = {"0", "false", "no", "off"}  # values of the field `lexicon` that switch the lexicon off


class UploadError(Exception):
    """A request the endpoints refuse, with its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def requested_top_k(text: str | None, classes: int) -> int:
    """The `top_k` a request asks for: a whole number from 1 to the number of classes, else a
    400 that says so (it is not silently replaced)."""
    if text is None or text == "":
        return TOP_K
    try:
        value = int(text)
    except ValueError:
        raise UploadError(400, f"top_k must be a whole number, got {text!r}") from None
    if not 1 <= value <= classes:
        raise UploadError(400, f"top_k must be between 1 and {classes} (the model's classes), "
                               f"got {value}")
    return value


def status_of(error: DataError) -> int:
    """415 for what is not an image, 413 for too many pixels, 422 for an image with nothing to
    read (blank, only specks, too small or thin to hold a character, more marks than a line
    holds), 400 for the rest (empty or corrupt uploads)."""
    if isinstance(error, NotAnImage):
        return 415
    if isinstance(error, TooManyPixels):
        return 413
    if isinstance(error, BlankImage | NoCharacters | TooSmall | TooManyCharacters):
        return 422
    return 400


def uploaded_image() -> tuple[str, bytes]:
    """The name and bytes of the multipart field `image`, or an UploadError."""
    upload = request.files.get("image")
    if upload is None:
        if (request.mimetype == "multipart/form-data" and request.content_length
                and not request.files and not request.form):
            raise UploadError(400, "the multipart body could not be read (cut short, or its "
                                   "boundary is wrong); send the upload again")
        raise UploadError(400, "send the image as the multipart form field 'image'")
    name = Path(upload.filename or "image").name or "image"
    data = upload.read()
    if not data:
        raise UploadError(400, f"{name} is empty (0 bytes)")
    return name, data


def png_data_url(image) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def run_metrics(recognizer: Recognizer) -> dict:
    """The metrics `make report` saved beside the model (`<run>/metrics/<name>.json`), if any;
    `make model`'s reader keeps its own in its .json (`info`)."""
    if recognizer.path is None:
        return {}
    path = recognizer.path.parent.parent / "metrics" / f"{recognizer.path.stem}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def model_facts(recognizer: Recognizer) -> dict:
    info, metrics = recognizer.info, run_metrics(recognizer)
    return {
        "architecture": info.get("architecture") or recognizer.model.name,
        "dataset": info.get("dataset") or metrics.get("dataset", "unknown"),
        "accuracy": metrics.get("accuracy", info.get("accuracy")),
        "macro_f1": metrics.get("macro_f1", info.get("macro_f1")),
        "test_images": metrics.get("test_images", info.get("test_images")),
        "parameters": metrics.get("parameters", recognizer.model.count_params()),
        "epochs": metrics.get("epochs", info.get("epochs")),
        "most_confused": metrics.get("most_confused", info.get("most_confused", []))[:5],
        "classes": recognizer.classes,
        "framing": recognizer.framing,
        "path": str(recognizer.path) if recognizer.path else "(in memory)",
    }


def create_app(recognizer: Recognizer, *, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               max_pixels: int = MAX_PIXELS) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_upload_bytes
    app.json.sort_keys = False  # keys in the order the CLI prints them
    facts = model_facts(recognizer)
    decode_slots = threading.BoundedSemaphore(LARGE_DECODES)

    def opened(data: bytes, name: str):
        return open_image(data, max_pixels=max_pixels, name=name, work_pixels=WORK_PIXELS,
                          decode_slots=decode_slots)
    Lexicon.default().trie  # noqa: B018 - built now, not during the first request to /read

    def answer(recognise):
        name, data = uploaded_image()
        try:
            return name, recognise(data, name)
        except DataError as e:
            raise UploadError(status_of(e), str(e)) from None

    @app.get("/")
    def index():
        return render_template("index.html", facts=facts, max_mb=max_upload_bytes / 2**20,
                               unsure=f"{UNSURE_BELOW:.0%}")

    @app.get("/model")
    def model_page():
        return render_template("model.html", facts=facts)

    @app.post("/predict")
    def predict_endpoint():
        top_k = requested_top_k(request.values.get("top_k"), len(recognizer.classes))
        name, prediction = answer(lambda data, what: classify(
            recognizer, opened(data, what), top_k=top_k, what=what))
        body = {"file": name, **prediction.as_dict()}
        if request.args.get("input") == "1":
            body["input"] = png_data_url(prediction.image)
        return jsonify(body)

    @app.post("/read")
    def read_endpoint():
        lexicon = request.values.get("lexicon", "1").strip().lower() not in OFF
        name, reading = answer(lambda data, what: read(
            recognizer, opened(data, what), what=what, lexicon=lexicon))
        return jsonify({"file": name, **reading.as_dict()})

    @app.errorhandler(UploadError)
    def refused(error: UploadError):
        return jsonify({"error": str(error)}), error.status

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        if request.content_length is not None and request.content_length <= max_upload_bytes:
            # Small enough, yet refused by the form parser: too many parts (or one field of
            # text over its memory limit), which is not what "too big" would suggest.
            parts = request.max_form_parts
            return jsonify({"error": f"the form has too many fields (at most {parts:,}) or a "
                                     "text field that is too long; send the image alone as the "
                                     "field 'image'"}), 413
        limit = f"{max_upload_bytes / 2**20:g} MB"
        return jsonify({"error": f"the upload is over the {limit} limit"}), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify({"error": error.description}), error.code

    return app


def serve(model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          threads: int = 8) -> None:
    """Load the model once and serve the app with waitress until interrupted."""
    from waitress import serve as waitress_serve

    recognizer = Recognizer.load(model)
    print(f"serving {recognizer.path} on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    waitress_serve(create_app(recognizer), host=host, port=port, threads=threads)
