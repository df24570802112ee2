// Block Kit: renders blocks and turns a person's clicks and choices into
// the action objects Slack puts in block_actions payloads.
"use strict";

const BlockKit = (() => {
  const M = Mrkdwn;

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "html") el.innerHTML = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  // text renders a text object (plain_text or mrkdwn).
  function text(t, ctx) {
    if (!t) return "";
    if (typeof t === "string") return M.esc(t);
    if (t.type === "mrkdwn") return M.render(t.text, ctx.now);
    return M.esc(t.text).replace(/:([a-z0-9_+-]+):/g, (m, n) => t.emoji === false ? m : M.emoji(n));
  }
  const plain = (t) => (t && t.text) || "";

  function option(o) {
    return { text: { type: "plain_text", text: plain(o.text), emoji: true }, value: o.value };
  }

  // confirm shows a confirmation dialog object; resolves true on confirm.
  function confirm(c, ctx) {
    return new Promise((resolve) => {
      const done = (yes) => { back.remove(); resolve(yes); };
      const back = h("div", { class: "backdrop" },
        h("div", { class: "dialog", role: "dialog" },
          h("h2", {}, plain(c.title) || "Are you sure?"),
          h("div", { html: text(c.text, ctx) }),
          h("div", { class: "foot" },
            h("button", { type: "button", class: "bk-btn", onclick: () => done(false) }, plain(c.deny) || "Cancel"),
            h("button", { type: "button", class: "bk-btn " + (c.style === "danger" ? "danger" : "primary"), onclick: () => done(true) }, plain(c.confirm) || "Yes"))));
      document.getElementById("modal-root").append(back);
    });
  }

  // dispatch reports an action, after the element's confirmation if any.
  async function dispatch(el, blockId, action, ctx, node) {
    if (el.confirm && !(await confirm(el.confirm, ctx))) return;
    action.block_id = blockId;
    action.action_id = el.action_id;
    if (node) node.disabled = true;
    try { await ctx.onAction(action); } finally { if (node) node.disabled = false; }
  }

  // --- interactive elements ------------------------------------------------

  function button(el, blockId, ctx) {
    const node = h("button", { type: "button", class: "bk-btn " + (el.style || ""), "data-action-id": el.action_id }, plain(el.text));
    node.addEventListener("click", () => {
      if (el.url) window.open(el.url, "_blank", "noopener");
      dispatch(el, blockId, { type: "button", text: option({ text: el.text }).text, value: el.value }, ctx, node);
    });
    return node;
  }

  function overflow(el, blockId, ctx) {
    const wrap = h("span", { class: "overflow" });
    const btn = h("button", { type: "button", class: "bk-btn", "aria-label": "more actions" }, "⋯");
    let menu = null;
    btn.addEventListener("click", () => {
      if (menu) { menu.remove(); menu = null; return; }
      menu = h("div", { class: "overflow-menu" }, (el.options || []).map((o) =>
        h("button", { type: "button", onclick: () => {
          menu.remove(); menu = null;
          dispatch(el, blockId, { type: "overflow", selected_option: option(o) }, ctx);
        } }, plain(o.text))));
      wrap.append(menu);
    });
    wrap.append(btn);
    return wrap;
  }

  function allOptions(el) {
    const out = [...(el.options || [])];
    for (const g of el.option_groups || []) out.push(...(g.options || []));
    return out;
  }

  // staticSelect: a native select; option groups as optgroups.
  function staticSelect(el, blockId, ctx, dispatchOnChange) {
    const multi = el.type.startsWith("multi_");
    const node = h("select", { class: "bk-select", "data-action-id": el.action_id, multiple: multi });
    if (!multi) node.append(h("option", { value: "" }, plain(el.placeholder) || "Choose…"));
    const add = (parent, o) => parent.append(h("option", { value: o.value }, plain(o.text)));
    (el.options || []).forEach((o) => add(node, o));
    for (const g of el.option_groups || []) {
      const og = h("optgroup", { label: plain(g.label) });
      (g.options || []).forEach((o) => add(og, o));
      node.append(og);
    }
    const opts = allOptions(el);
    const cur = ctx.state ? ctx.state.get(blockId, el.action_id) : null;
    const chosen = cur ? (multi ? (cur.selected_options || []).map((o) => o.value) : [cur.selected_option && cur.selected_option.value])
      : (multi ? (el.initial_options || []).map((o) => o.value) : [el.initial_option && el.initial_option.value]);
    for (const o of node.options) o.selected = chosen.includes(o.value);
    const read = () => {
      const sel = [...node.selectedOptions].filter((o) => o.value !== "").map((o) => option(opts.find((x) => x.value === o.value)));
      return multi ? { type: el.type, selected_options: sel } : { type: el.type, selected_option: sel[0] || null };
    };
    if (ctx.state) ctx.state.set(blockId, el.action_id, read());
    node.addEventListener("change", () => {
      const v = read();
      if (ctx.state) ctx.state.set(blockId, el.action_id, v);
      if (dispatchOnChange) dispatch(el, blockId, v, ctx, node);
    });
    return node;
  }

  // externalSelect: type-ahead answered by the bot through block_suggestion.
  function externalSelect(el, blockId, ctx, dispatchOnChange) {
    const multi = el.type.startsWith("multi_");
    const wrap = h("div", { class: "typeahead", "data-action-id": el.action_id });
    const chips = h("div", { class: "chips" });
    const input = h("input", { class: "bk-input", placeholder: plain(el.placeholder) || "Type to search…", "aria-label": el.action_id });
    const cur = ctx.state && ctx.state.get(blockId, el.action_id);
    let chosen = cur ? (multi ? cur.selected_options || [] : (cur.selected_option ? [cur.selected_option] : []))
      : (multi ? (el.initial_options || []).map(option) : (el.initial_option ? [option(el.initial_option)] : []));
    let menu = null;
    const value = () => multi ? { type: el.type, selected_options: chosen } : { type: el.type, selected_option: chosen[0] || null };
    const drawChips = () => {
      chips.replaceChildren(...chosen.map((o) => h("span", { class: "chip" }, plain(o.text),
        h("button", { type: "button", "aria-label": "remove", onclick: () => { chosen = chosen.filter((x) => x.value !== o.value); changed(); } }, "×"))));
      if (!multi) input.placeholder = chosen[0] ? plain(chosen[0].text) : (plain(el.placeholder) || "Type to search…");
    };
    const changed = () => {
      drawChips();
      if (ctx.state) ctx.state.set(blockId, el.action_id, value());
      if (dispatchOnChange) dispatch(el, blockId, value(), ctx);
    };
    const close = () => { if (menu) { menu.remove(); menu = null; } };
    let seq = 0;
    const search = async () => {
      const q = input.value;
      if (q.length < (el.min_query_length ?? 1)) { close(); return; }
      const mine = ++seq;
      const res = await ctx.suggest(blockId, el.action_id, q);
      if (mine !== seq) return;
      close();
      const pick = (o) => h("button", { type: "button", onclick: () => {
        const opt = option(o);
        chosen = multi ? [...chosen.filter((x) => x.value !== opt.value), opt] : [opt];
        input.value = ""; close(); changed();
      } }, plain(o.text));
      const items = [];
      for (const o of (res && res.options) || []) items.push(pick(o));
      for (const g of (res && res.option_groups) || []) {
        items.push(h("div", { class: "ta-group" }, plain(g.label)));
        for (const o of g.options || []) items.push(pick(o));
      }
      if (!items.length) items.push(h("div", { class: "ta-group" }, "No matches"));
      menu = h("div", { class: "ta-menu" }, items);
      wrap.append(menu);
    };
    let timer = null;
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 150); });
    input.addEventListener("focus", () => { if ((el.min_query_length ?? 1) === 0) search(); });
    drawChips();
    if (ctx.state) ctx.state.set(blockId, el.action_id, value());
    wrap.append(chips, input);
    return wrap;
  }

  // conversationSelect: the demo's channels and people as a native select.
  function directorySelect(el, blockId, ctx, dispatchOnChange) {
    const kind = el.type.replace("multi_", "").replace("_select", ""); // users, conversations, channels
    const multi = el.type.startsWith("multi_");
    const key = { users: "selected_user", conversations: "selected_conversation", channels: "selected_channel" }[kind];
    const node = h("select", { class: "bk-select", "data-action-id": el.action_id, multiple: multi });
    if (!multi) node.append(h("option", { value: "" }, plain(el.placeholder) || "Choose…"));
    const entries = kind === "users" ? ctx.directory.users : ctx.directory.channels;
    for (const [id, name] of entries) node.append(h("option", { value: id }, kind === "users" ? name : "#" + name));
    const cur = ctx.state && ctx.state.get(blockId, el.action_id);
    let initial = cur ? (cur[key] || cur[key + "s"]) : (el["initial_" + kind.replace(/s$/, "")] || el["initial_" + kind]);
    if (!initial && el.default_to_current_conversation && kind !== "users") initial = ctx.directory.current;
    const init = [].concat(initial || []);
    for (const o of node.options) o.selected = init.includes(o.value);
    const read = () => {
      const vals = [...node.selectedOptions].map((o) => o.value).filter(Boolean);
      return multi ? { type: el.type, [key + "s"]: vals } : { type: el.type, [key]: vals[0] || null };
    };
    if (ctx.state) ctx.state.set(blockId, el.action_id, read());
    node.addEventListener("change", () => {
      if (ctx.state) ctx.state.set(blockId, el.action_id, read());
      if (dispatchOnChange) dispatch(el, blockId, read(), ctx, node);
    });
    return node;
  }

  function pickerInput(el, blockId, ctx, dispatchOnChange, kind) {
    const key = kind === "date" ? "selected_date" : "selected_time";
    const cur = ctx.state && ctx.state.get(blockId, el.action_id);
    const node = h("input", { type: kind, class: "bk-" + kind, "data-action-id": el.action_id, "aria-label": el.action_id,
      value: cur ? cur[key] || "" : el["initial_" + kind] || "" });
    const read = () => ({ type: el.type, [key]: node.value || null });
    if (ctx.state) ctx.state.set(blockId, el.action_id, read());
    node.addEventListener("change", () => {
      if (ctx.state) ctx.state.set(blockId, el.action_id, read());
      if (dispatchOnChange) dispatch(el, blockId, read(), ctx, node);
    });
    return node;
  }

  function choices(el, blockId, ctx, dispatchOnChange) {
    const radio = el.type === "radio_buttons";
    const name = `${blockId}.${el.action_id}.${Math.random().toString(36).slice(2)}`;
    const cur = ctx.state && ctx.state.get(blockId, el.action_id);
    const initial = cur ? (radio ? [cur.selected_option && cur.selected_option.value] : (cur.selected_options || []).map((o) => o.value))
      : (radio ? [el.initial_option && el.initial_option.value] : (el.initial_options || []).map((o) => o.value));
    const wrap = h("div", { "data-action-id": el.action_id });
    const inputs = [];
    for (const o of el.options || []) {
      const inp = h("input", { type: radio ? "radio" : "checkbox", name, value: o.value });
      inp.checked = initial.includes(o.value);
      inputs.push([inp, o]);
      wrap.append(h("label", { class: "choice" }, inp, " ", h("span", { html: text(o.text, ctx) }),
        o.description ? h("small", { html: " — " + text(o.description, ctx) }) : null));
    }
    const read = () => {
      const sel = inputs.filter(([i]) => i.checked).map(([, o]) => option(o));
      return radio ? { type: el.type, selected_option: sel[0] || null } : { type: el.type, selected_options: sel };
    };
    if (ctx.state) ctx.state.set(blockId, el.action_id, read());
    wrap.addEventListener("change", () => {
      if (ctx.state) ctx.state.set(blockId, el.action_id, read());
      if (dispatchOnChange) dispatch(el, blockId, read(), ctx);
    });
    return wrap;
  }

  function textInput(el, blockId, ctx, dispatchOnChange) {
    const cur = ctx.state && ctx.state.get(blockId, el.action_id);
    const attrs = { class: "bk-input", "data-action-id": el.action_id, "aria-label": el.action_id,
      placeholder: plain(el.placeholder), maxlength: el.max_length };
    const node = el.multiline ? h("textarea", attrs) : h("input", attrs);
    node.value = cur ? cur.value || "" : el.initial_value || "";
    const read = () => ({ type: "plain_text_input", value: node.value });
    if (ctx.state) ctx.state.set(blockId, el.action_id, read());
    node.addEventListener("input", () => { if (ctx.state) ctx.state.set(blockId, el.action_id, read()); });
    if (dispatchOnChange) node.addEventListener("keydown", (e) => { if (e.key === "Enter" && !el.multiline) { e.preventDefault(); dispatch(el, blockId, read(), ctx); } });
    return node;
  }

  function image(el) {
    return h("img", { src: el.image_url, alt: el.alt_text || "" });
  }

  // element renders any element; dispatchOnChange is false for plain
  // inputs of a modal, whose values travel with the submission.
  function element(el, blockId, ctx, dispatchOnChange) {
    switch (el.type) {
      case "button": return button(el, blockId, ctx);
      case "overflow": return overflow(el, blockId, ctx);
      case "static_select": case "multi_static_select": return staticSelect(el, blockId, ctx, dispatchOnChange);
      case "external_select": case "multi_external_select": return externalSelect(el, blockId, ctx, dispatchOnChange);
      case "users_select": case "multi_users_select": case "conversations_select": case "multi_conversations_select":
      case "channels_select": case "multi_channels_select": return directorySelect(el, blockId, ctx, dispatchOnChange);
      case "datepicker": return pickerInput(el, blockId, ctx, dispatchOnChange, "date");
      case "timepicker": return pickerInput(el, blockId, ctx, dispatchOnChange, "time");
      case "checkboxes": case "radio_buttons": return choices(el, blockId, ctx, dispatchOnChange);
      case "plain_text_input": return textInput(el, blockId, ctx, dispatchOnChange);
      case "image": return image(el);
      default: return h("span", { class: "eph-note" }, `[${el.type}]`);
    }
  }

  // --- blocks ----------------------------------------------------------------

  function richText(block, ctx) {
    const inlineEl = (e) => {
      let s;
      switch (e.type) {
        case "text": s = M.esc(e.text); break;
        case "link": s = `<a href="${M.esc(e.url)}" target="_blank" rel="noopener">${M.esc(e.text || e.url)}</a>`; break;
        case "user": s = `<span class="mention">@${M.esc(M.person(e.user_id))}</span>`; break;
        case "channel": s = `<span class="mention">#${M.esc(M.channel(e.channel_id))}</span>`; break;
        case "emoji": s = e.unicode ? String.fromCodePoint(...e.unicode.split("-").map((x) => parseInt(x, 16))) : M.emoji(e.name); break;
        case "date": s = M.esc(M.formatDate(e.timestamp, e.format || "{date}", ctx.now)); break;
        case "broadcast": s = `<span class="mention">@${M.esc(e.range)}</span>`; break;
        default: s = "";
      }
      const st = e.style || {};
      if (st.code) s = `<code>${s}</code>`;
      if (st.bold) s = `<b>${s}</b>`;
      if (st.italic) s = `<i>${s}</i>`;
      if (st.strike) s = `<s>${s}</s>`;
      return s.replace(/\n/g, "<br>");
    };
    const section = (sec) => (sec.elements || []).map(inlineEl).join("");
    const parts = (block.elements || []).map((sub) => {
      switch (sub.type) {
        case "rich_text_section": return `<div>${section(sub)}</div>`;
        case "rich_text_preformatted": return `<pre>${section(sub)}</pre>`;
        case "rich_text_quote": return `<blockquote>${section(sub)}</blockquote>`;
        case "rich_text_list": {
          const tag = sub.style === "ordered" ? "ol" : "ul";
          return `<${tag}>${(sub.elements || []).map((li) => `<li>${section(li)}</li>`).join("")}</${tag}>`;
        }
        default: return "";
      }
    });
    return h("div", { class: "block b-rich", html: parts.join("") });
  }

  function block(b, ctx) {
    const id = b.block_id || "";
    switch (b.type) {
      case "header": return h("div", { class: "block b-header", html: text(b.text, ctx) });
      case "divider": return h("hr", { class: "b-divider" });
      case "section": {
        const inner = h("div", { class: "text" });
        if (b.text) inner.append(h("div", { html: text(b.text, ctx) }));
        if (b.fields) inner.append(h("div", { class: "b-fields" }, b.fields.map((f) => h("div", { html: text(f, ctx) }))));
        const sec = h("div", { class: "block b-section", "data-block-id": id }, inner);
        if (b.accessory) sec.append(element(b.accessory, id, ctx, true));
        return sec;
      }
      case "context": return h("div", { class: "block b-context" }, (b.elements || []).map((e) =>
        e.type === "image" ? image(e) : h("span", { html: text(e, ctx) })));
      case "actions": return h("div", { class: "block b-actions", "data-block-id": id }, (b.elements || []).map((e) => element(e, id, ctx, true)));
      case "image": return h("div", { class: "block b-image" },
        b.title ? h("div", { class: "title", html: text(b.title, ctx) }) : null, image(b));
      case "rich_text": return richText(b, ctx);
      case "input": {
        const err = ctx.errors && ctx.errors[id];
        return h("div", { class: "block b-input" + (err ? " has-error" : ""), "data-block-id": id },
          h("label", {}, plain(b.label), b.optional ? h("span", { class: "optional" }, " (optional)") : null),
          element(b.element, id, ctx, !!b.dispatch_action),
          b.hint ? h("div", { class: "hint", html: text(b.hint, ctx) }) : null,
          err ? h("div", { class: "field-error" }, err) : null);
      }
      case "file": return h("div", { class: "block eph-note" }, "[file]");
      default: return h("div", { class: "block eph-note" }, `[${b.type} block]`);
    }
  }

  // render returns the blocks as a node.
  function render(blocks, ctx) {
    return h("div", { class: "blocks" }, (blocks || []).map((b) => block(b, ctx)));
  }

  return { render, h, text };
})();
