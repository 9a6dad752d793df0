// newsmon's pages: live alerts on the wall, trying a query as it is typed, and the buttons of
// the sources and keywords. Plain JavaScript, no build step. Every value from the server is
// put into the page as text (textContent), never as HTML.
"use strict";

const TYPE_LABELS = {
  "item.new": "new item",
  "block.new": "new block",
  "block.edited": "edited",
  "block.removed": "removed",
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// "a **match** here" -> text and <mark> nodes.
function marked(snippet) {
  const out = document.createDocumentFragment();
  snippet.split(/\*\*(.+?)\*\*/).forEach((part, i) => {
    out.append(i % 2 ? el("mark", {}, part) : document.createTextNode(part));
  });
  return out;
}

function headline(alert) {
  const block = alert.block || {};
  const item = alert.item || {};
  return block.headline || item.title || item.url || alert.id;
}

// As views.excerpts: the passages of all terms together, each once.
function excerpts(alert) {
  const found = alert.snippets || [...new Set((alert.terms || []).flatMap((t) => t.snippets || []))];
  if (found.length) return found.slice(0, 3);
  const block = alert.block || {};
  const body = block.text || (alert.item || {}).text || "";
  return body ? [body.slice(0, 240) + (body.length > 240 ? "…" : "")] : [];
}

// As views.edit_pieces: an edited block's text, words added in <ins>, removed in <del>, with
// `context` characters either side of the changes. Offsets are code points (as in Python).
function editPieces(alert, context) {
  const marks = ((alert.edit || {}).marks) || [];
  const text = Array.from((alert.block || {}).text || "");
  if (!marks.length) return null;
  let lo = Math.max(marks[0].start - context, 0);
  let hi = Math.min(marks[marks.length - 1].end + context, text.length);
  if (lo) { const space = text.indexOf(" ", lo); if (space >= 0 && space < marks[0].start) lo = space + 1; }
  if (hi < text.length) { const space = text.lastIndexOf(" ", hi); if (space > marks[marks.length - 1].end) hi = space; }
  const out = el("p", { class: "edited" }, lo ? "…" : null);
  let cursor = lo;
  for (const mark of marks) {
    out.append(text.slice(cursor, mark.start).join(""));
    if (mark.removed) out.append(el("del", {}, mark.removed));
    if (mark.end > mark.start) out.append(el("ins", {}, text.slice(mark.start, mark.end).join("")));
    cursor = mark.end;
  }
  out.append(text.slice(cursor, hi).join("") + (hi < text.length ? "…" : ""));
  return out;
}

// A UTC time as the reader's own, labelled with its zone; the ISO time stays on hover.
function localTime(node) {
  const stamp = node.getAttribute("datetime") || "";
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(stamp)) return; // no zone: a local guess would be wrong
  const when = new Date(stamp);
  if (Number.isNaN(when.getTime())) return;
  const two = (n) => String(n).padStart(2, "0");
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(when).find((p) => p.type === "timeZoneName");
  const day = `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}`;
  const clock = `${two(when.getHours())}:${two(when.getMinutes())}:${two(when.getSeconds())}`;
  node.replaceChildren(el("span", {}, day), " ", el("span", {}, clock + (zone ? ` ${zone.value}` : "")));
  node.title = node.getAttribute("datetime");
}

function timeTag(stamp) {
  const node = el("time", { datetime: stamp, title: stamp }, stamp);
  localTime(node);
  return node;
}

function link(alert) {
  const url = (alert.block || {}).url || (alert.item || {}).url;
  return typeof url === "string" && /^https?:\/\//.test(url) ? url : null;
}

// The same card the server renders (templates/_alert.html alert_card).
function alertCard(streamId, alert) {
  const at = alert.detected_at || "";
  const meta = el("p", { class: "meta" },
    timeTag(at), " · ",
    el("span", { class: "source" }, alert.source), " · ",
    el("span", { class: `type type-${(alert.type || "").replace(".", "-")}` },
      TYPE_LABELS[alert.type] || alert.type));
  for (const t of alert.terms || []) {
    meta.append(el("span", { class: "term" }, `${t.name} ${t.before}→${t.after}`));
  }
  const card = el("article", { class: "alert fresh", "data-id": streamId, tabindex: "-1" }, meta,
    el("h2", {}, el("a", { href: `/alerts/${streamId}` }, headline(alert))));
  const edited = editPieces(alert, 160);
  if (edited) card.append(edited);
  if (!edited || (alert.terms || []).length) {
    for (const s of excerpts(alert)) card.append(el("p", { class: "snippet" }, marked(s)));
  }
  const out = link(alert);
  if (out) {
    card.append(el("p", { class: "out" },
      el("a", { href: out, rel: "noopener noreferrer", target: "_blank" }, "Read at the source")));
  }
  return card;
}

// An alert's story, when it has a usable one (as web/filters.story_id).
function storyOf(alert) {
  const story = alert.story;
  return story && typeof story === "object" && typeof story.id === "string" ? story : null;
}

// "N outlets, first: SOURCE at TIME", its count a link to the story's alerts alone.
function storyLine(storyId, outlets, firstSource, firstSeen) {
  return el("p", { class: "story-line" },
    el("a", { class: "story-link", href: `/?story=${encodeURIComponent(storyId)}`, title: "Only this story's alerts" },
      `${outlets} outlet${outlets === 1 ? "" : "s"}`),
    ", first: ", el("span", { class: "first-source" }, firstSource), " at ", timeTag(firstSeen));
}

// One other report of a story, expandable (templates/_alert.html report).
function reportItem(streamId, alert) {
  const summary = el("summary", {}, timeTag(alert.detected_at || ""), " · ",
    el("span", { class: "source" }, alert.source), " · ", headline(alert));
  const details = el("details", {}, summary);
  for (const s of excerpts(alert)) details.append(el("p", { class: "snippet" }, marked(s)));
  const out = el("p", { class: "out" }, el("a", { href: `/alerts/${streamId}` }, "The alert in full"));
  const url = link(alert);
  if (url) out.append(" · ", el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, "Read at the source"));
  details.append(out);
  return el("li", { class: "report", "data-id": streamId }, details);
}

// A story's card (templates/_alert.html story_card) opened by the alert that arrived.
function storyCard(streamId, alert, story) {
  const card = alertCard(streamId, alert);
  const outlets = Number.isInteger(story.sources) ? story.sources : 1;
  card.classList.add("story");
  card.setAttribute("data-story", story.id);
  card.setAttribute("data-outlets", String(outlets));
  card.append(storyLine(story.id, outlets, story.first_source || alert.source, story.first_seen || alert.detected_at || ""),
    el("ul", { class: "reports", "aria-label": "The other reports of this story" }));
  return card;
}

// An outlet joined: its report is listed, the count grows, and the card comes to the top.
function joinCard(card, streamId, alert, story) {
  card.querySelector("ul.reports").append(reportItem(streamId, alert));
  const outlets = Math.max(Number(card.dataset.outlets) || 0, Number.isInteger(story.sources) ? story.sources : 0);
  card.dataset.outlets = String(outlets);
  card.querySelector(".story-link").textContent = `${outlets} outlet${outlets === 1 ? "" : "s"}`;
  card.classList.add("fresh");
  card.parentNode.prepend(card);
}

function addAlert(list, streamId, alert) {
  const story = storyOf(alert);
  const card = story && list.querySelector(`article[data-story="${CSS.escape(story.id)}"]`);
  if (card) joinCard(card, streamId, alert, story);
  else list.prepend(story ? storyCard(streamId, alert, story) : alertCard(streamId, alert));
}

function startWall() {
  const list = document.getElementById("alerts");
  const live = document.getElementById("live");
  let after = list.dataset.after;
  let fresh = 0;
  const query = list.dataset.query + (after ? `after=${encodeURIComponent(after)}` : "");
  // The browser reconnects by itself, sending the last id it saw (Last-Event-ID).
  const source = new EventSource(`/api/events?${query}`);
  source.addEventListener("alert", (event) => {
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
    if (list.querySelector(`[data-id="${CSS.escape(event.lastEventId)}"]`)) return;
    addAlert(list, event.lastEventId, JSON.parse(event.data));
    after = event.lastEventId;
    fresh += 1;
    live.textContent = `${fresh} new alert${fresh === 1 ? "" : "s"} since the page opened.`;
  });
  source.addEventListener("open", () => list.setAttribute("data-live", "yes"));
  source.addEventListener("error", () => list.setAttribute("data-live", "reconnecting"));
  document.addEventListener("keydown", (event) => moveThroughAlerts(event, list));
}

// j / k move between alerts, as in feed readers; Enter on one opens it.
function moveThroughAlerts(event, list) {
  if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey) return;
  if (event.key !== "j" && event.key !== "k") return;
  const cards = [...list.querySelectorAll("article.alert")];
  if (!cards.length) return;
  const at = cards.indexOf(document.activeElement.closest("article.alert"));
  const next = event.key === "j" ? Math.min(at + 1, cards.length - 1) : Math.max(at - 1, 0);
  cards[next].focus();
  event.preventDefault();
}

async function send(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  return { ok: response.ok, status: response.status, data };
}

function showQueryError(box, query, error) {
  box.hidden = false;
  box.textContent = "";
  if (error.field === "query" && error.column) {
    box.append(`${error.error} at column ${error.column}\n`, query.split("\n")[0] + "\n",
      " ".repeat(error.column - 1) + "^");
  } else {
    box.append(`${error.field ? error.field + ": " : ""}${error.error}`);
  }
  box.dataset.column = error.column || "";
}

function matchItem(match) {
  const where = el("p", { class: "meta" }, el("span", { class: "source" }, match.source), " · ",
    match.document.title || match.document.id, " · ",
    `${match.count} match${match.count === 1 ? "" : "es"}`, " · ",
    el("span", { class: "lang" }, match.lang ? `taken as ${match.lang}` : "language unknown"));
  const item = el("li", {}, where, el("h3", {}, match.block.headline || match.document.title));
  for (const s of match.snippets) item.append(el("p", { class: "snippet" }, marked(s)));
  return item;
}

function startWorkbench() {
  const form = document.getElementById("workbench");
  const query = document.getElementById("query");
  const error = document.getElementById("query-error");
  const summary = document.getElementById("summary");
  const matches = document.getElementById("matches");
  let timer = null;
  let asked = 0;
  const tryIt = async () => {
    const text = query.value;
    const mine = ++asked;
    if (!text.trim()) {
      error.hidden = true;
      matches.textContent = "";
      summary.textContent = "Type a query to try it against the documents the monitor has stored.";
      return;
    }
    const body = { query: text, language: form.language.value, last: Number(form.last.value) || 20 };
    const reply = await send("POST", "/api/keywords/test", body);
    if (mine !== asked) return; // a newer keystroke's answer is on its way
    matches.textContent = "";
    if (!reply.ok) {
      showQueryError(error, text, reply.data);
      summary.textContent = "Fix the query to see what it matches.";
      return;
    }
    error.hidden = true;
    const { total, documents, took_ms: took } = reply.data;
    summary.textContent = `${total} block${total === 1 ? "" : "s"} matched in ${documents} stored document${documents === 1 ? "" : "s"} (${took} ms).`;
    reply.data.matches.forEach((m) => matches.append(matchItem(m)));
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(tryIt, 200); };
  for (const input of [query, form.language, form.last]) input.addEventListener("input", later);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const saved = document.getElementById("saved");
    const reply = await send("POST", "/api/keywords",
      { name: form.name.value, query: query.value, language: form.language.value });
    if (!reply.ok) {
      if (reply.data.field === "query") showQueryError(error, query.value, reply.data);
      saved.textContent = `Not saved: ${reply.data.field ? reply.data.field + ": " : ""}${reply.data.error}`;
      return;
    }
    saved.textContent = `Watching ${reply.data.name}: new alerts will name it.`;
    addKeywordRow(reply.data);
  });
  document.getElementById("keywords").addEventListener("click", (event) => keywordAction(event, form));
  if (query.value) tryIt();
}

function addKeywordRow(spec) {
  const body = document.querySelector("#keywords tbody");
  const old = body.querySelector(`tr[data-name="${CSS.escape(spec.name)}"]`);
  const row = el("tr", { "data-name": spec.name }, el("td", {}, spec.name),
    el("td", {}, el("code", {}, spec.query)), el("td", {}, spec.language),
    el("td", {}, el("button", { type: "button", class: "edit", "data-query": spec.query, "data-language": spec.language }, "Edit"),
      " ", el("button", { type: "button", class: "remove" }, "Remove")));
  if (old) old.replaceWith(row); else body.append(row);
}

async function keywordAction(event, form) {
  const button = event.target.closest("button");
  if (!button) return;
  const row = button.closest("tr");
  if (button.classList.contains("edit")) {
    form.name.value = row.dataset.name;
    form.query.value = button.dataset.query;
    form.language.value = button.dataset.language;
    form.query.focus();
    form.query.dispatchEvent(new Event("input"));
  } else if (button.classList.contains("remove")) {
    if (!window.confirm(`Stop watching ${row.dataset.name}?`)) return;
    const reply = await send("DELETE", `/api/keywords/${encodeURIComponent(row.dataset.name)}`);
    if (reply.ok) row.remove();
  }
}

function startSources() {
  document.getElementById("sources").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const name = button.closest("tr").dataset.name;
    const action = button.dataset.action;
    if (action === "remove" && !window.confirm(`Stop watching ${name} and forget its state?`)) return;
    const url = `/api/sources/${encodeURIComponent(name)}` + (action === "remove" ? "" : `/${action}`);
    const reply = await send(action === "remove" ? "DELETE" : "POST", url);
    if (reply.ok) window.location.reload();
  });
  const form = document.getElementById("add-source");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: form.name.value, url: form.url.value, kind: form.kind.value };
    if (form.interval.value.trim()) body.interval = form.interval.value.trim();
    body.tier = Number(form.tier.value);
    const reply = await send("POST", "/api/sources", body);
    const box = document.getElementById("source-error");
    if (reply.ok) { window.location.reload(); return; }
    box.hidden = false;
    box.textContent = `${reply.data.field ? reply.data.field + ": " : ""}${reply.data.error}`;
  });
}

const STARTS = { wall: startWall, workbench: startWorkbench, sources: startSources };
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("time[datetime]").forEach(localTime);
  const start = STARTS[document.body.dataset.page];
  if (start) start();
});
