// SharpSeek web chat: talks to this server's OpenAI-compatible API (/v1/models, /v1/chat/completions with
// stream: true), shows `reasoning_content` deltas in a collapsible block and `content` as the answer.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { history: [], singleTurn: {}, controller: null, apiKey: localStorage.getItem("sharpseek.apiKey") || "" };

function headers() {
  const h = { "Content-Type": "application/json" };
  if (state.apiKey) h.Authorization = "Bearer " + state.apiKey;
  return h;
}

async function api(path, init = {}) {
  let r = await fetch(path, { ...init, headers: headers() });
  if (r.status === 401) {
    const key = prompt("This server needs an API key:");
    if (key) { state.apiKey = key; localStorage.setItem("sharpseek.apiKey", key); r = await fetch(path, { ...init, headers: headers() }); }
  }
  return r;
}

async function loadModels() {
  const r = await api("/v1/models");
  if (!r.ok) { $("status").textContent = "could not list models (" + r.status + ")"; return; }
  const { data } = await r.json();
  state.singleTurn = Object.fromEntries(data.map((m) => [m.id, !!m.single_turn]));
  const select = $("model");
  select.replaceChildren(...data.map((m) => new Option(m.id + (m.context_length ? ` · ${m.context_length} ctx` : ""), m.id)));
  const saved = localStorage.getItem("sharpseek.model");
  if (saved && data.some((m) => m.id === saved)) select.value = saved;
  hint();
}

function hint() {
  $("status").textContent = state.singleTurn[$("model").value] ? "This model answers each message on its own: earlier turns are not sent to it." : "";
}

function add(role) {
  $("empty").hidden = true;
  const el = document.createElement("div");
  el.className = "msg " + role;
  $("messages").appendChild(el);
  return el;
}

// Minimal, safe Markdown for answers: HTML is escaped first; then fenced code, inline code, bold, italics.
function escapeHtml(t) { return t.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
function markdown(text) {
  const parts = text.split(/```/);
  return parts.map((part, i) => {
    if (i % 2 === 1) {                                  // inside a fence: drop the language tag line
      const body = part.replace(/^[\w+-]*\n/, "");
      return "<pre><code>" + escapeHtml(body) + "</code></pre>";
    }
    return escapeHtml(part)
      .replace(/`([^`\n]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,!?:;]|$)/g, "$1<em>$2</em>");
  }).join("");
}

function scroll() { const m = $("messages"); m.scrollTop = m.scrollHeight; }

function newChat() {
  if (state.controller) state.controller.abort();
  state.history = [];
  $("messages").replaceChildren($("empty"));
  $("empty").hidden = false;
  hint();
  $("input").focus();
}

function busy(on) {
  $("send").hidden = on;
  $("stop").hidden = !on;
}

async function send(text) {
  state.history.push({ role: "user", content: text });
  add("user").textContent = text;
  const el = add("assistant");
  const details = document.createElement("details");
  details.className = "reasoning";
  details.open = true;
  details.hidden = true;
  const summary = document.createElement("summary");
  summary.textContent = "Thinking…";
  const thoughts = document.createElement("div");
  thoughts.className = "thoughts";
  details.append(summary, thoughts);
  const answer = document.createElement("div");
  answer.className = "answer";
  const meta = document.createElement("div");
  meta.className = "meta";
  el.append(details, answer, meta);
  scroll();

  const started = performance.now();
  let thinkingEnded = null, finish = null, usage = null, answerText = "";
  state.controller = new AbortController();
  busy(true);
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), signal: state.controller.signal,
      // a single-turn model (trained on single problems) gets the new message alone; the page still shows the whole chat
      body: JSON.stringify({ model: $("model").value, messages: state.singleTurn[$("model").value] ? state.history.slice(-1) : state.history,
                             stream: true, stream_options: { include_usage: true } }),
    });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : "HTTP " + r.status);
    }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const chunk = JSON.parse(data);
          if (chunk.error) throw new Error(chunk.error.message);
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices && chunk.choices[0];
          if (!choice) continue;
          const d = choice.delta || {};
          if (d.reasoning_content) { details.hidden = false; thoughts.textContent += d.reasoning_content; }
          if (d.content) {
            if (thinkingEnded === null && !details.hidden) {
              thinkingEnded = performance.now();
              summary.textContent = `Thought for ${((thinkingEnded - started) / 1000).toFixed(1)} s`;
              details.open = false;
            }
            answerText += d.content;
            answer.innerHTML = markdown(answerText);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        scroll();
      }
    }
  } catch (e) {
    if (e.name === "AbortError") finish = "stopped";
    else { const err = document.createElement("div"); err.className = "error"; err.textContent = "Error: " + e.message; el.appendChild(err); }
  } finally {
    state.controller = null;
    busy(false);
    el.classList.add("done");
    if (!details.hidden && thinkingEnded === null) summary.textContent = `Thought for ${((performance.now() - started) / 1000).toFixed(1)} s`;
    state.history.push({ role: "assistant", content: answerText });
    const secs = (performance.now() - started) / 1000;
    const parts = [];
    if (usage) parts.push(`${usage.completion_tokens} tokens (${usage.completion_tokens_details.reasoning_tokens} reasoning) · ${(usage.completion_tokens / secs).toFixed(1)} tok/s`);
    if (finish === "length") parts.push("stopped at the token limit");
    if (finish === "stopped") parts.push("stopped");
    meta.textContent = parts.join(" · ");
    scroll();
    $("input").focus();
  }
}

$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text || state.controller) return;
  $("input").value = "";
  $("input").style.height = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
});
$("input").addEventListener("input", (e) => { e.target.style.height = "auto"; e.target.style.height = e.target.scrollHeight + "px"; });
$("stop").addEventListener("click", () => { if (state.controller) state.controller.abort(); });
$("new-chat").addEventListener("click", newChat);
$("model").addEventListener("change", (e) => { localStorage.setItem("sharpseek.model", e.target.value); hint(); });
loadModels();
$("input").focus();
