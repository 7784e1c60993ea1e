package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"flowgate/web/users"
)

// The editing pages' browser steps (TestBrowser calls them in order).

// restGet reads one REST answer's rsp as the administrator.
func restGet(t *testing.T, base, path string, q url.Values) json.RawMessage {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/lua/rest/v2/"+path+"?"+q.Encode(), nil)
	req.SetBasicAuth("admin", adminPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		RC  int             `json:"rc"`
		Rsp json.RawMessage `json:"rsp"`
	}
	if json.Unmarshal(raw, &env) != nil || env.RC != 0 {
		t.Fatalf("GET %s: %s", path, raw)
	}
	return env.Rsp
}

// setValues sets form controls' values as typing or picking would (an
// empty value too, which chromedp.SetValue refuses).
func setValues(t *testing.T, ctx context.Context, v map[string]string) {
	t.Helper()
	raw, _ := json.Marshal(v)
	val(t, ctx, "set values", chromedp.Evaluate[bool](`(() => { for (const [css, v] of Object.entries(`+string(raw)+`)) {
		const e = document.querySelector(css); e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); } return true; })()`))
}

// acceptConfirms makes window.confirm answer yes (headless Chromium would
// otherwise wait on the dialog).
func acceptConfirms(t *testing.T, ctx context.Context) {
	t.Helper()
	val(t, ctx, "accept confirms", chromedp.Evaluate[bool](`(window.confirm = () => true, true)`))
}

// browseEndpointsRecipients: an endpoint added with a secret (never shown
// back), a recipient of it added then edited (severity, categories), the
// endpoint edited with its secret left empty (kept), a name carrying
// markup refused with the server's message shown as text.
func browseEndpointsRecipients(t *testing.T, ctx context.Context, base string) {
	const secret = "s3cret-Value-42"
	run(t, ctx, "new endpoint",
		chromedp.Navigate(base+"/#/recipients"),
		chromedp.WaitVisible(chromedp.CSS(`#endpoint-new`)),
		chromedp.Click(chromedp.CSS(`#endpoint-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#endpoint-form`)),
		chromedp.SendKeys(chromedp.CSS(`#ep-name`), "hooks"),
		chromedp.SendKeys(chromedp.CSS(`#ep-url`), "http://127.0.0.1:9/hook"),
		chromedp.SendKeys(chromedp.CSS(`#ep-secret`), secret),
		chromedp.SendKeys(chromedp.CSS(`#ep-channel`), xss),
		chromedp.Click(chromedp.CSS(`#endpoint-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#endpoints-table tr[data-name=hooks]`)))
	if page := text(t, ctx, `#main`); strings.Contains(page, secret) {
		t.Fatalf("the endpoint's secret is shown: %q", page)
	}
	noInjected(t, ctx)

	run(t, ctx, "new recipient",
		chromedp.Click(chromedp.CSS(`#recipient-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#recipient-form`)),
		chromedp.SendKeys(chromedp.CSS(`#rc-name`), "noc"),
		chromedp.SetValue(chromedp.CSS(`#rc-endpoint`), "hooks"),
		chromedp.SetValue(chromedp.CSS(`#rc-severity`), "warning"),
		chromedp.Click(chromedp.CSS(`#recipient-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#recipients-table tr[data-name=noc]`)))
	run(t, ctx, "edit recipient",
		chromedp.Click(chromedp.CSS(`#recipients-table tr[data-name=noc] button.edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#recipient-form`)))
	if sev := val(t, ctx, "severity shown", chromedp.Evaluate[string](`document.getElementById('rc-severity').value`)); sev != "warning" {
		t.Errorf("the edit form starts from severity %q, want warning", sev)
	}
	run(t, ctx, "save recipient",
		chromedp.SetValue(chromedp.CSS(`#rc-severity`), "error"),
		chromedp.Click(chromedp.CSS(`#rc-categories input[value=security]`)),
		chromedp.Click(chromedp.CSS(`#recipient-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='recipient-result' and contains(., 'noc saved')]`)))
	var st struct {
		Filter struct {
			MinSeverity int   `json:"min_severity"`
			Categories  []int `json:"categories"`
		} `json:"filter"`
	}
	if err := json.Unmarshal(restGet(t, base, "get/recipient/stats.lua", url.Values{"recipient_name": {"noc"}}), &st); err != nil ||
		st.Filter.MinSeverity != 5 || len(st.Filter.Categories) != 1 || st.Filter.Categories[0] != 1 {
		t.Errorf("the recipient's filter after the edit: %+v %v (want error, security)", st, err)
	}

	run(t, ctx, "edit endpoint",
		chromedp.Click(chromedp.CSS(`#endpoints-table tr[data-name=hooks] button.edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#endpoint-form`)))
	if v := val(t, ctx, "secret field", chromedp.Evaluate[string](`document.getElementById('ep-secret').value`)); v != "" {
		t.Errorf("the secret field shows %q", v)
	}
	if v := val(t, ctx, "channel field", chromedp.Evaluate[string](`document.getElementById('ep-channel').value`)); v != xss {
		t.Errorf("the channel field shows %q, want the stored text", v)
	}
	noInjected(t, ctx)
	shot(t, ctx, "recipients-edit")
	run(t, ctx, "save endpoint",
		chromedp.SendKeys(chromedp.CSS(`#ep-timeout`), "3s"),
		chromedp.Click(chromedp.CSS(`#endpoint-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='recipient-result' and contains(., 'hooks saved')]`)))
	var ep struct {
		Params map[string]string `json:"params"`
	}
	if err := json.Unmarshal(restGet(t, base, "get/endpoint/config.lua", url.Values{"endpoint_conf_name": {"hooks"}}), &ep); err != nil ||
		ep.Params["timeout"] != "3s" || ep.Params["secret"] != "xxxxx" {
		t.Errorf("the endpoint after an edit that left the secret empty: %+v %v (want timeout 3s, the secret kept)", ep.Params, err)
	}

	// A name with markup (past the form's own pattern check): the server
	// refuses it; its message is text.
	run(t, ctx, "new endpoint form",
		chromedp.Click(chromedp.CSS(`#endpoint-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#endpoint-form`)))
	val(t, ctx, "no pattern", chromedp.Evaluate[bool](`(document.getElementById('ep-name').removeAttribute('pattern'), true)`))
	run(t, ctx, "bad name",
		chromedp.SendKeys(chromedp.CSS(`#ep-name`), xss),
		chromedp.SendKeys(chromedp.CSS(`#ep-url`), "http://127.0.0.1:9/other"),
		chromedp.Click(chromedp.CSS(`#endpoint-form button[type=submit]`)))
	waitJS(t, ctx, "refused", `!document.getElementById('error').hidden && document.getElementById('error').textContent.includes('letters, digits')`)
	noInjected(t, ctx)
}

// browseScriptItems: an items_list check (countries) edited as a list; the
// server's normalized list is shown; a bad item is refused with its message.
func browseScriptItems(t *testing.T, ctx context.Context, f *fixture) {
	hashNav(t, ctx, "#/scripts")
	form := `#scripts-table form[data-script=country_list]`
	run(t, ctx, "items list",
		chromedp.WaitVisible(chromedp.CSS(form+`[data-builder=items_list] input[name=items]`)),
		chromedp.SetValue(chromedp.CSS(form+` input[name=items]`), "it, fr"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='script-result' and contains(., 'country_list')]`)))
	waitJS(t, ctx, "normalized", `document.querySelector('`+form+` input[name=items]').value === 'IT, FR'`)
	raw, _ := json.Marshal(f.rt.ExportConfig())
	if !strings.Contains(string(raw), `"items":["IT","FR"]`) {
		t.Errorf("the list did not reach the scripts' configuration: %s", raw)
	}
	run(t, ctx, "bad item",
		chromedp.SetValue(chromedp.CSS(form+` input[name=items]`), "Italy"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	waitJS(t, ctx, "refused", `!document.getElementById('error').hidden && document.getElementById('error').textContent.includes('two-letter')`)
	shot(t, ctx, "scripts-items")
}

// browseUsersEdit: an administrator adds a user (a full name with markup,
// shown as text), sees the server's refusal of mismatched passwords,
// edits the user, cannot delete itself, deletes the user.
func browseUsersEdit(t *testing.T, ctx context.Context, f *fixture) {
	run(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 800)) // EmulateReset keeps the last size in headless Chromium
	hashNav(t, ctx, "#/users")
	run(t, ctx, "mismatch",
		chromedp.WaitVisible(chromedp.CSS(`#user-new`)),
		chromedp.Click(chromedp.CSS(`#user-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#user-form`)),
		chromedp.SendKeys(chromedp.CSS(`#u-name`), "ops1"),
		chromedp.SendKeys(chromedp.CSS(`#u-full`), xss),
		chromedp.SendKeys(chromedp.CSS(`#u-pw`), "ops-pass-123"),
		chromedp.SendKeys(chromedp.CSS(`#u-pw2`), "ops-pass-124"),
		chromedp.SendKeys(chromedp.CSS(`#u-nets`), "10.1.0.0/24"),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)))
	waitJS(t, ctx, "mismatch shown", `!document.getElementById('error').hidden && document.getElementById('error').textContent.includes('differ')`)
	run(t, ctx, "add",
		chromedp.SetValue(chromedp.CSS(`#u-pw2`), "ops-pass-123"),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#users-table tr[data-user=ops1]`)))
	noInjected(t, ctx)
	if u, ok := f.users.Get("ops1"); !ok || u.FullName != xss || u.AllowedNetsString() != "10.1.0.0/24" || u.IsAdmin() {
		t.Fatalf("added user %+v", u)
	}
	if n := val(t, ctx, "own delete", chromedp.Evaluate[int](`document.querySelectorAll('#users-table tr[data-user=admin] button.delete').length`)); n != 0 {
		t.Error("the administrator is offered to delete itself")
	}
	run(t, ctx, "edit",
		chromedp.Click(chromedp.CSS(`#users-table tr[data-user=ops1] button.edit`)),
		chromedp.WaitVisible(chromedp.CSS(`#user-form`)))
	setValues(t, ctx, map[string]string{"#u-full": "Ops One", "#u-nets": "", "#u-lang": "it"})
	shot(t, ctx, "users-edit")
	run(t, ctx, "save",
		chromedp.Click(chromedp.CSS(`#u-allow_alerts`)),
		chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='users-result' and contains(., 'ops1 saved')]`)))
	if u, _ := f.users.Get("ops1"); u.FullName != "Ops One" || len(u.AllowedNets) != 0 || u.Language != "it" || !u.Can(users.CapAlerts) {
		t.Errorf("edited user %+v", u)
	}
	acceptConfirms(t, ctx)
	run(t, ctx, "delete",
		chromedp.Click(chromedp.CSS(`#users-table tr[data-user=ops1] button.delete`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='users-result' and contains(., 'ops1 deleted')]`)))
	if _, ok := f.users.Get("ops1"); ok {
		t.Error("the deleted user is still stored")
	}
}

// browseOwnPassword: a user changes its own password (a wrong old one is
// refused), stays logged in, sets its language, and logs in with the new
// password.
func browseOwnPassword(t *testing.T, ctx context.Context, f *fixture) {
	const user, oldPW, newPW = "pwuser", "pw-user-old-1", "fresh-Secret-77"
	if err := f.users.Add(users.Spec{Username: user, Password: oldPW, Group: users.Unprivileged}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "logout", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	login(t, ctx, f.base, user, oldPW, "/#/account")
	run(t, ctx, "wrong old password",
		chromedp.WaitVisible(chromedp.CSS(`#password-form`)),
		chromedp.SendKeys(chromedp.CSS(`#pw-old`), "not-my-password"),
		chromedp.SendKeys(chromedp.CSS(`#pw-new`), newPW),
		chromedp.SendKeys(chromedp.CSS(`#pw-confirm`), newPW),
		chromedp.Click(chromedp.CSS(`#password-form button[type=submit]`)))
	waitJS(t, ctx, "refused", `!document.getElementById('error').hidden && document.getElementById('error').textContent.includes('old password is wrong')`)
	run(t, ctx, "change",
		chromedp.SetValue(chromedp.CSS(`#pw-old`), oldPW),
		chromedp.Click(chromedp.CSS(`#password-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id='account-result' and contains(., 'Password changed')]`)))
	// Still logged in (a fresh session and CSRF token): the language saves.
	run(t, ctx, "language",
		chromedp.SetValue(chromedp.CSS(`#pref-lang`), "de"),
		chromedp.Click(chromedp.CSS(`#language-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(`//span[@id='account-language' and text()='de']`)))
	if u, _ := f.users.Get(user); u.Language != "de" {
		t.Errorf("language stored %q, want de", u.Language)
	}
	shot(t, ctx, "preferences-password")
	run(t, ctx, "logout", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)))
	login(t, ctx, f.base, user, newPW, "/#/account")
	if u := text(t, ctx, `#account-user`); u != user {
		t.Fatalf("logged in with the new password as %q", u)
	}
}
