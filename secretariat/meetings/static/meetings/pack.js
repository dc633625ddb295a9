// Board pack reader: renders a pack document's PDF in the page with pdf.js (served from our own
// static files, loaded as an ES module; its worker likewise). The PDF comes whole from the
// meeting's view, which checks the invitation and records the read. The notes column follows
// the page shown: notes of other pages are dimmed, and the note form's page field follows.
const viewer = document.getElementById("pack-viewer");

function text(id, value) {
  const element = document.getElementById(id);
  if (element) { element.textContent = value; }
}

async function start() {
  if (!viewer) { return; }
  const pdfjs = await import(viewer.dataset.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = viewer.dataset.worker;
  const canvas = document.getElementById("pack-canvas");
  const pageField = document.querySelector("form input[name=page]");
  const task = pdfjs.getDocument({
    url: viewer.dataset.pdfUrl,
    withCredentials: true,
    // One request for the whole file: the server sends it whole (and audits each request).
    disableRange: true,
    disableStream: true,
    cMapUrl: viewer.dataset.cmaps,
    cMapPacked: true,
    standardFontDataUrl: viewer.dataset.fonts,
    isEvalSupported: false,
  });
  const pdf = await task.promise;
  let current = 1;
  const fromHash = /page=(\d+)/.exec(window.location.hash);
  if (fromHash) { current = Math.min(Math.max(1, Number(fromHash[1])), pdf.numPages); }
  text("pack-pages", String(pdf.numPages));
  let rendering = null;

  async function show(number) {
    if (rendering) { rendering.cancel(); }
    current = number;
    text("pack-page", String(number));
    if (pageField) { pageField.value = String(number); }
    document.querySelectorAll("#pack-notes li[data-page]").forEach((li) => {
      li.classList.toggle("other-page", li.dataset.page !== String(number));
    });
    const page = await pdf.getPage(number);
    const width = Math.max(320, viewer.clientWidth - 32);
    const base = page.getViewport({ scale: 1 });
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: (width / base.width) * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
    rendering = page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport });
    try {
      await rendering.promise;
    } catch (error) {
      if (error && error.name === "RenderingCancelledException") { return; }
      throw error;
    } finally {
      rendering = null;
    }
    const content = await page.getTextContent();
    text("pack-text", content.items.map((item) => item.str || "").join(" "));
    viewer.dataset.renderedPage = String(number);
    text("pack-status", "");
  }

  document.getElementById("pack-prev").addEventListener("click", () => {
    if (current > 1) { show(current - 1); }
  });
  document.getElementById("pack-next").addEventListener("click", () => {
    if (current < pdf.numPages) { show(current + 1); }
  });
  await show(current);
}

start().catch((error) => {
  text("pack-status", viewer ? viewer.dataset.error || String(error) : String(error));
  if (viewer) { viewer.dataset.failed = "true"; }
});
