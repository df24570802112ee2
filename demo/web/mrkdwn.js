// mrkdwn: Slack's message formatting, rendered as Slack's client does.
"use strict";

const Mrkdwn = (() => {
  let people = {};   // Slack user ID → display name
  let channels = {}; // channel ID → name
  const emoji = {
    white_check_mark: "✅", warning: "⚠️", rotating_light: "🚨", fire: "🔥", red_circle: "🔴",
    large_green_circle: "🟢", large_yellow_circle: "🟡", eyes: "👀", bell: "🔔", calendar: "📅",
    clock3: "🕒", hourglass: "⏳", hourglass_flowing_sand: "⏳", wrench: "🔧", memo: "📝", pager: "📟",
    bar_chart: "📊", chart_with_upwards_trend: "📈", zzz: "💤", x: "❌", heavy_check_mark: "✔️",
    arrow_right: "➡️", raising_hand: "🙋", construction: "🚧", mag: "🔍", tada: "🎉", calling: "📲",
    ok: "🆗", no_entry: "⛔", busts_in_silhouette: "👥", bust_in_silhouette: "👤", link: "🔗",
    repeat: "🔁", stopwatch: "⏱️", alarm_clock: "⏰", information_source: "ℹ️", point_right: "👉",
    green_heart: "💚", skull: "💀", sos: "🆘", ambulance: "🚑", shield: "🛡️", gear: "⚙️",
  };

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  // Slack sends &amp; &lt; &gt; already escaped in mrkdwn text.
  function unescapeSlack(s) {
    return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  const pad = (n) => String(n).padStart(2, "0");
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

  // formatDate renders <!date^unix^format|fallback> in the viewer's own
  // time zone, as Slack does; now is the demo's clock, for "today".
  function formatDate(unix, format, now) {
    const d = new Date(unix * 1000);
    const sameDay = (a, b) => a.toDateString() === b.toDateString();
    const n = now || new Date();
    const pretty = (long) => {
      if (sameDay(d, n)) return "today";
      const y = new Date(n.getTime() - 864e5), t = new Date(n.getTime() + 864e5);
      if (sameDay(d, y)) return "yesterday";
      if (sameDay(d, t)) return "tomorrow";
      return long ? `${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}` : `${months[d.getMonth()].slice(0, 3)} ${d.getDate()}`;
    };
    return format
      .replace("{date_num}", `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`)
      .replace("{date_slash}", `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${d.getFullYear()}`)
      .replace("{date_long_pretty}", pretty(true))
      .replace("{date_long_full}", `${days[d.getDay()]}, ${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`)
      .replace("{date_long}", `${days[d.getDay()]}, ${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`)
      .replace("{date_short_pretty}", pretty(false))
      .replace("{date_short}", `${months[d.getMonth()].slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`)
      .replace("{date_pretty}", pretty(true))
      .replace("{date}", `${months[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`)
      .replace("{time_secs}", `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`)
      .replace("{time}", `${pad(d.getHours())}:${pad(d.getMinutes())}`)
      .replace("{ago}", ago(d, n));
  }

  function ago(d, n) {
    const s = Math.round((n - d) / 1000);
    if (Math.abs(s) < 60) return "just now";
    const m = Math.round(s / 60);
    if (Math.abs(m) < 60) return m > 0 ? `${m} minutes ago` : `in ${-m} minutes`;
    const h = Math.round(m / 60);
    if (Math.abs(h) < 48) return h > 0 ? `${h} hours ago` : `in ${-h} hours`;
    const dd = Math.round(h / 24);
    return dd > 0 ? `${dd} days ago` : `in ${-dd} days`;
  }

  // special renders one <…> token.
  function special(inner, now) {
    const [target, label] = splitOnce(inner, "|");
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return `<span class="mention">@${esc(label || people[id] || id)}</span>`;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      return `<span class="mention">#${esc(label || channels[id] || id)}</span>`;
    }
    if (target.startsWith("!date^")) {
      const parts = target.split("^");
      const unix = Number(parts[1]);
      if (!Number.isFinite(unix)) return esc(label || "");
      let out = esc(formatDate(unix, parts[2] || "{date}", now));
      if (parts[3]) out = `<a href="${esc(parts[3])}" target="_blank" rel="noopener">${out}</a>`;
      return out;
    }
    if (target.startsWith("!subteam^")) return `<span class="mention">@${esc(label || "group")}</span>`;
    if (target.startsWith("!")) return `<span class="mention">@${esc(label || target.slice(1))}</span>`;
    const href = /^(https?:|mailto:)/i.test(target) ? target : "#";
    return `<a href="${esc(href)}" target="_blank" rel="noopener">${esc(label || target)}</a>`;
  }

  function splitOnce(s, sep) {
    const i = s.indexOf(sep);
    return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
  }

  // inline formats *bold*, _italic_, ~strike~ and `code` in escaped text.
  function inline(s) {
    return s
      .replace(/`([^`\n]+)`/g, (_, c) => `<code>${c}</code>`)
      .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?<])/g, "$1<b>$2</b>")
      .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?<])/g, "$1<i>$2</i>")
      .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?<])/g, "$1<s>$2</s>")
      .replace(/:([a-z0-9_+-]+):/g, (m, name) => emoji[name] || m);
  }

  // render turns mrkdwn into HTML. now is the demo's clock.
  function render(text, now) {
    if (!text) return "";
    // Code blocks first: nothing inside them is formatted.
    const out = [];
    const pieces = String(text).split("```");
    pieces.forEach((piece, i) => {
      if (i % 2 === 1) {
        out.push(`<pre>${esc(unescapeSlack(piece))}</pre>`);
        return;
      }
      out.push(renderLines(piece, now));
    });
    return out.join("");
  }

  function renderLines(text, now) {
    const lines = text.split("\n");
    const html = [];
    let quote = [];
    const flush = () => {
      if (quote.length) html.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
      quote = [];
    };
    for (const line of lines) {
      const q = line.match(/^(&gt;|>)\s?(.*)$/);
      if (q) {
        quote.push(renderInline(q[2], now));
        continue;
      }
      flush();
      html.push(renderInline(line, now));
    }
    flush();
    return html.join("<br>").replace(/<br>(<blockquote>)/g, "$1").replace(/(<\/blockquote>)<br>/g, "$1");
  }

  function renderInline(line, now) {
    // Split out <…> tokens, escape the rest, format it.
    let out = "";
    let rest = line;
    const re = /<([^<>]+)>/;
    for (;;) {
      const m = rest.match(re);
      if (!m) break;
      out += inline(esc(unescapeSlack(rest.slice(0, m.index))));
      out += special(unescapeSlack(m[1]), now);
      rest = rest.slice(m.index + m[0].length);
    }
    return out + inline(esc(unescapeSlack(rest)));
  }

  return {
    render, esc, formatDate,
    setDirectory(p, c) { people = p; channels = c; },
    emoji(name) { return emoji[name] || `:${name}:`; },
    person(id) { return people[id] || id; },
    channel(id) { return channels[id] || id; },
  };
})();
