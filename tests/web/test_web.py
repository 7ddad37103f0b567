"""The web page and its JSON endpoints: in-process requests, a load test on loopback, and an
end-to-end run in headless Chromium."""

import base64
import io
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image
from support.http import post_image, running

from helpers.cli import main as cli
from helpers.reading.lines import character_photo, generate_lines
from helpers.reading.recognizer import Recognizer
from helpers.web import LARGE_DECODES, create_app


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def recognizer(glyph_model):
    return Recognizer.load(glyph_model)


@pytest.fixture(scope="module")
def app(recognizer):
    return create_app(recognizer)


@pytest.fixture(scope="module")
def images(reading_glyphs, tmp_path_factory) -> dict:
    """A few photos of characters and two lines, as PNG files."""
    folder = tmp_path_factory.mktemp("uploads")
    rng = np.random.default_rng(0)
    files = {}
    for i in range(4):
        files[f"photo{i}.png"] = png(character_photo(reading_glyphs.x_test[i], rng))
    for i, line in enumerate(generate_lines(reading_glyphs, 2, seed=1)):
        files[f"line{i}.png"] = png(line.image)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {"folder": folder, **files}


def upload(client, path, name, data, **query):
    return client.post(path, query_string=query,
                       data={"image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def cli_json(capsys, command, path, model) -> dict:
    assert cli([command, str(path), "--json", "--model", str(model)]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])


def test_endpoints_answer_as_the_cli_does(app, images, glyph_model, capsys):
    client = app.test_client()
    for command, name in (("predict", "photo0.png"), ("read", "line0.png")):
        path = images["folder"] / name
        expected = cli_json(capsys, command, path, glyph_model)
        expected["file"] = name
        response = upload(client, f"/{command}", name, images[name])
        assert response.status_code == 200, response.json
        assert list(response.json) == list(expected)
        assert response.json == expected


def test_read_without_the_lexicon_answers_as_the_cli_does(app, images, glyph_model, capsys):
    path = images["folder"] / "line1.png"
    assert cli(["read", str(path), "--json", "--model", str(glyph_model), "--no-lexicon"]) == 0
    expected = json.loads(capsys.readouterr().out.splitlines()[-1])
    expected["file"] = "line1.png"
    client = app.test_client()
    assert upload(client, "/read", "line1.png", images["line1.png"], lexicon="0").json == expected
    off = client.post("/read", data={"image": (io.BytesIO(images["line1.png"]), "line1.png"),
                                     "lexicon": "off"}, content_type="multipart/form-data")
    assert off.json == expected and expected["text"] == expected["raw_text"]


def test_predict_can_return_the_image_the_network_saw(app, images):
    response = upload(app.test_client(), "/predict", "photo1.png", images["photo1.png"],
                      input="1", top_k="3")
    assert len(response.json["top"]) == 3
    header, data = response.json["input"].split(",", 1)
    assert header == "data:image/png;base64"
    seen = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
    assert seen.shape == (28, 28) and seen.max() > 128 and seen[0].max() < 64


@pytest.mark.parametrize(("name", "data", "status", "message"), [
    ("empty.png", b"", 400, "empty.png is empty"),
    ("notes.txt", b"just some text", 415, "notes.txt is not an image"),
    ("blank.png", png(np.full((200, 300), 235, np.uint8)), 422, "blank.png is blank"),
    ("cut.png", png(np.random.default_rng(0).integers(0, 255, (100, 100), np.uint8))[:5000],
     400, "cut.png is truncated or corrupt"),
    ("static.png", png(np.random.default_rng(1).integers(0, 256, (240, 320), np.uint8)), 422,
     "static.png looks like noise, not writing"),
])
def test_bad_uploads_get_a_clear_status_and_message(app, name, data, status, message):
    response = upload(app.test_client(), "/predict", name, data)
    assert response.status_code == status and message in response.json["error"]


def test_limits_on_bytes_and_pixels_and_the_form(recognizer, images):
    small = create_app(recognizer, max_upload_bytes=2000, max_pixels=10_000).test_client()
    response = upload(small, "/predict", "photo0.png", images["photo0.png"])
    assert response.status_code == 413 and "limit" in response.json["error"]
    wide = png(np.full((20, 600), 255, np.uint8))  # small file, 12,000 pixels
    response = upload(small, "/read", "wide.png", wide)
    assert response.status_code == 413 and "10,000-pixel limit" in response.json["error"]
    client = create_app(recognizer).test_client()
    response = client.post("/predict", data={"other": "x"})
    assert response.status_code == 400 and "'image'" in response.json["error"]
    assert client.get("/predict").status_code == 405


def test_pages_show_the_tools_and_the_model(app):
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    for part in ('id="file"', 'id="canvas"', 'id="predict-drawing"', 'id="read-upload"',
                 "app.js"):
        assert part in page
    model = client.get("/model").get_data(as_text=True)
    assert "digits_small" in model and "glyphs" in model and "77.7%" in model
    assert client.get("/static/app.js").status_code == 200


def test_uploads_leave_no_file_behind(app, images, private_project_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(private_project_dir.rglob("*")) + sorted(tmp_path.rglob("*"))
    client = app.test_client()
    for name in ("photo2.png", "line1.png"):
        assert upload(client, "/predict" if "photo" in name else "/read", name,
                      images[name]).status_code == 200
    assert sorted(private_project_dir.rglob("*")) + sorted(tmp_path.rglob("*")) == before


def test_200_requests_8_at_a_time_on_loopback_all_succeed_and_agree(app, images):
    names = ["photo0.png", "photo1.png", "photo2.png", "line0.png"]
    endpoint = {n: "/read" if n.startswith("line") else "/predict" for n in names}
    with running(app, threads=8) as base:
        alone = {n: post_image(base, endpoint[n], n, images[n]) for n in names}
        jobs = [names[i % len(names)] for i in range(200)]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: post_image(base, endpoint[n], n, images[n]), jobs))
    assert all(status == 200 for status, _ in alone.values())
    assert [a for a in answers if a[0] != 200] == []
    assert all(answer == alone[name] for name, answer in zip(jobs, answers, strict=True))


class CountingSemaphore:
    """A BoundedSemaphore that records the most holders it ever had at once."""

    def __init__(self, value):
        self._slots, self._lock = threading.Semaphore(value), threading.Lock()
        self.holders = self.most = 0

    def __enter__(self):
        self._slots.acquire()
        with self._lock:
            self.holders += 1
            self.most = max(self.most, self.holders)
        time.sleep(0.01)  # hold it long enough for the other threads to pile up

    def __exit__(self, *_):
        with self._lock:
            self.holders -= 1
        self._slots.release()


def test_large_uploads_decode_a_few_at_a_time_at_the_working_size(recognizer, reading_glyphs,
                                                                   monkeypatch):
    semaphores = []
    monkeypatch.setattr("helpers.web.threading.BoundedSemaphore",
                        lambda n: semaphores.append(CountingSemaphore(n)) or semaphores[-1])
    monkeypatch.setattr("helpers.web.WORK_PIXELS", 40_000)  # a 400×300 page is "large"
    app = create_app(recognizer)
    character = np.where(reading_glyphs.x_test[0] > 127, 0, 255).astype(np.uint8)
    page = Image.new("L", (400, 300), 255)
    page.paste(Image.fromarray(character).resize((150, 150)), (125, 75))
    body = png(np.asarray(page))
    with running(app, threads=8) as base:
        alone = post_image(base, "/predict", "page.png", body)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: post_image(base, "/predict", "page.png", body),
                                    range(16)))
    assert alone[0] == 200 and all(answer == alone for answer in answers)
    assert semaphores[0].most == LARGE_DECODES and semaphores[0].holders == 0


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no chromium on this machine (`make test` installs Debian's package when "
                    "it runs as root with apt-get)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    return path


def test_in_a_real_browser_upload_and_drawing_show_the_networks_answer(app, images):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    client = app.test_client()
    with running(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(base + "/")

        page.set_input_files("#file", str(images["folder"] / "photo3.png"))
        page.click("#predict-upload")
        page.wait_for_selector("#top li")
        shown = page.eval_on_selector_all("#top li", "items => items.map(i => i.dataset.char)")
        expected = upload(client, "/predict", "photo3.png", images["photo3.png"]).json
        assert shown == [t["char"] for t in expected["top"]]
        assert page.eval_on_selector("#seen", "img => img.naturalWidth") == 28

        page.set_input_files("#file", str(images["folder"] / "line0.png"))
        page.click("#read-upload")
        page.wait_for_selector("#reading:not([hidden])")
        expected = upload(client, "/read", "line0.png", images["line0.png"]).json
        assert page.inner_text("#text") == expected["text"]

        box = page.locator("#canvas").bounding_box()
        strokes = [[(0.5, 0.15), (0.5, 0.85)], [(0.3, 0.15), (0.7, 0.15)]]  # a T
        for stroke in strokes:
            page.mouse.move(box["x"] + stroke[0][0] * box["width"],
                            box["y"] + stroke[0][1] * box["height"])
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"],
                                steps=15)
            page.mouse.up()
        page.evaluate("document.querySelector('#top').replaceChildren()")
        page.click("#predict-drawing")
        page.wait_for_selector("#top li")
        shown = page.eval_on_selector("#top li", "item => item.dataset.char")
        drawing = base64.b64decode(page.evaluate(
            "document.querySelector('#canvas').toDataURL('image/png')").split(",", 1)[1])
        expected = upload(client, "/predict", "drawing.png", drawing).json
        assert shown == expected["top"][0]["char"]
        ink = np.asarray(Image.open(io.BytesIO(drawing)).convert("L")) < 128
        assert ink[40:240, 138:142].all() and ink[40:44, 84:196].all()  # the T is on the canvas
        browser.close()
