package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	pathpkg "path"
	"sort"
	"strings"
	"testing"

	"flowgate/web/users"
)

// errorProbes is testdata/rest_errors/probes.json.
type errorProbes struct {
	WriteVerbs []string            `json:"write_verbs"`
	AdminOnly  []string            `json:"admin_only"`
	Values     map[string]string   `json:"values"`
	Params     map[string][]string `json:"params"`
	Probes     []struct {
		Name   string            `json:"name"`
		When   string            `json:"when"`
		Method string            `json:"method"`
		Set    map[string]string `json:"set"`
		Drop   []string          `json:"drop"`
		User   string            `json:"user"`
		Body   string            `json:"body"`
		Status int               `json:"status"`
		RC     string            `json:"rc"`
		NotRC  string            `json:"not_rc"` // instead of status and rc: the rc the answer must not have
	} `json:"probes"`
	Exceptions []struct {
		Path   string `json:"path"` // a path.Match pattern
		Probe  string `json:"probe"`
		Status int    `json:"status"` // 0: the probe does not apply
		RC     string `json:"rc"`
		Why    string `json:"why"`
	} `json:"exceptions"`
}

// openAPIParams are the parameter names of every path in ntopng's OpenAPI
// file, over all its methods.
func openAPIParams(t *testing.T) map[string]map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("testdata/ntopng_rest_v2/rest-api-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name string } `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for path, ops := range spec.Paths {
		out[path] = map[string]bool{}
		for _, op := range ops {
			for _, p := range op.Parameters {
				out[path][p.Name] = true
			}
		}
	}
	return out
}

// TestRESTErrorPaths sends every served REST path (the route table) the
// bad input of testdata/rest_errors/probes.json that applies to it:
// missing, unknown and malformed ifid, bad host and vlan, unknown pool and
// network, the wrong method, an unprivileged user on admin paths, an
// oversized and a malformed body. Each answer must be ntopng's status and
// rc (or the reviewed exception), in the envelope, never a 500.
func TestRESTErrorPaths(t *testing.T) {
	raw, err := os.ReadFile("testdata/rest_errors/probes.json")
	if err != nil {
		t.Fatal(err)
	}
	var tbl errorProbes
	if err := json.Unmarshal(raw, &tbl); err != nil {
		t.Fatal(err)
	}
	s := walkServer(t)
	s.cfg.DisableLogin = false // walkServer's is a nologin server; the probes log in
	tokens := map[string]string{}
	for name, group := range map[string]string{"boss": users.Administrator, "viewer": users.Unprivileged} {
		if err := s.Users().Add(users.Spec{Username: name, Password: "pw-" + name, Group: group}); err != nil {
			t.Fatal(err)
		}
		if tokens[name], err = s.Users().CreateAPIToken(name); err != nil {
			t.Fatal(err)
		}
	}
	h := s.Handler()
	spec := openAPIParams(t)
	writes := map[string]bool{}
	for _, v := range tbl.WriteVerbs {
		writes[v] = true
	}
	isWrite := func(path string) bool {
		rest := path[strings.Index(path, "/v2/")+4:]
		verb, _, _ := strings.Cut(rest, "/")
		return writes[verb]
	}
	matches := func(pattern, p string) bool {
		ok, err := pathpkg.Match(pattern, p)
		if err != nil {
			t.Fatalf("bad pattern %q: %v", pattern, err)
		}
		return ok
	}
	anyMatch := func(p string, patterns []string) bool {
		for _, pat := range patterns {
			if matches(pat, p) {
				return true
			}
		}
		return false
	}
	type key struct{ path, probe string }
	used := map[key]bool{}
	exception := func(path, probe string) (int, string, bool) {
		for _, e := range tbl.Exceptions {
			if e.Probe == probe && matches(e.Path, path) {
				used[key{e.Path, e.Probe}] = true
				return e.Status, e.RC, true
			}
		}
		return 0, "", false
	}
	var paths []string
	for _, p := range s.Routes() {
		if isREST(p) && strings.HasSuffix(p, ".lua") {
			paths = append(paths, p)
		}
	}
	if len(paths) < 150 {
		t.Fatalf("only %d REST routes: is the route table complete?", len(paths))
	}
	probes := 0
	byStatus := map[string]uint64{} // answers of the handlers (not the login guard's)
	before := s.AuthStats().RESTAnswers
	for _, path := range paths {
		params := spec[path]
		if ps, ok := tbl.Params[path]; ok {
			params = map[string]bool{}
			for _, p := range ps {
				params[p] = true
			}
		}
		write := isWrite(path)
		for _, pr := range tbl.Probes {
			applies := false
			switch {
			case pr.When == "all":
				applies = true
			case pr.When == "write":
				applies = write
			case pr.When == "read":
				applies = !write
			case pr.When == "viewer_read":
				applies = !write && !anyMatch(path, tbl.AdminOnly)
			case pr.When == "admin":
				applies = write || anyMatch(path, tbl.AdminOnly)
			case strings.HasPrefix(pr.When, "param:"):
				applies = params[strings.TrimPrefix(pr.When, "param:")]
			default:
				t.Fatalf("probe %q: unknown when %q", pr.Name, pr.When)
			}
			if !applies {
				continue
			}
			status, rc := pr.Status, pr.RC
			if st, erc, ok := exception(path, pr.Name); ok {
				if st == 0 {
					continue
				}
				status, rc = st, erc
			}
			kv := url.Values{}
			for p := range params {
				if v, ok := tbl.Values[p]; ok {
					kv.Set(p, v)
				} else if v, ok := walkParams[p]; ok {
					kv.Set(p, v)
				}
			}
			for k, v := range pr.Set {
				kv.Set(k, v)
			}
			for _, k := range pr.Drop {
				kv.Del(k)
			}
			method := pr.Method
			if method == "" {
				method = http.MethodGet
				if write {
					method = http.MethodPost
				}
			}
			var r *http.Request
			switch {
			case pr.Body == "oversized":
				r = httptest.NewRequest(method, path, bytes.NewReader(make([]byte, s.cfg.MaxBodyBytes+1)))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			case pr.Body != "":
				r = httptest.NewRequest(method, path, strings.NewReader(pr.Body))
				r.Header.Set("Content-Type", "application/json")
			case method == http.MethodPost:
				r = httptest.NewRequest(method, path, strings.NewReader(kv.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			default:
				r = httptest.NewRequest(method, path+"?"+kv.Encode(), nil)
			}
			user := pr.User
			if user == "" {
				user = "boss"
			}
			r.Header.Set("Authorization", "Token "+tokens[user])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			probes++
			var env envelope
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.RCStr == "" {
				t.Errorf("%s %s [%s]: %d, not an envelope: %.200s", method, path, pr.Name, rec.Code, rec.Body.String())
				continue
			}
			if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusRequestEntityTooLarge {
				byStatus[itoa(rec.Code)]++
			}
			if pr.NotRC != "" {
				if env.RCStr == pr.NotRC || rec.Code >= 500 {
					t.Errorf("%s %s [%s]: %d %s %q", method, path, pr.Name, rec.Code, env.RCStr, env.RCStrHR)
				}
				continue
			}
			if rec.Code >= 500 || rec.Code != status || env.RCStr != rc {
				t.Errorf("%s %s [%s] %v: %d %s %q, want %d %s", method, path, pr.Name, kv, rec.Code, env.RCStr, env.RCStrHR, status, rc)
			}
		}
	}
	// Every answer of the endpoints is counted by status (bad input is 4xx).
	after := s.AuthStats().RESTAnswers
	for code, n := range byStatus {
		if got := after[code] - before[code]; got != n {
			t.Errorf("flowgate_http_rest_answers_total{code=%q} grew by %d, want %d", code, got, n)
		}
	}
	var unused []string
	for _, e := range tbl.Exceptions {
		if !used[key{e.Path, e.Probe}] {
			unused = append(unused, e.Path+" ["+e.Probe+"]")
		}
		if e.Why == "" {
			t.Errorf("exception %s [%s] has no why", e.Path, e.Probe)
		}
	}
	sort.Strings(unused)
	for _, u := range unused {
		t.Errorf("exception %s matches no probe: remove it", u)
	}
	t.Logf("%d probes over %d REST paths", probes, len(paths))
}
