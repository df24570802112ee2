// The demo's Slack-like client. It shows what the fakes hold and sends
// every action to the demo server, which turns it into the Socket Mode
// envelope Slack would send to toban.
"use strict";

(() => {
  const { h } = BlockKit;
  const params = new URLSearchParams(location.search);
  const S = {
    me: params.get("as") || "U0ALICE",
    channel: params.get("channel") || "C0ALERTS",
    nav: "channel", // or "home"
    thread: null,
    data: null,
    modalValues: {}, // view id → block_id → action_id → state
    modalErrors: {}, // view id → block_id → message
    dismissed: new Set(),
    drawn: {},
  };
  const $ = (id) => document.getElementById(id);

  function toast(msg) {
    const t = $("toast");
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  async function post(path, body) {
    const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const out = await res.json().catch(() => ({ error: `answer ${res.status}` }));
    if (!res.ok) {
      toast(out.error || `request failed (${res.status})`);
      throw new Error(out.error);
    }
    refresh();
    return out;
  }

  // --- live state ------------------------------------------------------------

  let inflight = false, again = false;
  async function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    try {
      const res = await fetch(`/api/state?as=${encodeURIComponent(S.me)}`);
      if (res.ok) { S.data = await res.json(); draw(); }
    } catch (e) { /* the stream reconnects and calls again */ }
    inflight = false;
    if (again) { again = false; refresh(); }
  }

  function connect() {
    const es = new EventSource("/api/events");
    es.addEventListener("change", () => refresh());
    es.onerror = () => { es.close(); setTimeout(connect, 1000); };
  }

  // --- drawing ----------------------------------------------------------------

  const now = () => new Date(S.data ? S.data.now : Date.now());
  const pad = (n) => String(n).padStart(2, "0");
  const hhmm = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const tsDate = (ts) => new Date(parseFloat(ts) * 1000);
  const changed = (key, value) => {
    const s = JSON.stringify(value);
    if (S.drawn[key] === s) return false;
    S.drawn[key] = s;
    return true;
  };

  function draw() {
    const d = S.data;
    const people = {}, chans = {};
    for (const p of d.team) people[p.id] = p.name;
    people[d.bot] = "toban";
    for (const c of d.channels) chans[c.id] = c.name;
    Mrkdwn.setDirectory(people, chans);
    drawChrome(d);
    drawMain(d);
    drawThread(d);
    drawModal(d);
    drawPagerDuty(d);
  }

  function drawChrome(d) {
    if (changed("chrome", [d.team, S.me, S.channel, S.nav])) {
      $("act-as").replaceChildren(...d.team.map((p) => {
        const o = h("option", { value: p.id }, `${p.name} — ${p.role}`);
        o.selected = p.id === S.me;
        return o;
      }));
      $("channel-list").replaceChildren(...d.channels.map((c) => h("li", {}, h("a", {
        href: "#", class: S.nav === "channel" && c.id === S.channel ? "active" : "", "data-channel": c.id,
        onclick: (e) => { e.preventDefault(); S.nav = "channel"; S.channel = c.id; S.thread = null; S.drawn = {}; draw(); },
      }, "# " + c.name))));
      $("open-home").className = S.nav === "home" ? "active" : "";
      $("team-list").replaceChildren(...d.team.map((p) => h("li", { class: p.id === S.me ? "me" : "" }, `● ${p.name}`)));
      for (const el of document.querySelectorAll(".me-name")) el.textContent = people(d, S.me);
    }
    const ahead = Math.round((new Date(d.now) - new Date(d.started)) / 60000);
    $("clock-now").textContent = `Demo time: ${now().toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false })}` +
      (ahead >= 1 ? `  (+${fmtDuration(ahead)})` : "");
  }

  const people = (d, id) => (d.team.find((p) => p.id === id) || { name: id }).name;
  function fmtDuration(min) {
    const dd = Math.floor(min / 1440), hh = Math.floor((min % 1440) / 60), mm = min % 60;
    return [dd && `${dd}d`, hh && `${hh}h`, mm && `${mm}m`].filter(Boolean).join(" ") || "0m";
  }

  function messageCtx(m) {
    return {
      now: now(), kind: "message",
      directory: directory(m.channel),
      onAction: (action) => post("/api/action", { user: S.me, channel: m.channel, ts: m.ts, ephemeral: !!m.ephemeral, action }),
    };
  }

  function directory(current) {
    const d = S.data;
    return { users: d.team.map((p) => [p.id, p.name]), channels: d.channels.map((c) => [c.id, c.name]), current };
  }

  function renderMessage(m, replies) {
    const d = S.data;
    const bot = m.user === d.bot;
    const name = bot ? "toban" : people(d, m.user);
    const body = h("div", { class: "msg-body" },
      h("div", { class: "msg-head" }, h("b", {}, name), bot ? h("span", { class: "app-tag" }, "APP") : null,
        h("span", { class: "msg-time", title: tsDate(m.ts).toString() }, hhmm(tsDate(m.ts))),
        m.edited ? h("span", { class: "edited" }, " (edited)") : null));
    if (m.blocks && m.blocks.length) body.append(BlockKit.render(m.blocks, messageCtx(m)));
    else if (m.text) body.append(h("div", { html: Mrkdwn.render(m.text, now()) }));
    for (const f of m.files || []) {
      const isImg = /\.png$/i.test(f.name);
      body.append(h("div", { class: "file" }, h("a", { class: "fname", href: f.url, target: "_blank", download: isImg ? null : f.name }, "📎 " + (f.title || f.name)),
        isImg ? h("img", { src: f.url, alt: f.title || f.name }) : h("small", {}, f.name + " — download")));
    }
    if (replies && replies.length) {
      body.append(h("button", { type: "button", class: "replies", onclick: () => { S.thread = m.ts; S.drawn.thread = null; draw(); } },
        `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`));
    }
    if (m.ephemeral) {
      body.append(h("div", { class: "eph-note" }, "👁 Only visible to you · ", h("a", { onclick: () => { S.dismissed.add(m.ts); S.drawn.main = null; draw(); } }, "Dismiss")));
    }
    return h("div", { class: "msg" + (m.ephemeral ? " ephemeral" : ""), "data-ts": m.ts }, h("div", { class: "avatar" }, bot ? "t" : name[0]), body);
  }

  function drawMain(d) {
    const home = S.nav === "home";
    $("messages").hidden = home;
    $("home").hidden = !home;
    $("composer-form").hidden = home;
    if (home) {
      $("channel-header").replaceChildren("toban", h("small", {}, "App Home"));
      if (changed("main", ["home", d.home, S.me])) drawHome(d);
      return;
    }
    const ch = d.channels.find((c) => c.id === S.channel) || d.channels[0];
    $("channel-header").replaceChildren("# " + ch.name, h("small", {}, ch.id === "C0ALERTS" ? "incident cards from PagerDuty" : "the team's channel"));
    const msgs = d.messages[ch.id] || [];
    const eph = (d.ephemerals || []).filter((m) => m.channel === ch.id && !S.dismissed.has(m.ts));
    if (!changed("main", [msgs, eph, S.me, ch.id, Math.floor(new Date(d.now) / 60000)])) return;
    const replies = {};
    for (const m of msgs) if (m.thread_ts && m.thread_ts !== m.ts) (replies[m.thread_ts] ||= []).push(m);
    const top = msgs.filter((m) => !m.thread_ts || m.thread_ts === m.ts).concat(eph.filter((m) => !m.thread_ts));
    top.sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.replaceChildren(...(top.length ? top.map((m) => renderMessage(m, replies[m.ts])) :
      [h("div", { class: "day-divider" }, "No messages yet.")]));
    if (atBottom || !S.scrolled) { box.scrollTop = box.scrollHeight; S.scrolled = true; }
  }

  function viewCtx(view) {
    const id = view.id;
    const values = (S.modalValues[id] ||= {});
    return {
      now: now(), kind: "view", directory: directory(S.channel),
      errors: S.modalErrors[id],
      state: {
        get: (b, a) => values[b] && values[b][a],
        set: (b, a, v) => { (values[b] ||= {})[a] = v; },
      },
      onAction: (action) => post("/api/action", { user: S.me, view_id: id, values, action }),
      suggest: async (block, action, value) => {
        const out = await post("/api/suggest", { user: S.me, view_id: id, block_id: block, action_id: action, value });
        return out.ack;
      },
    };
  }

  function drawHome(d) {
    if (!d.home) {
      $("home").replaceChildren(h("div", { class: "eph-note" }, "Opening toban's App Home…"));
      return;
    }
    $("home").replaceChildren(BlockKit.render(d.home.blocks, viewCtx(d.home)));
  }

  function drawThread(d) {
    const pane = $("thread");
    pane.hidden = !S.thread || S.nav !== "channel";
    if (pane.hidden) return;
    const msgs = (d.messages[S.channel] || []).filter((m) => m.ts === S.thread || m.thread_ts === S.thread);
    if (!changed("thread", [msgs, S.thread])) return;
    $("thread-messages").replaceChildren(...msgs.map((m) => renderMessage(m)));
  }

  function drawModal(d) {
    const modals = d.modals || [];
    const top = modals.length ? modals[modals.length - 1] : null;
    if (!changed("modal", [top && top.id, top && top.hash, top && S.modalErrors[top.id], modals.length])) return;
    const root = $("modal-root");
    root.querySelectorAll(".backdrop.modal-backdrop").forEach((n) => n.remove());
    if (!top) return;
    const ctx = viewCtx(top);
    const submit = async () => {
      const out = await post("/api/submit", { user: S.me, view_id: top.id, values: S.modalValues[top.id] || {} });
      const ack = out.ack || {};
      S.modalErrors[top.id] = ack.response_action === "errors" ? ack.errors : undefined;
      S.drawn.modal = null;
      draw();
    };
    const close = () => post("/api/close", { user: S.me, view_id: top.id });
    const modal = h("div", { class: "modal", role: "dialog", "aria-label": (top.title && top.title.text) || "modal", "data-callback-id": top.callback_id },
      h("div", { class: "modal-head" }, h("span", { class: "app-icon" }, "t"), h("span", { class: "title" }, (top.title && top.title.text) || ""),
        h("button", { type: "button", class: "link", "aria-label": "close", onclick: close }, "✕")),
      h("div", { class: "modal-body" }, BlockKit.render(top.blocks, ctx)),
      h("div", { class: "modal-foot" },
        h("button", { type: "button", class: "bk-btn", onclick: close }, (top.close && top.close.text) || "Cancel"),
        top.submit ? h("button", { type: "button", class: "bk-btn primary", id: "modal-submit", onclick: submit }, top.submit.text) : null));
    root.append(h("div", { class: "backdrop modal-backdrop" }, modal));
  }

  function drawPagerDuty(d) {
    const pd = d.pagerduty;
    if (changed("pd-services", pd.services)) {
      const opts = () => pd.services.map((s) => h("option", { value: s.id }, s.name));
      $("pd-service").replaceChildren(...opts());
    }
    if (!changed("pd", [pd.incidents, pd.overrides, pd.maintenance, S.me])) return;
    const when = (t) => new Date(t).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false });
    const incs = pd.incidents.slice(0, 60);
    $("pd-incidents").replaceChildren(...(incs.length ? incs.map((i) => h("li", { "data-incident": i.id },
      h("div", {}, h("span", { class: "status " + i.status }, i.status), ` #${i.number} ${i.title}`),
      h("small", {}, `${i.service} · ${i.urgency}` + (i.acknowledged_by.length ? ` · ack: ${i.acknowledged_by.join(", ")}` : "") +
        (i.assignees.length ? ` · assigned: ${i.assignees.join(", ")}` : "")),
      i.status === "resolved" ? null : h("div", { class: "acts" },
        i.status === "triggered" ? h("button", { type: "button", onclick: () => post("/api/pd/change", { incident: i.id, action: "acknowledge", user: S.me }) }, "Acknowledge in app") : null,
        h("button", { type: "button", onclick: () => post("/api/pd/change", { incident: i.id, action: "resolve", user: S.me }) }, "Resolve in app"))))
      : [h("li", {}, "No incidents since the demo started.")]));
    $("pd-overrides").replaceChildren(...(pd.overrides || []).map((o) => h("li", {}, `${o.schedule}: ${o.user}, ${when(o.start)} → ${when(o.end)}`)));
    if (!(pd.overrides || []).length) $("pd-overrides").append(h("li", {}, "None."));
    $("pd-mws").replaceChildren(...(pd.maintenance || []).map((m) => h("li", {}, `${m.description || "(no description)"} — ${m.services.join(", ")}, ${when(m.start)} → ${when(m.end)}`)));
    if (!(pd.maintenance || []).length) $("pd-mws").append(h("li", {}, "None."));
  }

  // --- wiring -----------------------------------------------------------------

  $("composer-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("composer");
    const text = input.value.trim();
    const err = $("composer-error");
    err.hidden = true;
    if (!text) return;
    if (!text.startsWith("/toban")) {
      err.textContent = "This demo workspace only has toban's command: type /toban followed by a subcommand, e.g. /toban incidents.";
      err.hidden = false;
      return;
    }
    input.value = "";
    try { await post("/api/slash", { user: S.me, channel: S.channel, text }); } catch (x) { input.value = text; }
  });
  $("act-as").addEventListener("change", (e) => {
    S.me = e.target.value;
    S.drawn = {};
    if (S.nav === "home") post("/api/home", { user: S.me }).catch(() => {});
    refresh();
  });
  $("open-home").addEventListener("click", (e) => {
    e.preventDefault();
    S.nav = "home"; S.thread = null; S.drawn = {};
    draw();
    post("/api/home", { user: S.me }).catch(() => {});
  });
  $("close-thread").addEventListener("click", () => { S.thread = null; draw(); });
  for (const b of document.querySelectorAll("[data-minutes]")) {
    b.addEventListener("click", () => post("/api/clock", { minutes: Number(b.dataset.minutes) }).catch(() => {}));
  }
  $("pd-trigger").addEventListener("submit", (e) => {
    e.preventDefault();
    post("/api/pd/trigger", { service: $("pd-service").value, title: $("pd-title").value, urgency: $("pd-urgency").value }).catch(() => {});
  });
  $("pd-storm").addEventListener("click", () => post("/api/pd/storm", { service: $("pd-service").value }).catch(() => {}));

  connect();
  refresh();
})();
