package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"flowgate/categories"
	"flowgate/engine/ndpi"
)

// categoryRoutes serves ntopng's category and application editing over
// Dependencies.Categories, the lists the engine classifies new flows with.
//
//	GET  get/category/list.lua[?ifid=]
//	POST edit/category/category.lua {category: "cat_N", custom_hosts: "a,b", category_alias}
//	POST edit/application/application.lua {protocol_alias | l7_proto_id, category, custom_rules: "r1_r2"}
//	POST delete/application/application.lua {protocol_alias}
func (s *Server) categoryRoutes() {
	const v2 = "/lua/rest/v2/"
	s.mux.HandleFunc(v2+"get/category/list.lua", s.poolHandler(false, s.getCategoryList))
	s.mux.HandleFunc(v2+"edit/category/category.lua", s.poolHandler(true, s.editCategory))
	s.mux.HandleFunc(v2+"edit/application/application.lua", s.poolHandler(true, s.editApplication))
	s.mux.HandleFunc(v2+"delete/application/application.lua", s.poolHandler(true, s.deleteApplication))
}

// maxListParam bounds a comma-separated list parameter (hosts, rules).
const maxListParam = 256 << 10

func (s *Server) getCategoryList(w http.ResponseWriter, r *http.Request, q params) {
	if v := q["ifid"]; v != "" {
		if _, ok := s.iface(w, q); !ok {
			return
		}
	}
	st := s.deps.Categories
	protos := map[int]int{}
	for id := uint16(1); id <= ndpi.MaxID(); id++ {
		if ndpi.Name(id) != ndpi.Name(0) {
			protos[int(st.ProtoCategory(id))]++
		}
	}
	out := []map[string]any{}
	for _, id := range categories.All() {
		hosts := st.Hosts(id)
		name := ndpi.Category(id).String()
		if a := st.Alias(id); a != "" {
			name = a
		}
		out = append(out, map[string]any{
			"column_category_id": id, "column_category_name": name,
			"column_num_hosts": strconv.Itoa(len(hosts)), "column_num_protos": strconv.Itoa(protos[id]),
			"column_category_hosts": strings.Join(hosts, ","),
		})
	}
	writeOK(w, out)
}

// categoryParam reads ntopng's "cat_N" (or a bare N).
func categoryParam(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(v, "cat_"))
	return n, err == nil && categories.Valid(n)
}

func splitParam(v, sep string) []string {
	var out []string
	for _, f := range strings.Split(v, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) editCategory(w http.ResponseWriter, r *http.Request, q params) {
	cat, ok := categoryParam(q["category"])
	if !ok {
		writeError(w, 0, errInvalidArgs, "bad or missing category (cat_<id>)")
		return
	}
	if len(q["custom_hosts"]) > maxListParam {
		writeError(w, 0, errBadContent, "custom_hosts too long")
		return
	}
	if _, err := s.deps.Categories.SetCategory(cat, splitParam(q["custom_hosts"], ","), q["category_alias"]); err != nil {
		writeCategoryError(w, err)
		return
	}
	writeOK(w, map[string]any{})
}

func writeCategoryError(w http.ResponseWriter, err error) {
	if errors.Is(err, categories.ErrInvalid) {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	writeError(w, 0, errInternal, err.Error())
}

func (s *Server) editApplication(w http.ResponseWriter, r *http.Request, q params) {
	name, idStr := q["protocol_alias"], q["l7_proto_id"]
	if name == "" && idStr == "" {
		writeError(w, 0, errInvalidArgs, "protocol_alias or l7_proto_id is required")
		return
	}
	if name != "" && !categories.ValidAppName(name) {
		writeError(w, 0, errInvalidArgs, "bad protocol_alias")
		return
	}
	var id int
	if idStr != "" {
		var err error
		if id, err = strconv.Atoi(idStr); err != nil || id < 0 || id > int(ndpi.MaxID()) || (id != 0 && ndpi.Name(uint16(id)) == ndpi.Name(0)) {
			writeError(w, 0, errInvalidArgs, "unknown l7_proto_id "+strconv.Quote(idStr))
			return
		}
	} else if pid, ok := ndpi.ID(name); ok {
		// An nDPI application named by its name: its category changes.
		id, idStr = int(pid), strconv.Itoa(int(pid))
	}
	cat := 0
	if v := q["category"]; v != "" {
		var ok bool
		if cat, ok = categoryParam(v); !ok {
			writeError(w, 0, errInvalidArgs, "bad category")
			return
		}
	} else if idStr != "" {
		cat = int(s.deps.Categories.ProtoCategory(uint16(id)))
	}
	if len(q["custom_rules"]) > maxListParam {
		writeError(w, 0, errBadContent, "custom_rules too long")
		return
	}
	// ntopng separates rules with "_" (a rule may hold commas: tcp:80,443).
	var rules []string
	for _, rule := range splitParam(q["custom_rules"], "_") {
		cr, err := categories.ParseRule(rule)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		rules = append(rules, cr)
	}
	custom := ""
	if _, builtin := ndpi.ID(name); name != "" && !builtin {
		custom = name
	}
	if err := s.deps.Categories.SetApplication(custom, id, idStr != "", cat, rules); err != nil {
		writeCategoryError(w, err)
		return
	}
	writeOK(w, map[string]any{})
}

func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request, q params) {
	name := q["protocol_alias"]
	if name == "" || !categories.ValidAppName(name) {
		writeError(w, 0, errInvalidArgs, "bad or missing protocol_alias")
		return
	}
	ok, err := s.deps.Categories.DeleteApplication(name)
	if err != nil {
		writeCategoryError(w, err)
		return
	}
	if !ok {
		writeError(w, 0, errNotFound, "no custom application "+strconv.Quote(name))
		return
	}
	writeOK(w, map[string]any{})
}
