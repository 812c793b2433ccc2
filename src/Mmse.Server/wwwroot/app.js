// The search page: calls GET /search and renders the hits. No framework, no external code;
// every value from the server is inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const form = $("search"), q = $("q"), k = $("k"), filter = $("filter");
const statusLine = $("status"), errorBox = $("error"), results = $("results");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function filterClauses(text) {
  // "category:Tools > Hardware, brand:HardCo" -> two clauses; a comma inside a value is not supported here.
  return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

async function loadEngine() {
  try {
    const response = await fetch("/healthz");
    const health = await response.json();
    $("engine").textContent = `model ${health.modelVersion} · ${health.heads} heads · ${health.items.toLocaleString()} items`;
  } catch {
    $("engine").textContent = "the server did not answer /healthz";
  }
}

function render(data, roundTripMs) {
  results.replaceChildren();
  statusLine.textContent = `${data.hits.length} hits for “${data.query}” in ${data.tookMs.toFixed(2)} ms (round trip ${roundTripMs.toFixed(0)} ms)`;
  data.hits.forEach((hit, i) => {
    const li = el("li", "hit");
    li.append(el("span", "rank", `${i + 1}.`));
    li.append(el("span", "title", hit.title));
    li.append(el("span", "score", hit.score.toFixed(3)));
    const meta = [hit.id, hit.category, hit.brand].filter((x) => x).join(" · ");
    li.append(el("span", "meta", meta));
    const heads = el("div", "heads");
    hit.headScores.forEach((z, h) => {
      const matched = h === hit.head;
      const head = el("span", matched ? "head matched" : "head");
      head.append(el("span", "", `head ${h + 1}${matched ? " ✓" : ""}`));
      const bar = el("span", "bar");
      const fill = el("span");
      fill.style.width = `${Math.max(0, Math.min(1, z)) * 100}%`;
      bar.append(fill);
      head.append(bar, el("span", "", z.toFixed(3)));
      head.title = matched ? "the head that matched best" : "";
      heads.append(head);
    });
    li.append(heads);
    results.append(li);
  });
}

async function search() {
  errorBox.hidden = true;
  const params = new URLSearchParams({ q: q.value, k: k.value });
  for (const clause of filterClauses(filter.value)) params.append("filter", clause);
  history.replaceState(null, "", `/?${params}`);
  $("go").disabled = true;
  const start = performance.now();
  try {
    const response = await fetch(`/search?${params}`, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      results.replaceChildren();
      statusLine.textContent = "";
      showError(body.detail || body.title || `HTTP ${response.status}`);
      return;
    }
    render(body, performance.now() - start);
  } catch (e) {
    showError(`the search failed: ${e.message}`);
  } finally {
    $("go").disabled = false;
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  search();
});

// A k from the address bar that is not on the menu (k=5, k=abc) takes the nearest entry at or
// above it (the largest for more than the menu holds, the first for no number): never an empty k.
function nearestK(text) {
  const wanted = Number.parseInt(text, 10);
  const choices = Array.from(k.options, (o) => Number(o.value));
  if (!Number.isFinite(wanted)) return String(choices[0]);
  const above = choices.find((c) => c >= wanted);
  return String(above ?? choices[choices.length - 1]);
}

const initial = new URLSearchParams(location.search);
if (initial.get("q")) {
  q.value = initial.get("q");
  if (initial.get("k")) k.value = nearestK(initial.get("k"));
  filter.value = initial.getAll("filter").join(", ");
  search();
}
loadEngine();
