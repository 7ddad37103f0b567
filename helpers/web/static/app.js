// The page's behaviour: send an uploaded or drawn image to /predict or /read and show the answer.
"use strict";

const $ = (id) => document.getElementById(id);
let uploaded = null; // the chosen file
let uploadedImage = null; // the same, decoded, to draw boxes over

function showError(message) {
  $("answer").hidden = false;
  $("prediction").hidden = true;
  $("reading").hidden = true;
  $("error").hidden = false;
  $("error").textContent = message;
}

async function post(url, blob, name) {
  const form = new FormData();
  form.append("image", blob, name);
  let response;
  try {
    response = await fetch(url, { method: "POST", body: form });
  } catch (e) {
    showError(`the server did not answer (${e.message})`);
    return null;
  }
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) {
    showError(body.error || `HTTP ${response.status}`);
    return null;
  }
  $("error").hidden = true;
  $("answer").hidden = false;
  return body;
}

function showPrediction(body) {
  const list = $("top");
  list.replaceChildren();
  for (const { char, prob } of body.top) {
    const item = document.createElement("li");
    item.dataset.char = char;
    item.dataset.prob = prob;
    const label = document.createElement("span");
    label.className = "char";
    label.textContent = char;
    const track = document.createElement("div");
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = `${Math.max(0.5, 100 * prob)}%`;
    track.append(bar);
    const value = document.createElement("span");
    value.textContent = `${(100 * prob).toFixed(1)}%`;
    item.append(label, track, value);
    list.append(item);
  }
  $("unsure").hidden = !body.unsure;
  $("seen").src = body.input;
  $("reading").hidden = true;
  $("prediction").hidden = false;
}

function drawUpload(characters) {
  const view = $("upload-view");
  view.width = uploadedImage.naturalWidth;
  view.height = uploadedImage.naturalHeight;
  const context = view.getContext("2d");
  context.drawImage(uploadedImage, 0, 0);
  const scale = Math.max(1, view.width / 600);
  context.lineWidth = 2 * scale;
  context.font = `bold ${Math.round(16 * scale)}px sans-serif`;
  context.textAlign = "center";
  for (const { char, box, unsure } of characters || []) {
    const [x, y, w, h] = box;
    context.strokeStyle = context.fillStyle = unsure ? "#cf222e" : "#1a7f37";
    context.strokeRect(x, y, w, h);
    context.fillText(char, x + w / 2, Math.max(12 * scale, y - 4 * scale));
  }
  view.hidden = false;
}

function showReading(body) {
  $("text").textContent = body.text;
  $("raw-text").textContent = body.raw_text;
  $("raw").hidden = body.raw_text === body.text;
  drawUpload(body.characters);
  $("prediction").hidden = true;
  $("reading").hidden = false;
}

$("file").addEventListener("change", () => {
  uploaded = $("file").files[0] || null;
  $("predict-upload").disabled = $("read-upload").disabled = !uploaded;
  if (!uploaded) return;
  uploadedImage = new Image();
  uploadedImage.onload = () => drawUpload([]);
  uploadedImage.onerror = () => { $("upload-view").hidden = true; };
  uploadedImage.src = URL.createObjectURL(uploaded);
});

$("predict-upload").addEventListener("click", async () => {
  const body = await post("/predict?input=1", uploaded, uploaded.name);
  if (body) showPrediction(body);
});

$("read-upload").addEventListener("click", async () => {
  const body = await post("/read", uploaded, uploaded.name);
  if (body) showReading(body);
});

// Drawing: black ink on a white sheet, as a pen on paper; the server finds and frames the ink.
const canvas = $("canvas");
const pen = canvas.getContext("2d");
function clearCanvas() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, canvas.width, canvas.height);
}
clearCanvas();
pen.lineWidth = 18;
pen.lineCap = pen.lineJoin = "round";
pen.strokeStyle = "#000";
let drawing = false;

function point(event) {
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * canvas.width / rect.width,
          (event.clientY - rect.top) * canvas.height / rect.height];
}
canvas.addEventListener("pointerdown", (event) => {
  drawing = true;
  canvas.setPointerCapture(event.pointerId);
  pen.beginPath();
  pen.moveTo(...point(event));
  pen.lineTo(...point(event));
  pen.stroke();
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  pen.lineTo(...point(event));
  pen.stroke();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, () => { drawing = false; });
}

$("clear").addEventListener("click", clearCanvas);
$("predict-drawing").addEventListener("click", () => {
  canvas.toBlob(async (blob) => {
    const body = await post("/predict?input=1", blob, "drawing.png");
    if (body) showPrediction(body);
  }, "image/png");
});
