package web

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"flowgate/pools"
	"flowgate/web/users"
)

// ntopng's pool codes (rest_utils.consts): the success ones carry rc 0
// with their own rc_str.
var (
	errAddPoolFailed    = restCode("add_pool_failed")
	errEditPoolFailed   = restCode("edit_pool_failed")
	errDeletePoolFailed = restCode("delete_pool_failed")
	errPoolNotFound     = restCode("pool_not_found")
	errBindFailed       = restCode("bind_pool_member_failed")
	errAlreadyBound     = restCode("bind_pool_member_already_bound")
)

// writeSuccess answers rc 0 with one of ntopng's named success strings
// (POOL_ADDED, POOL_EDITED, ...).
func writeSuccess(w http.ResponseWriter, str, human string, rsp any) {
	if rsp == nil {
		rsp = map[string]any{}
	}
	writeJSON(w, http.StatusOK, envelope{RC: 0, RCStr: str, RCStrHR: human, Rsp: rsp})
}

// writeCapability is the capability ntopng asks of a user who is not an
// administrator for a write path (0, false: administrators only).
func writeCapability(p string) (users.Capability, bool) {
	switch {
	case strings.HasSuffix(p, "/host/pool.lua"), strings.HasSuffix(p, "/host/pool/member.lua"),
		strings.HasSuffix(p, "/host_pool/pool.lua"), strings.HasSuffix(p, "/pool/host_pool/members.lua"):
		return users.CapPools, true
	case strings.Contains(p, "/snmp/device"):
		return users.CapSNMP, true
	}
	return 0, false
}

// poolRoutes serves ntopng's host pools over Dependencies.Pools; host
// answers carry the host_pool_id it matches.
//
//	GET  get/pools.lua, get/host/pool/pools.lua[?pool=], get/host/pool/members.lua?pool=,
//	     get/host/pool_by_member.lua?member=, get/recipient/pools.lua?recipient_id=
//	POST add/host/pool.lua {pool_name, pool_members, confset_id, recipients}
//	POST edit/host/pool.lua {pool, pool_name, pool_members, confset_id, recipients}
//	POST delete/host/pool.lua {pool}, delete/pools.lua
//	POST bind/host/pool/member.lua {pool, member}
//	POST import/pool/host_pool/members.lua {pool, host_pool_members}
func (s *Server) poolRoutes() {
	const v2 = "/lua/rest/v2/"
	for path, h := range map[string]func(http.ResponseWriter, *http.Request, params){
		"get/pools.lua":                     s.getAllPools,
		"get/host/pool/pools.lua":           s.getHostPools,
		"get/host/pools.lua":                s.getHostPools, // examples_v2.rst's spelling
		"get/host/pool/members.lua":         s.getPoolMembers,
		"get/host/pool_by_member.lua":       s.getPoolByMember,
		"get/recipient/pools.lua":           s.getRecipientPools,
		"add/host/pool.lua":                 s.addPool,
		"edit/host/pool.lua":                s.editPool,
		"edit/host_pool/pool.lua":           s.editPool,
		"delete/host/pool.lua":              s.deletePool,
		"delete/pools.lua":                  s.deleteAllPools,
		"bind/host/pool/member.lua":         s.bindPoolMember,
		"import/pool/host_pool/members.lua": s.importPoolMembers,
	} {
		write := !strings.HasPrefix(path, "get/")
		s.mux.HandleFunc(v2+path, s.poolHandler(write, h))
	}
}

// poolHandler reads the parameters (writes: POST only).
func (s *Server) poolHandler(write bool, h func(http.ResponseWriter, *http.Request, params)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if write && !isPost(w, r) {
			return
		}
		q, err := readParams(r)
		if err != nil {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		h(w, r, q)
	}
}

// hostPoolID is the pool of a host (0 without pools).
func (s *Server) hostPoolID(ip netip.Addr, vlan uint16) int {
	return s.deps.Pools.Match(ip, vlan)
}

// poolJSON is a pool as ntopng's get_pool answers it, with the instance
// key of get/pools.lua when key is set.
func poolJSON(p pools.Pool, key bool) map[string]any {
	details := map[string]any{}
	for _, m := range p.Members {
		details[m] = pools.Details(m)
	}
	recips := []map[string]any{}
	for _, r := range p.Recipients {
		recips = append(recips, map[string]any{"recipient_id": r, "recipient_name": r})
	}
	members := p.Members
	if members == nil {
		members = []string{}
	}
	out := map[string]any{"pool_id": p.ID, "name": p.Name, "members": members, "member_details": details,
		"configset_id": p.ConfigsetID, "recipients": recips}
	if key {
		out["key"] = "host"
	}
	return out
}

// poolID reads the pool parameter: a pool id that exists.
func (s *Server) poolID(w http.ResponseWriter, q params, name string) (int, bool) {
	v, ok := q[name]
	if !ok || v == "" {
		writeError(w, 0, errInvalidArgs, "missing "+name)
		return 0, false
	}
	id, err := strconv.Atoi(v)
	if err != nil || id < 0 {
		writeError(w, 0, errInvalidArgs, "bad "+name+" "+strconv.Quote(v))
		return 0, false
	}
	if _, ok := s.deps.Pools.Get(id); !ok {
		writeError(w, 0, errPoolNotFound, "no pool "+v)
		return 0, false
	}
	return id, true
}

func (s *Server) getAllPools(w http.ResponseWriter, r *http.Request, q params) {
	out := []map[string]any{}
	for _, p := range s.deps.Pools.All() {
		out = append(out, poolJSON(p, true))
	}
	writeOK(w, out)
}

// getHostPools answers one pool keyed by its id (ntopng's res[pool_id],
// which its JSON encoder writes as an array for pool 1) or all of them.
func (s *Server) getHostPools(w http.ResponseWriter, r *http.Request, q params) {
	if v := q["pool"]; v != "" {
		id, ok := s.poolID(w, q, "pool")
		if !ok {
			return
		}
		p, _ := s.deps.Pools.Get(id)
		if id == 1 {
			writeOK(w, []any{poolJSON(p, false)})
			return
		}
		writeOK(w, map[string]any{strconv.Itoa(id): poolJSON(p, false)})
		return
	}
	out := []map[string]any{}
	for _, p := range s.deps.Pools.All() {
		out = append(out, poolJSON(p, false))
	}
	writeOK(w, out)
}

func (s *Server) getPoolMembers(w http.ResponseWriter, r *http.Request, q params) {
	id, ok := s.poolID(w, q, "pool")
	if !ok {
		return
	}
	p, _ := s.deps.Pools.Get(id)
	out := []pools.MemberDetails{}
	for _, m := range p.Members {
		out = append(out, pools.Details(m))
	}
	writeOK(w, out)
}

func (s *Server) getPoolByMember(w http.ResponseWriter, r *http.Request, q params) {
	m := q["member"]
	if m == "" {
		writeError(w, 0, errInvalidArgs, "missing member")
		return
	}
	p, ok, err := s.deps.Pools.ByMember(m)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if !ok {
		writeOK(w, map[string]any{})
		return
	}
	if q["pool_name_only"] == "true" {
		writeOK(w, p.Name)
		return
	}
	writeOK(w, poolJSON(p, false))
}

func (s *Server) getRecipientPools(w http.ResponseWriter, r *http.Request, q params) {
	id := strings.TrimSpace(q["recipient_id"])
	if id == "" || len(id) > 128 {
		writeError(w, 0, errInvalidArgs, "missing or bad recipient_id")
		return
	}
	out := []map[string]any{}
	for _, p := range s.deps.Pools.All() {
		for _, rc := range p.Recipients {
			if rc == id {
				out = append(out, poolJSON(p, true))
				break
			}
		}
	}
	writeOK(w, out)
}

// poolFields reads pool_name, pool_members, confset_id and recipients.
func poolFields(w http.ResponseWriter, q params) (name string, members []string, confset int, recips []string, ok bool) {
	name, hasName := q["pool_name"]
	membersStr, hasMembers := q["pool_members"]
	if !hasName || !hasMembers || strings.TrimSpace(name) == "" {
		writeError(w, 0, errInvalidArgs, "pool_name and pool_members are required")
		return "", nil, 0, nil, false
	}
	members, err := pools.ParseMembers(membersStr)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return "", nil, 0, nil, false
	}
	if v := q["confset_id"]; v != "" {
		if confset, err = strconv.Atoi(v); err != nil || confset < 0 {
			writeError(w, 0, errInvalidArgs, "bad confset_id")
			return "", nil, 0, nil, false
		}
	}
	for _, r := range strings.Split(q["recipients"], ",") {
		if r = strings.TrimSpace(r); r != "" {
			recips = append(recips, r)
		}
	}
	return name, members, confset, recips, true
}

// poolWriteError maps a pool store error to ntopng's code.
func poolWriteError(w http.ResponseWriter, err error, fail restError) {
	switch {
	case errors.Is(err, pools.ErrNotFound):
		writeError(w, 0, errPoolNotFound, err.Error())
	case errors.Is(err, pools.ErrAlreadyBound):
		writeError(w, 0, errAlreadyBound, err.Error())
	default:
		writeError(w, 0, fail, err.Error())
	}
}

func (s *Server) addPool(w http.ResponseWriter, r *http.Request, q params) {
	name, members, confset, recips, ok := poolFields(w, q)
	if !ok {
		return
	}
	id, err := s.deps.Pools.Add(name, members, confset, recips)
	if err != nil {
		poolWriteError(w, err, errAddPoolFailed)
		return
	}
	writeSuccess(w, "POOL_ADDED", "Pool added", map[string]any{"pool_id": id})
}

func (s *Server) editPool(w http.ResponseWriter, r *http.Request, q params) {
	id, ok := s.poolID(w, q, "pool")
	if !ok {
		return
	}
	name, members, confset, recips, ok := poolFields(w, q)
	if !ok {
		return
	}
	if err := s.deps.Pools.Edit(id, name, members, confset, recips); err != nil {
		poolWriteError(w, err, errEditPoolFailed)
		return
	}
	writeSuccess(w, "POOL_EDITED", "Pool edited", nil)
}

func (s *Server) deletePool(w http.ResponseWriter, r *http.Request, q params) {
	id, ok := s.poolID(w, q, "pool")
	if !ok {
		return
	}
	if err := s.deps.Pools.Delete(id); err != nil {
		poolWriteError(w, err, errDeletePoolFailed)
		return
	}
	writeSuccess(w, "POOL_DELETED", "Pool deleted", map[string]any{"pool_id": id})
}

func (s *Server) deleteAllPools(w http.ResponseWriter, r *http.Request, q params) {
	if err := s.deps.Pools.Reset(); err != nil {
		writeError(w, 0, errDeletePoolFailed, err.Error())
		return
	}
	writeOK(w, map[string]any{})
}

func (s *Server) bindPoolMember(w http.ResponseWriter, r *http.Request, q params) {
	id, ok := s.poolID(w, q, "pool")
	if !ok {
		return
	}
	m := q["member"]
	if m == "" {
		writeError(w, 0, errInvalidArgs, "missing member")
		return
	}
	if err := s.deps.Pools.Bind(m, id); err != nil {
		if errors.Is(err, pools.ErrAlreadyBound) {
			// ntopng answers the pool that holds the member.
			cur, _, _ := s.deps.Pools.ByMember(m)
			writeJSON(w, errAlreadyBound.http, envelope{RC: errAlreadyBound.rc, RCStr: errAlreadyBound.str,
				RCStrHR: err.Error(), Rsp: poolJSON(cur, false)})
			return
		}
		if errors.Is(err, pools.ErrInvalid) {
			writeError(w, 0, errInvalidArgs, err.Error())
			return
		}
		poolWriteError(w, err, errBindFailed)
		return
	}
	writeSuccess(w, "POOL_MEMBER_BOUND", "Pool member bound", nil)
}

// importPoolMembers binds a comma-separated list to a pool, all or none.
func (s *Server) importPoolMembers(w http.ResponseWriter, r *http.Request, q params) {
	id, ok := s.poolID(w, q, "pool")
	if !ok {
		return
	}
	if id == pools.DefaultPoolID {
		writeError(w, 0, errInvalidArgs, "members cannot be imported into the default pool")
		return
	}
	add, err := pools.ParseMembers(q["host_pool_members"])
	if err != nil || len(add) == 0 {
		writeError(w, 0, errInvalidArgs, "host_pool_members: a comma-separated list of members is required")
		return
	}
	p, _ := s.deps.Pools.Get(id)
	if err := s.deps.Pools.Edit(id, p.Name, append(p.Members, add...), p.ConfigsetID, p.Recipients); err != nil {
		poolWriteError(w, err, errBindFailed)
		return
	}
	writeSuccess(w, "POOL_MEMBER_BOUND", "Pool member bound", map[string]any{"pool_id": id, "num_members": len(add)})
}

// adminRoutes registers the pool, category, configuration-backup and Pro
// endpoints.
func (s *Server) adminRoutes() {
	s.poolRoutes()
	s.categoryRoutes()
	s.configRoutes()
	s.proRoutes()
}

// writeCapabilityGranted reports whether u holds the capability ntopng
// asks for the write path p.
func writeCapabilityGranted(u users.User, p string) bool {
	c, ok := writeCapability(p)
	return ok && u.Can(c)
}
