package web

import (
	"bytes"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// FuzzPageInput: any request converts into _GET/_POST/_SERVER or a clear
// input error, never a panic; what it converts agrees with the request,
// and the tables build in a Lua state.
func FuzzPageInput(f *testing.F) {
	for _, s := range []struct{ method, query, ctype, body string }{
		{"GET", "ifid=0&host=10.0.0.1", "", ""},
		{"GET", "a=%zz", "", ""},
		{"POST", "", "application/json", `{"username": "bob", "n": 1, "o": {"a": [1]}, "z": null}`},
		{"POST", "", "application/json", `{"a": `},
		{"POST", "", "application/json", `[1, 2]`},
		{"POST", "x=1", "application/x-www-form-urlencoded", "a=1&b=%20c&csrf=x"},
		{"POST", "", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--\r\n"},
		{"POST", "", "", "a=1"},
		{"PUT", ";;", "text/plain", "\x00\xff"},
	} {
		f.Add(s.method, s.query, s.ctype, s.body)
	}
	L := lua.NewState()
	defer L.Close()
	f.Fuzz(func(t *testing.T, method, query, ctype, body string) {
		r := &http.Request{Method: method, URL: &url.URL{Path: "/lua/x.lua", RawQuery: query}, Header: http.Header{},
			RemoteAddr: "192.0.2.1:1234", Host: "h"}
		r.Header.Set("Content-Type", ctype)
		in, ierr := readPageInput(r, []byte(body))
		if ierr != nil {
			if ierr.code.http != http.StatusBadRequest {
				t.Fatalf("input error with status %d", ierr.code.http)
			}
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatalf("query %q accepted though it does not parse", query)
		}
		if len(in.get) != len(q) {
			t.Fatalf("_GET has %d keys, the query %d", len(in.get), len(q))
		}
		for k, v := range q {
			if in.get[k] != v[0] {
				t.Fatalf("_GET[%q] = %q, want %q", k, in.get[k], v[0])
			}
		}
		if j, ok := in.post["JSON"]; ok && j != body {
			t.Fatal("_POST.JSON is not the raw body")
		}
		if in.server["REQUEST_METHOD"] != method || in.server["QUERY_STRING"] != query || in.server["REMOTE_ADDR"] != "192.0.2.1" {
			t.Fatalf("_SERVER %v", in.server)
		}
		if len(in.get)+len(in.post) > maxPageFields+1 {
			t.Fatalf("%d fields passed the bound", len(in.get)+len(in.post))
		}
		for _, m := range []map[string]string{in.get, in.post, in.server} {
			tb := strTable(L, m)
			for k, v := range m {
				if got := tb.RawGetString(k); got.String() != v {
					t.Fatalf("table[%q] = %q, want %q", k, got.String(), v)
				}
			}
		}
	})
}

// FuzzPagePath: a path the resolver accepts names a .lua file inside the
// pages directory, whatever the request path was.
func FuzzPagePath(f *testing.F) {
	for _, s := range []string{"/lua/", "/lua/index.lua", "/lua/rest/v2/get/x.lua", "/lua/../etc/passwd", "/lua//x.lua",
		"/lua/a\\b.lua", "/lua/.hidden.lua", "/lua/a/./b.lua", "/lua/x/", "/", "/lua/.lua", "/lua/a\x00.lua", "/lua/\r\n.lua"} {
		f.Add(s)
	}
	const dir = "/srv/scripts/lua"
	f.Fuzz(func(t *testing.T, p string) {
		if badPath(p) {
			return
		}
		if strings.Contains(p, "..") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\\r\n\x00") {
			t.Fatalf("badPath let %q through", p)
		}
		rel, ok := pagePath(p)
		if !ok {
			return
		}
		if !strings.HasSuffix(rel, ".lua") || strings.HasPrefix(rel, "/") || !strings.HasPrefix(p, "/lua/") {
			t.Fatalf("%q -> %q", p, rel)
		}
		full := filepath.Join(dir, filepath.FromSlash(rel))
		back, err := filepath.Rel(dir, full)
		if err != nil || strings.HasPrefix(back, "..") || back != filepath.Clean(rel) {
			t.Fatalf("%q -> %q escapes %s (%s)", p, rel, dir, full)
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == "" || strings.HasPrefix(seg, ".") {
				t.Fatalf("%q -> %q has segment %q", p, rel, seg)
			}
		}
		if utf8.ValidString(p) && !bytes.Contains([]byte(p), []byte(rel[:len(rel)-len(".lua")])) && !strings.HasSuffix(rel, "index.lua") {
			t.Fatalf("%q -> %q is not the request's path", p, rel)
		}
	})
}
