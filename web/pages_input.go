package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxPageFields bounds the _GET plus _POST fields of one request.
const maxPageFields = 4096

// pageInput is what a request gives a Lua page: _GET, _POST and _SERVER
// as ntopng fills them.
type pageInput struct {
	get, post, server map[string]string
}

// inputError is a request a page cannot run for: its status and envelope.
type inputError struct {
	code restError
	msg  string
}

func (e *inputError) Error() string { return e.msg }

// readPageInput converts a request (its body already read and bounded by
// the guard) into a page's globals:
//   - _GET: the URL-decoded query string (first value of a repeated key);
//   - _POST: form fields (urlencoded or multipart) or, for a JSON body,
//     _POST["JSON"] = the raw text and its top-level keys (strings as they
//     are, numbers and booleans as their JSON text, objects and arrays as
//     their compact JSON text, null left out);
//   - _SERVER: REQUEST_METHOD, URI, QUERY_STRING, REMOTE_ADDR, HTTP_HOST,
//     HTTPS ("on"), and each request header as HTTP_<NAME> (dashes as
//     underscores) except the credentials (Authorization, Cookie,
//     Proxy-Authorization), which a page has no business printing.
//
// A malformed query string or form is invalid_args, a JSON body that does
// not parse is bad_format, too many fields invalid_args.
func readPageInput(r *http.Request, body []byte) (pageInput, *inputError) {
	in := pageInput{get: map[string]string{}, post: map[string]string{}, server: map[string]string{}}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return in, &inputError{errInvalidArgs, "malformed query string"}
	}
	n := 0
	for k, v := range q {
		in.get[k] = v[0]
		n++
	}
	if len(body) > 0 && r.Method != http.MethodGet && r.Method != http.MethodHead {
		ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/json":
			if e := postJSON(in.post, body); e != nil {
				return in, e
			}
		case "application/x-www-form-urlencoded", "":
			if ct == "" && !looksLikeForm(body) {
				break
			}
			f, err := url.ParseQuery(string(body))
			if err != nil {
				return in, &inputError{errInvalidArgs, "malformed form body"}
			}
			for k, v := range f {
				in.post[k] = v[0]
			}
		case "multipart/form-data":
			form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(int64(len(body)) + 4096)
			if err != nil {
				return in, &inputError{errInvalidArgs, "malformed multipart body"}
			}
			for k, v := range form.Value {
				if len(v) > 0 {
					in.post[k] = v[0]
				}
			}
			_ = form.RemoveAll()
		}
		n += len(in.post)
	}
	if n > maxPageFields {
		return in, &inputError{errInvalidArgs, fmt.Sprintf("more than %d parameters", maxPageFields)}
	}
	s := in.server
	s["REQUEST_METHOD"] = r.Method
	s["URI"] = r.URL.Path
	s["QUERY_STRING"] = r.URL.RawQuery
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		s["REMOTE_ADDR"] = ap.Addr().Unmap().String()
	}
	s["HTTP_HOST"] = r.Host
	if r.TLS != nil {
		s["HTTPS"] = "on"
	}
	for name, v := range r.Header {
		switch name {
		case "Authorization", "Cookie", "Proxy-Authorization":
			continue
		}
		s["HTTP_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = strings.Join(v, ", ")
	}
	return in, nil
}

// looksLikeForm: a POST without a content type is taken as a form (as
// browsers and curl -d send one) when it parses as one.
func looksLikeForm(body []byte) bool {
	return utf8.Valid(body) && bytes.IndexByte(body, '=') > 0 && !bytes.ContainsAny(body, "{}\n")
}

// postJSON fills _POST from a JSON body.
func postJSON(post map[string]string, body []byte) *inputError {
	if !json.Valid(body) {
		return &inputError{errBadFormat, "the JSON body does not parse"}
	}
	post["JSON"] = string(body)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil // a scalar or an array: only JSON
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return &inputError{errBadFormat, "the JSON body does not parse"}
	}
	for k, raw := range fields {
		if k == "JSON" {
			continue // the raw text stays under JSON
		}
		switch raw[0] {
		case 'n':
			continue
		case '"':
			var v string
			if json.Unmarshal(raw, &v) == nil {
				post[k] = v
			}
		case '{', '[':
			var b bytes.Buffer
			if json.Compact(&b, raw) == nil {
				post[k] = b.String()
			}
		default: // numbers, true, false
			post[k] = string(raw)
		}
	}
	return nil
}

// badPath tells whether a request path is refused before anything else:
// "..", "//", a backslash, CR, LF or NUL anywhere in the decoded path.
func badPath(p string) bool {
	return strings.Contains(p, "..") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\\r\n\x00")
}

// pagePath maps a request path to a page file relative to <scripts>/lua:
// "/lua/x/y.lua" -> "x/y.lua", "/lua/" -> "index.lua", "/lua/x/" ->
// "x/index.lua"; ok is false for paths that are not pages (the built-in
// routes answer them). badPath must have been checked.
func pagePath(p string) (string, bool) {
	rel, ok := strings.CutPrefix(p, "/lua/")
	if !ok {
		return "", false
	}
	if rel == "" || strings.HasSuffix(rel, "/") {
		rel += "index.lua"
	}
	if !strings.HasSuffix(rel, ".lua") || len(rel) == len(".lua") || strings.HasPrefix(rel, "/") {
		return "", false
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg == "." || strings.HasPrefix(seg, ".") {
			return "", false // no hidden files
		}
	}
	return rel, true
}
