// forms.js: small form builders shared by the editing pages (recipients,
// endpoints, users, account, user scripts). Values are set as properties
// or attributes, never as markup.
import { el } from "./lib.js";

// field(spec, value): a labelled control. spec: {name, label, type
// (text|number|password|secret|select|checkbox|multi|textarea), options
// ([[value, label]]), hint, required, readOnly, placeholder, min, max,
// step}.
// A "secret" is a password-type input shown empty: left empty, the stored
// value is kept (the caller sends the server's mask instead).
export function field(spec, value, { id } = {}) {
  const fid = id || "f-" + spec.name;
  let input;
  const common = { name: spec.name, id: fid, required: spec.required || null, readonly: spec.readOnly || null, "aria-describedby": spec.hint ? fid + "-hint" : null };
  switch (spec.type) {
    case "select":
      input = el("select", common, (spec.options || []).map(([v, l]) => el("option", { value: v, selected: String(v) === String(value ?? "") }, l)));
      break;
    case "checkbox":
      input = el("input", { ...common, type: "checkbox", checked: value === true || value === "true" || value === "1" || value === 1 });
      break;
    case "multi": {
      // A group of checkboxes: its value is the checked options.
      const set = new Set(listOf(value));
      const box = el("fieldset", { class: "multi", id: fid, "data-multi": spec.name },
        el("legend", {}, spec.label),
        (spec.options || []).map(([v, l]) => el("label", { class: "check" },
          el("input", { type: "checkbox", value: v, checked: set.has(String(v)) }), " " + l)));
      return el("div", { class: "field" }, box, spec.hint ? el("small", { class: "muted", id: fid + "-hint" }, spec.hint) : null);
    }
    case "textarea":
      input = el("textarea", { ...common, rows: 3, placeholder: spec.placeholder || null });
      input.value = value ?? "";
      break;
    default: {
      const type = spec.type === "secret" ? "password" : spec.type || "text";
      input = el("input", { ...common, type, placeholder: spec.placeholder || null, min: spec.min ?? null, max: spec.max ?? null,
        step: spec.step ?? (type === "number" ? "any" : null), autocomplete: type === "password" ? "new-password" : "off" });
      input.value = spec.type === "secret" ? "" : value ?? "";
    }
  }
  if (spec.type === "checkbox") {
    return el("label", { class: "field check" }, input, " " + spec.label, spec.hint ? el("small", { class: "muted", id: fid + "-hint" }, " " + spec.hint) : null);
  }
  return el("label", { class: "field" }, spec.label, input, spec.hint ? el("small", { class: "muted", id: fid + "-hint" }, spec.hint) : null);
}

// listOf reads a list value: an array, a comma string, or an empty Lua
// table (an object) as none.
export function listOf(v) {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string") return v.split(",").map((s) => s.trim()).filter(Boolean);
  return [];
}

// values(form): the form's controls by name: strings, booleans for
// checkboxes, arrays for multi groups.
export function values(form) {
  const out = {};
  for (const e of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    out[e.name] = e.type === "checkbox" ? e.checked : e.value.trim();
  }
  for (const g of form.querySelectorAll("[data-multi]")) {
    out[g.dataset.multi] = [...g.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
  }
  return out;
}

// panel(title, onclose, ...children): an editing panel with a close button.
export function panel(title, onclose, ...children) {
  return el("section", { class: "card edit", "aria-label": title }, el("div", { class: "panel-head" }, el("h2", {}, title),
    el("button", { type: "button", class: "icon", "aria-label": "Close", onclick: onclose }, "\u00d7")), ...children);
}
