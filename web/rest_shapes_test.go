package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"flowgate/web/users"
)

// shapeCase is one documented answer of ntopng: the request and the
// answer's JSON.
type shapeCase struct {
	source string // where the answer is documented
	method string
	path   string
	params map[string]string
	answer map[string]any
}

// samples521 are the real ntopng 5.2.1 answers and their requests
// (samples_5.2.1_zmq/README.md).
var samples521 = map[string]string{
	"interface_data.json": "/lua/rest/v2/get/interface/data.lua",
	"host_active.json":    "/lua/rest/v2/get/host/active.lua",
	"flow_active.json":    "/lua/rest/v2/get/flow/active.lua",
}

var (
	docURL  = regexp.MustCompile(`https?://[^/"' ]+(/lua/[^?"' ]+)(\?[^"' ]*)?`)
	docBody = regexp.MustCompile(`-d '([^']*)'`)
)

// documentedAnswers reads the 5.2.1 samples and every example of
// examples_v2.rst that has a request and a JSON answer.
func documentedAnswers(t *testing.T) []shapeCase {
	t.Helper()
	var out []shapeCase
	dir := "testdata/ntopng_rest_v2/samples_5.2.1_zmq/"
	for file, path := range samples521 {
		raw, err := os.ReadFile(dir + file)
		if err != nil {
			t.Fatal(err)
		}
		c := shapeCase{source: "samples_5.2.1_zmq/" + file, method: http.MethodGet, path: path, params: map[string]string{"ifid": "0"}}
		if err := json.Unmarshal(raw, &c.answer); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, c)
	}
	raw, err := os.ReadFile("testdata/ntopng_rest_v2/examples_v2.rst")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	// indented block after the directive line at n
	block := func(n int) ([]string, int) {
		var b []string
		for n++; n < len(lines); n++ {
			if l := lines[n]; l != "" && !strings.HasPrefix(l, " ") {
				break
			}
			b = append(b, lines[n])
		}
		return b, n
	}
	for n := 0; n < len(lines); n++ {
		if strings.TrimSpace(lines[n]) != ".. code:: bash" {
			continue
		}
		cmd, end := block(n)
		n = end - 1
		// Several commands are several examples of one answer: take the first.
		joined := strings.Join(cmd, "\n")
		joined = strings.ReplaceAll(joined, "\\\n", " ")
		first := strings.TrimSpace(strings.Split(strings.TrimSpace(joined), "\n")[0])
		m := docURL.FindStringSubmatch(first)
		if m == nil {
			continue
		}
		c := shapeCase{source: "examples_v2.rst:" + itoa(n+1), method: http.MethodGet, path: m[1], params: map[string]string{}}
		if q, err := url.ParseQuery(strings.TrimPrefix(m[2], "?")); err == nil {
			for k, v := range q {
				c.params[k] = v[0]
			}
		}
		if b := docBody.FindStringSubmatch(first); b != nil {
			var body map[string]any
			if json.Unmarshal([]byte(b[1]), &body) != nil {
				continue
			}
			for k, v := range body {
				js, _ := json.Marshal(v)
				c.params[k] = strings.Trim(string(js), `"`)
			}
			c.method = http.MethodPost
		}
		// The answer: the next JSON block before the next request.
		for k := n + 1; k < len(lines) && strings.TrimSpace(lines[k]) != ".. code:: bash"; k++ {
			if strings.TrimSpace(lines[k]) == ".. code:: json" {
				ans, _ := block(k)
				if json.Unmarshal([]byte(strings.Join(ans, "\n")), &c.answer) == nil {
					out = append(out, c)
				}
				break
			}
		}
	}
	return out
}

// TestRESTShapes compares flowgate's answers with every answer ntopng
// documents (the 5.2.1 samples, examples_v2.rst): each field of ntopng's
// answer must exist with the same JSON type, recursively (lists by their
// first element), unless testdata/rest_shapes/allow.json lists the
// difference with a reason. Extra fields are allowed.
func TestRESTShapes(t *testing.T) {
	var allow struct {
		Allow []struct{ Path, Diff, Why string } `json:"allow"`
	}
	raw, err := os.ReadFile("testdata/rest_shapes/allow.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &allow); err != nil {
		t.Fatal(err)
	}
	allowed := map[[2]string]bool{}
	for _, a := range allow.Allow {
		if a.Why == "" {
			t.Errorf("allow %s %q has no why", a.Path, a.Diff)
		}
		allowed[[2]string{a.Path, a.Diff}] = false
	}
	s := walkServer(t)
	// create/ntopng/session.lua's example asks for user admin.
	if err := s.Users().Add(users.Spec{Username: "admin", Password: "pw-admin", Group: users.Administrator}); err != nil {
		t.Fatal(err)
	}
	cases := documentedAnswers(t)
	compared := map[string]bool{}
	for _, c := range cases {
		// The walk's engine has one local host with flows; an answer keyed
		// by the example's host (host/interfaces.lua) is keyed by it.
		if h, ok := c.params["host"]; ok {
			c.params["host"] = "10.1.0.5"
			if rsp, ok := c.answer["rsp"].(map[string]any); ok && rsp[h] != nil {
				rsp["10.1.0.5"] = rsp[h]
				delete(rsp, h)
			}
		}
		if _, ok := c.params["ifid"]; ok {
			c.params["ifid"] = "0"
		}
		if c.path == "/lua/rest/v2/get/interface/l7/stats.lua" || c.path == "/lua/rest/v2/get/host/l7/stats.lua" {
			c.params["ndpistats_mode"] = "count"
		}
		if _, pattern := s.mux.Handler(httptest.NewRequest(http.MethodGet, c.path, nil)); pattern == "" || pattern == "/lua/rest/v2/" {
			t.Logf("%s (%s): not served", c.path, c.source)
			continue
		}
		code, got := callShape(s, c)
		if code != http.StatusOK {
			t.Errorf("%s %s %v (%s): %d %v", c.method, c.path, c.params, c.source, code, got)
			continue
		}
		compared[c.path] = true
		for _, d := range missingShape("", shape(c.answer), shape(got)) {
			k := [2]string{c.path, d}
			if _, ok := allowed[k]; ok {
				allowed[k] = true
				continue
			}
			t.Errorf("%s (%s): %s", c.path, c.source, d)
		}
	}
	var unused []string
	for k, used := range allowed {
		if !used {
			unused = append(unused, k[0]+" "+k[1])
		}
	}
	sort.Strings(unused)
	for _, u := range unused {
		t.Errorf("allow.json entry matches no difference: %s", u)
	}
	if len(compared) < 20 {
		t.Errorf("only %d paths compared", len(compared))
	}
	t.Logf("%d documented answers, %d paths compared", len(cases), len(compared))
}

// callShape sends a documented request: POST ones with their JSON body.
func callShape(s *Server, c shapeCase) (int, map[string]any) {
	var r *http.Request
	if c.method == http.MethodPost {
		js, _ := json.Marshal(c.params)
		r = httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(string(js)))
		r.Header.Set("Content-Type", "application/json")
	} else {
		q := url.Values{}
		for k, v := range c.params {
			q.Set(k, v)
		}
		r = httptest.NewRequest(http.MethodGet, c.path+"?"+q.Encode(), nil)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	var env map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return rec.Code, env
}
