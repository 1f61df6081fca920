/// The page at `GET /`: devices, which blocks of which layer each holds, migrations as they happen, the per-token
/// latency as a plot (all from `GET /v1/status`, polled every second), and a chat box that streams from
/// `POST /v1/chat/completions`. One self-contained page: no external scripts, styles or fonts.
enum Dashboard {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Headway</title>
<style>
  :root { --fg:#1d2330; --muted:#6b7385; --line:#dde1e8; --bg:#f7f8fa; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
  header { padding:12px 20px; background:#1d2330; color:#fff; display:flex; gap:24px; align-items:baseline; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  header span { color:#c9cfdb; }
  main { display:grid; grid-template-columns: minmax(0,3fr) minmax(300px,2fr); gap:16px; padding:16px 20px; }
  section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:12px 14px; margin-bottom:16px; }
  h2 { font-size:14px; margin:0 0 8px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
  table { border-collapse:collapse; width:100%; }
  td, th { border-bottom:1px solid var(--line); padding:3px 6px; text-align:left; font-variant-numeric:tabular-nums; }
  #placement { width:auto; }
  #placement td.cell { width:22px; height:18px; text-align:center; font-size:11px; color:#fff; border:1px solid #fff; padding:0; }
  .up { color:#1a7f37; font-weight:600; } .down { color:#c62828; font-weight:600; }
  .swatch { display:inline-block; width:12px; height:12px; border-radius:2px; vertical-align:middle; margin-right:6px; }
  #latency { width:100%; height:160px; display:block; }
  #chat-log { height:320px; overflow-y:auto; border:1px solid var(--line); border-radius:4px; padding:8px; background:#fbfbfc; }
  .msg { margin:0 0 8px; white-space:pre-wrap; } .msg b { display:block; font-size:12px; color:var(--muted); }
  #chat-form { display:flex; gap:8px; margin-top:8px; }
  #chat-input { flex:1; min-height:38px; font:inherit; padding:6px; }
  button { font:inherit; padding:6px 14px; }
  .muted { color:var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Headway</h1>
  <span>model <b id="model">…</b></span>
  <span id="mode"></span>
  <span>sequences <b id="active">0</b> active, <b id="queued">0</b> queued</span>
  <span>tokens <b id="tokens">0</b></span>
  <span id="conn" class="muted"></span>
</header>
<main>
  <div>
    <section>
      <h2>Devices</h2>
      <table id="devices"><thead><tr><th>device</th><th>state</th><th>blocks</th><th>memory</th><th>address</th></tr></thead><tbody></tbody></table>
    </section>
    <section>
      <h2>Per-token latency (ms)</h2>
      <svg id="latency" viewBox="0 0 600 160" preserveAspectRatio="none"></svg>
      <div id="latency-note" class="muted"></div>
    </section>
    <section>
      <h2>Placement: blocks of each layer by device</h2>
      <div id="placement-note" class="muted"></div>
      <table id="placement"><tbody></tbody></table>
    </section>
    <section>
      <h2>Migrations</h2>
      <table id="migrations"><thead><tr><th>time</th><th>block</th><th>from → to</th><th>bytes</th><th>pause</th></tr></thead><tbody></tbody></table>
      <div id="migrations-note" class="muted">none yet</div>
    </section>
    <section>
      <h2>Links</h2>
      <table id="links"><thead><tr><th>from → to</th><th>bytes</th></tr></thead><tbody></tbody></table>
      <div id="links-note" class="muted">none (one device)</div>
    </section>
  </div>
  <div>
    <section>
      <h2>Chat</h2>
      <div id="chat-log"></div>
      <form id="chat-form">
        <textarea id="chat-input" placeholder="Say something…"></textarea>
        <button id="chat-send" type="submit">Send</button>
      </form>
      <div id="chat-state" class="muted"></div>
    </section>
  </div>
</main>
<script>
"use strict";
const colors = ["#3b6fd4","#d4813b","#2e9e6a","#a04fc2","#c23b5a","#2b9bb0","#8a8f2e","#6b5a3b","#5a6b8a","#b0502b"];
const color = d => colors[d % colors.length];
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
const bytes = n => n == null ? "" : n >= 1<<30 ? (n/(1<<30)).toFixed(1)+" GiB" : n >= 1<<20 ? (n/(1<<20)).toFixed(1)+" MiB" : n >= 1024 ? (n/1024).toFixed(1)+" KiB" : n+" B";
let model = null;
function setHTML(el, html) { if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; } }

function render(s) {
  model = s.model;
  $("model").textContent = s.model;
  $("mode").textContent = s.mode + ": " + s.scheduling;
  $("active").textContent = s.activeSequences;
  $("queued").textContent = s.queuedSequences;
  $("tokens").textContent = s.tokensGenerated;
  const held = {};
  for (const b of s.placement) held[b.device] = (held[b.device] || 0) + 1;
  // Tables are rebuilt only when what they show changed (the page polls every second).
  const devicesHTML = s.devices.map(d =>
    `<tr data-device="${d.id}"><td><span class="swatch" style="background:${color(d.id)}"></span>${esc(d.name)}</td>` +
    `<td class="${d.up ? "up" : "down"}">${d.up ? "up" : "down"}</td><td>${held[d.id] || 0}</td>` +
    `<td>${bytes(d.memoryBytes)}</td><td>${esc(d.address || "this process")}</td></tr>`).join("");
  setHTML($("devices").tBodies[0], devicesHTML);
  // Placement grid: one row per layer, one column per block (attention groups, projection, FFN).
  const cols = [];
  for (let g = 0; g < s.groupsPerLayer; g++) cols.push(["attention", g, "h" + g]);
  cols.push(["projection", null, "proj"], ["ffn", null, "ffn"]);
  const at = {};
  for (const b of s.placement) at[b.layer + "/" + b.kind + "/" + (b.group ?? "")] = b.device;
  let rows = "<tr><th>layer</th>" + cols.map(c => `<th>${c[2]}</th>`).join("") + "</tr>";
  for (let l = 0; l < s.layers; l++) {
    rows += `<tr><th>${l}</th>` + cols.map(c => {
      const d = at[l + "/" + c[0] + "/" + (c[1] ?? "")];
      return d == null ? `<td class="cell" style="background:#ccc">?</td>`
        : `<td class="cell" data-layer="${l}" data-device="${d}" title="L${l}.${c[2]} on ${esc(s.devices.find(x => x.id === d)?.name ?? d)}" style="background:${color(d)}">${d}</td>`;
    }).join("") + "</tr>";
  }
  setHTML($("placement").tBodies[0], rows);
  $("placement-note").textContent = `${s.placement.length} blocks in ${s.layers} layers on ${Object.keys(held).length} device(s)`;
  const name = id => esc(s.devices.find(x => x.id === id)?.name ?? id);
  const migs = s.migrations.slice().reverse();
  setHTML($("migrations").tBodies[0], migs.map(m =>
    `<tr><td>${new Date(m.time*1000).toLocaleTimeString()}</td><td>L${m.block.layer}.${m.block.kind}${m.block.group != null ? m.block.group : ""}</td>` +
    `<td>${name(m.from)} → ${name(m.to)}</td><td>${bytes(m.bytes)}</td><td>${(m.pauseSeconds*1000).toFixed(1)} ms</td></tr>`).join(""));
  $("migrations-note").textContent = migs.length ? "" : "none yet";
  setHTML($("links").tBodies[0], s.links.map(k => `<tr><td>${name(k.from)} → ${name(k.to)}</td><td>${bytes(k.bytes)}</td></tr>`).join(""));
  $("links-note").textContent = s.links.length ? "" : "none (one device)";
  plot(s.tokenLatencies);
}

function plot(samples) {
  const svg = $("latency"), W = 600, H = 160;
  if (!samples.length) { svg.innerHTML = ""; $("latency-note").textContent = "no tokens yet"; return; }
  const ms = samples.map(x => x.seconds * 1000);
  const top = Math.max(...ms) * 1.1 || 1;
  const pts = ms.map((v, i) => `${(i / Math.max(ms.length - 1, 1) * W).toFixed(1)},${(H - v / top * H).toFixed(1)}`).join(" ");
  svg.innerHTML = `<polyline fill="none" stroke="#3b6fd4" stroke-width="1.5" points="${pts}"/>` +
    `<text x="4" y="12" font-size="11" fill="#6b7385">${top.toFixed(1)} ms</text>`;
  const sorted = ms.slice().sort((a, b) => a - b);
  const p = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  $("latency-note").textContent = `last ${ms.length} tokens: median ${p(0.5)} ms, p95 ${p(0.95)} ms, last ${ms[ms.length-1].toFixed(2)} ms`;
}

async function poll() {
  try {
    const r = await fetch("/v1/status", {cache: "no-store"});
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
    $("conn").textContent = "";
  } catch (e) {
    $("conn").textContent = "status unavailable: " + e.message;
  }
  setTimeout(poll, 1000);
}

const history = [];
function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  div.innerHTML = `<b>${role}</b><span></span>`;
  div.lastChild.textContent = text;
  $("chat-log").appendChild(div);
  $("chat-log").scrollTop = $("chat-log").scrollHeight;
  return div.lastChild;
}

async function send(text) {
  history.push({role: "user", content: text});
  addMessage("user", text);
  const out = addMessage("assistant", "");
  out.parentNode.dataset.state = "streaming";
  $("chat-send").disabled = true;
  $("chat-state").textContent = "generating…";
  let answer = "";
  try {
    const r = await fetch("/v1/chat/completions", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({model: model, messages: history, stream: true, max_tokens: 256})});
    if (!r.ok) { const e = await r.json(); throw new Error(e.error ? e.error.message : "HTTP " + r.status); }
    const reader = r.body.getReader(), decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const j = JSON.parse(data);
        if (j.error) throw new Error(j.error.message);
        const delta = j.choices && j.choices[0] && j.choices[0].delta;
        if (delta && delta.content) { answer += delta.content; out.textContent = answer; }
      }
    }
    history.push({role: "assistant", content: answer});
    $("chat-state").textContent = "";
  } catch (e) {
    $("chat-state").textContent = "error: " + e.message;
    history.pop();
  }
  out.parentNode.dataset.state = "done";
  $("chat-send").disabled = false;
}

$("chat-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const text = $("chat-input").value.trim();
  if (!text) return;
  $("chat-input").value = "";
  send(text);
});
$("chat-input").addEventListener("keydown", ev => {
  if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("chat-form").requestSubmit(); }
});
poll();
</script>
</body>
</html>
"""#
}
