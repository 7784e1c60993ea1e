// users.js: #/users (administrators): users listed, added, edited and
// deleted over ntopng's add|edit|delete/ntopng/user.lua; and the own
// account's password and language (edit/flowgate/account.lua), drawn on
// the preferences page. The server's validation messages are shown as
// they come (showError); the UI's own strings stay English whatever the
// language chosen.
import { el, clear, api, showError, hideError, session } from "./lib.js";
import { field, values, panel } from "./forms.js";

// ntopng's UI languages (its locales); a stored code outside this list is
// still shown and kept.
export const LANGUAGES = [["en", "English"], ["it", "Italiano"], ["de", "Deutsch"], ["jp", "\u65e5\u672c\u8a9e"], ["pt", "Portugu\u00eas"], ["cz", "\u010ce\u0161tina"]];
const ROLES = [["unprivileged", "Non-privileged user"], ["administrator", "Administrator"]];
const CAPS = [["allow_alerts", "Alerts"], ["allow_historical_flows", "Historical flows"], ["allow_pcap_download", "Traffic recordings"]];
export const MIN_PASSWORD = 8; // web.MinOwnPasswordLen

export const langOptions = (cur) => (LANGUAGES.some(([c]) => c === cur) || !cur ? LANGUAGES : [...LANGUAGES, [cur, cur]]);

export async function usersPage(main) {
  const [list, ifs] = await Promise.all([api("get/ntopng/users.lua"), api("get/ntopng/interfaces.lua").catch(() => [])]);
  const result = el("p", { id: "users-result", role: "status", "aria-live": "polite" });
  const editor = el("div", { id: "user-editor" });
  const close = () => clear(editor);
  const reload = async (msg) => {
    hideError();
    await usersPage(main);
    document.getElementById("users-result").textContent = msg;
  };
  const ifOpts = [["", "All interfaces"], ...ifs.map((i) => [i.ifname, `${i.ifid}: ${i.ifname}`])];

  function userForm(u) {
    const edit = !!u;
    const form = el("form", { id: "user-form", onsubmit: async (e) => {
      e.preventDefault();
      const v = values(form);
      const p = { username: v.username, full_name: v.full_name, user_role: v.user_role, allowed_networks: v.allowed_networks,
        allowed_interface: v.allowed_interface, user_language: v.user_language };
      for (const [k] of CAPS) p[k] = v[k] ? "1" : "0";
      if (v.password || !edit) {
        p.password = v.password;
        p.confirm_password = v.confirm_password;
      }
      try {
        // Emptied fields are sent too (an empty full name, all networks).
        await api(edit ? "edit/ntopng/user.lua" : "add/ntopng/user.lua", p, { method: "POST", keepEmpty: true });
        await reload(`User ${p.username} ${edit ? "saved" : "added"}.`);
      } catch (err) { showError(err); }
    } },
    el("div", { class: "fields" },
      field({ name: "username", label: "User name", required: true, readOnly: edit, hint: "letters, digits and . _ - @" }, u?.username, { id: "u-name" }),
      field({ name: "full_name", label: "Full name" }, u?.full_name, { id: "u-full" }),
      field({ name: "user_role", label: "Role", type: "select", options: ROLES }, u?.group || "unprivileged", { id: "u-role" }),
      field({ name: "user_language", label: "Language", type: "select", options: langOptions(u?.language) }, u?.language || "en", { id: "u-lang" })),
    el("div", { class: "fields" },
      field({ name: "password", label: edit ? "New password (empty: unchanged)" : "Password", type: "password", required: !edit }, "", { id: "u-pw" }),
      field({ name: "confirm_password", label: "Confirm password", type: "password", required: !edit }, "", { id: "u-pw2" })),
    el("div", { class: "fields" },
      field({ name: "allowed_networks", label: "Allowed networks", placeholder: "0.0.0.0/0,::/0 (all)", hint: "comma-separated CIDRs" },
        u && u.allowed_nets !== "0.0.0.0/0,::/0" ? u.allowed_nets : "", { id: "u-nets" }),
      field({ name: "allowed_interface", label: "Allowed interface", type: "select", options: ifOpts }, u?.allowed_ifname || "", { id: "u-if" }),
      ...CAPS.map(([k, l]) => field({ name: k, label: l, type: "checkbox" }, u ? u[k] : false, { id: "u-" + k }))),
    el("div", { class: "toolbar" }, el("button", { type: "submit" }, edit ? "Save" : "Add user"), el("button", { type: "button", onclick: close }, "Cancel")));
    clear(editor, panel(edit ? "Edit user " + u.username : "New user", close, form));
    form.querySelector("input:not([readonly])").focus();
  }

  const del = async (u) => {
    if (!confirm(`Delete user ${u.username}? Their sessions end.`)) return;
    try {
      await api("delete/ntopng/user.lua", { username: u.username }, { method: "POST" });
      await reload(`User ${u.username} deleted.`);
    } catch (err) { showError(err); }
  };
  const rows = list.map((u) => el("tr", { "data-user": u.username },
    el("td", {}, u.username), el("td", {}, u.full_name), el("td", {}, u.group), el("td", {}, u.allowed_nets),
    el("td", {}, u.allowed_ifname || "all"), el("td", {}, u.language), el("td", {}, u.totp_enabled ? "on" : "off"),
    el("td", {}, u.has_api_token ? "yes" : "no"),
    el("td", {}, el("button", { type: "button", class: "edit", onclick: () => userForm(u) }, "Edit"), " ",
      u.username === session.user ? el("span", { class: "muted", title: "You cannot delete your own account" }, "you")
        : el("button", { type: "button", class: "delete", onclick: () => del(u) }, "Delete"))));
  clear(main, el("div", { class: "panel-head" }, el("h1", {}, "Users"), el("button", { type: "button", id: "user-new", onclick: () => userForm(null) }, "New user")),
    result, editor,
    el("div", { class: "scroll" }, el("table", { class: "grid", id: "users-table" },
      el("thead", {}, el("tr", {}, ["User", "Full name", "Group", "Allowed networks", "Interface", "Language", "TOTP", "API token", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows))));
}

// accountSections: the preferences page's own password and language.
export function accountSections(me, say) {
  const pwForm = el("form", { id: "password-form", onsubmit: async (e) => {
    e.preventDefault();
    const v = values(pwForm);
    if (v.new_password !== v.confirm_password) { showError(new Error("The new passwords differ.")); return; }
    try {
      const r = await api("edit/flowgate/account.lua", { old_password: v.old_password, new_password: v.new_password, confirm_password: v.confirm_password }, { method: "POST" });
      if (r.csrf) session.csrf = r.csrf; // this browser got a fresh session
      hideError();
      pwForm.reset();
      say("Password changed: your other sessions were ended.");
    } catch (err) { showError(err); }
  } },
  el("div", { class: "fields" },
    field({ name: "old_password", label: "Current password", type: "password", required: true }, "", { id: "pw-old" }),
    field({ name: "new_password", label: "New password", type: "password", required: true, hint: `at least ${MIN_PASSWORD} characters` }, "", { id: "pw-new" }),
    field({ name: "confirm_password", label: "Confirm the new password", type: "password", required: true }, "", { id: "pw-confirm" })),
  el("button", { type: "submit" }, "Change password"));
  pwForm.querySelectorAll("input[type=password]").forEach((i) => { i.autocomplete = i.name === "old_password" ? "current-password" : "new-password"; });
  const lang = field({ name: "language", label: "Language", type: "select", options: langOptions(me.language) }, me.language || "en", { id: "pref-lang" });
  const langForm = el("form", { id: "language-form", class: "toolbar", onsubmit: async (e) => {
    e.preventDefault();
    const code = langForm.querySelector("select").value;
    try {
      await api("edit/flowgate/account.lua", { language: code }, { method: "POST" });
      me.language = code;
      hideError();
      document.getElementById("account-language").textContent = code;
      say("Language saved (the pages' own strings stay English).");
    } catch (err) { showError(err); }
  } }, lang, el("button", { type: "submit" }, "Save language"));
  return [
    el("section", { class: "card" }, el("h2", {}, "Password"), pwForm),
    el("section", { class: "card" }, el("h2", {}, "Language"), langForm,
      el("p", { class: "muted" }, "Stored as ntopng's user language; flowgate's pages are in English only.")),
  ];
}
