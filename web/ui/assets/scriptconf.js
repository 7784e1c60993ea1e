// scriptconf.js: #/scripts: each user script and hook, enabled or not, and
// its script_conf edited with the control its gui's input_builder asks
// for (ntopng's templates): threshold_cross (operator and threshold, with
// the script's unit and bounds), items_list (a list of countries,
// protocols or categories, device types or strings), elephant_flows (two
// byte thresholds and excluded protocols), long_lived (a minimum duration
// and excluded protocols), multi_select (checkboxes of the gui's options);
// other keys as numbers, checkboxes or text. The server validates and
// normalizes (lua/scripts/gui.go); its refusal is shown as it comes.
import { el, clear, api, showError, hideError } from "./lib.js";
import { field, values, listOf } from "./forms.js";

const UNITS = { "field_units.seconds": "s", "field_units.bytes": "bytes", "field_units.flows": "flows", "field_units.packets": "packets",
  "field_units.mbits": "Mbit", "field_units.hosts": "hosts", "field_units.syn_sec": "SYN/s", "field_units.flow_sec": "flows/s",
  "field_units.percentage": "%", "field_units.syn_min": "SYN/min" };
const ITEM_HINTS = { country: "two-letter country codes, e.g. IT, FR", proto_or_category: "nDPI protocols or categories, e.g. BitTorrent, Web",
  device_type: "device types, e.g. printer, iot", string: "comma-separated values" };
const OPS = [["gt", "> (gt)"], ["lt", "< (lt)"]];

// controls returns the fields editing conf for gui, and the keys they own.
function controls(id, gui, conf) {
  const f = (spec, v) => field(spec, v, { id: `${id}-${spec.name}` });
  const items = (label) => f({ name: "items", label, hint: ITEM_HINTS[gui.item_list_type || "string"], placeholder: ITEM_HINTS[gui.item_list_type || "string"] }, listOf(conf.items).join(", "));
  const unit = UNITS[gui.i18n_field_unit] || "";
  switch (gui.input_builder) {
    case "threshold_cross":
      return [["operator", "threshold"], [
        f({ name: "operator", label: "Operator", type: "select", options: gui.field_operator ? OPS.filter(([o]) => o === gui.field_operator) : OPS }, conf.operator),
        f({ name: "threshold", label: "Threshold" + (unit ? ` (${unit})` : ""), type: "number", min: gui.field_min, max: gui.field_max, step: gui.field_step ?? "any", required: true }, conf.threshold)]];
    case "items_list":
      return [["items"], [items(gui.input_title || "Items")]];
    case "elephant_flows":
      return [["l2r_bytes_value", "r2l_bytes_value", "items"], [
        f({ name: "l2r_bytes_value", label: "Local to remote (bytes)", type: "number", min: 0, required: true }, conf.l2r_bytes_value),
        f({ name: "r2l_bytes_value", label: "Remote to local (bytes)", type: "number", min: 0, required: true }, conf.r2l_bytes_value),
        items("Except protocols")]];
    case "long_lived":
      return [["min_duration", "items"], [
        f({ name: "min_duration", label: "Minimum duration (s)", type: "number", min: 0, required: true }, conf.min_duration),
        items("Except protocols")]];
    case "multi_select":
      return [["items"], [f({ name: "items", label: gui.input_title || "Items", type: "multi", options: (gui.options || []).map((o) => [o, o]) }, listOf(conf.items))]];
  }
  return [[], []];
}

export async function scripts(main) {
  const list = await api("get/user_script/config.lua");
  const result = el("p", { id: "script-result", role: "status", "aria-live": "polite" });
  const rows = [];
  for (const s of list) {
    const gui = s.gui || {};
    for (const [hook, hc] of Object.entries(s.hooks || {})) {
      const id = `${s.script_subdir}-${s.script_key}-${hook}`;
      const on = el("input", { type: "checkbox", id: "en-" + id, checked: hc.enabled, "aria-label": `${s.script_key} ${hook} enabled` });
      const conf = hc.script_conf || {};
      const [owned, fields] = controls(id, gui, conf);
      // The other keys: numbers, booleans and text as their controls.
      for (const [k, v] of Object.entries(conf)) {
        if (owned.includes(k)) continue;
        if (typeof v === "number") fields.push(field({ name: k, label: k, type: "number" }, v, { id: `${id}-${k}` }));
        else if (typeof v === "boolean") fields.push(field({ name: k, label: k, type: "checkbox" }, v, { id: `${id}-${k}` }));
        else if (typeof v === "string") fields.push(field(k === "operator" ? { name: k, label: k, type: "select", options: OPS } : { name: k, label: k }, v, { id: `${id}-${k}` }));
      }
      const form = el("form", { class: "inline", "data-script": s.script_key, "data-hook": hook, "data-builder": gui.input_builder || "default", onsubmit: async (e) => {
        e.preventDefault();
        const v = values(form);
        const sc = { ...conf };
        for (const [k, x] of Object.entries(v)) {
          const ctl = form.querySelector(`[name="${CSS.escape(k)}"]`);
          if (k === "items") sc.items = Array.isArray(x) ? x : listOf(x);
          else if (ctl?.type === "number") sc[k] = x === "" ? x : Number(x);
          else sc[k] = x;
        }
        const body = { script_subdir: s.script_subdir, script_key: s.script_key, hook, enabled: on.checked, script_conf: sc };
        try {
          const saved = await api("edit/user_script/config.lua", { JSON: JSON.stringify(body) }, { method: "POST" });
          hideError();
          result.textContent = `${s.script_key} (${hook}) saved.`;
          // Show what the server kept (normalized: upper-case countries, lists).
          const keep = saved?.hooks?.[hook]?.script_conf;
          if (keep && "items" in keep) { const i = form.querySelector('input[name="items"]'); if (i) i.value = listOf(keep.items).join(", "); }
        } catch (err) { showError(err); }
      } }, fields, el("button", { type: "submit" }, "Save"));
      on.addEventListener("change", () => form.requestSubmit());
      rows.push(el("tr", {}, el("td", {}, s.title || s.script_key, el("div", { class: "muted" }, s.script_key), s.description ? el("div", { class: "muted" }, s.description) : null),
        el("td", {}, s.script_subdir), el("td", {}, hook), el("td", {}, on), el("td", {}, form)));
    }
  }
  clear(main, el("h1", {}, "User scripts"), result, el("div", { class: "scroll" }, el("table", { class: "grid", id: "scripts-table" },
    el("thead", {}, el("tr", {}, ["Script", "Kind", "Hook", "Enabled", "Settings"].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No user scripts."))))));
}
