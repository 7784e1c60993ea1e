package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"

	"flowgate/alerts/sqlitestore"
	"flowgate/engine"
)

// ntopng's keys of the devices the unexpected-new-device check has seen
// (lua_utils getFirstSeenDevicesHashKey; the check's per-MAC flag).
const (
	seenDevicesKeyPrefix = "ntopng.seen_devices.ifid_"
	newDeviceFlagPrefix  = "ntopng.cache.checks.unexpected_new_device_plugins_enabled."
	// maxARPRows bounds get/interface/arp.lua's answer.
	maxARPRows = 65536
	// maxLimitGrowth bounds incr_flows/incr_hosts: a limit grows to at most
	// this many times its startup value (-X, -x), so a script calling them
	// in a loop cannot let the tables eat the machine's memory.
	maxLimitGrowth = 4
)

// deviceRoutes serves the MAC-level and limit endpoints: ARP pairs,
// fingerprints, device aliases, new devices, and the flow and host limits.
func (s *Server) deviceRoutes(v2 string) {
	s.mux.HandleFunc(v2+"get/interface/arp.lua", s.getInterfaceARP)
	s.mux.HandleFunc(v2+"get/host/fingerprint/data.lua", s.getHostFingerprint)
	s.mux.HandleFunc(v2+"set/device/alias.lua", s.setDeviceAlias)
	s.mux.HandleFunc(v2+"delete/host/new_devices.lua", s.deleteNewDevices)
	s.mux.HandleFunc(v2+"edit/ntopng/incr_flows.lua", s.incrLimit(true))
	s.mux.HandleFunc(v2+"edit/ntopng/incr_hosts.lua", s.incrLimit(false))
}

// formatMAC writes a MAC as ntopng does: upper case, colons.
func formatMAC(m [6]byte) string {
	return strings.ToUpper(net.HardwareAddr(m[:]).String())
}

// arpPair is one IP/MAC pair learned from flows.
type arpPair struct {
	ip    netip.Addr
	vlan  uint16
	mac   [6]byte
	flows int
	last  uint32
}

// getInterfaceARP answers the interface's ARP table as flows teach it: the
// MAC address each local host's flows carried (IN_SRC_MAC/OUT_DST_MAC), one
// row per IP, VLAN and MAC, so an IP seen behind two MACs shows twice.
// ntopng counts ARP packets here, which flow exports do not carry
// (docs/rest-coverage.md). host= keeps that host's rows.
func (s *Server) getInterfaceARP(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	var only netip.Addr
	var onlyVLAN uint16
	if p["host"] != "" {
		ip, vlan, err := parseHost(p)
		if err != nil {
			writeError(w, 0, errInvalidHost, err.Error())
			return
		}
		only, onlyVLAN = ip, vlan
	}
	visible := addrFilter(r)
	type pairKey struct {
		ip   netip.Addr
		vlan uint16
		mac  [6]byte
	}
	pairs := map[pairKey]*arpPair{}
	add := func(t *engine.Tables, ip netip.Addr, vlan uint16, mac [6]byte, last uint32) {
		if mac == ([6]byte{}) || only.IsValid() && (ip != only || vlan != onlyVLAN) ||
			visible != nil && !visible(ip) {
			return
		}
		k := pairKey{ip, vlan, mac}
		if pr, ok := pairs[k]; ok {
			pr.flows++
			pr.last = max(pr.last, last)
			return
		}
		// Only hosts on the local networks: the MAC of a remote address is
		// its router's.
		if h := t.Host(ip, vlan); h == nil || !h.Local || len(pairs) >= maxARPRows {
			return
		}
		pairs[k] = &arpPair{ip: ip, vlan: vlan, mac: mac, flows: 1, last: last}
	}
	i.Do(func(t *engine.Tables) {
		t.Flows(func(f *engine.Flow) bool {
			add(t, f.Client(), f.VLAN(), f.CliMAC, f.LastSeen)
			add(t, f.Server(), f.VLAN(), f.SrvMAC, f.LastSeen)
			return true
		})
	})
	rows := make([]*arpPair, 0, len(pairs))
	for _, pr := range pairs {
		rows = append(rows, pr)
	}
	sort.Slice(rows, func(a, b int) bool {
		x, y := rows[a], rows[b]
		if x.ip != y.ip {
			return x.ip.Less(y.ip)
		}
		if x.vlan != y.vlan {
			return x.vlan < y.vlan
		}
		return string(x.mac[:]) < string(y.mac[:])
	})
	out := make([]map[string]any, 0, len(rows))
	for _, pr := range rows {
		out = append(out, map[string]any{"ip": pr.ip.String(), "vlan": pr.vlan, "mac": formatMAC(pr.mac),
			"num_flows": pr.flows, "last_seen": pr.last})
	}
	writeOK(w, out)
}

// fingerprintKinds are the fingerprint_type values: the flow metadata each
// takes from a host's client flows (and, for JA3, the JA3S of its server
// flows). HASSH is accepted and always empty: no collector decodes SSH.
var fingerprintKinds = map[string]struct {
	client, server engine.MetaKey
}{
	"ja3":   {engine.MetaJA3C, engine.MetaJA3S},
	"ja4":   {engine.MetaJA4C, 0},
	"hassh": {0, 0},
}

// getHostFingerprint answers ntopng's per-host fingerprint table from the
// host's active flows: {hash, type, app_name, num_uses, is_malicious} (for
// hassh, {hassh, ...}); num_uses counts the active flows carrying it, where
// ntopng counts every flow of the host's lifetime. app_name is the process
// (ntopng's eBPF), which flows do not carry. A host without fingerprints,
// and a well-formed host that is not active, answer [] as in ntopng.
func (s *Server) getHostFingerprint(w http.ResponseWriter, r *http.Request) {
	p, i, ok := s.ifaceRequest(w, r)
	if !ok {
		return
	}
	kind, ok := fingerprintKinds[p["fingerprint_type"]]
	if !ok {
		writeError(w, 0, errInvalidArgs, "fingerprint_type must be ja3, ja4 or hassh")
		return
	}
	if p["host"] == "" {
		writeError(w, 0, errInvalidArgs, "missing host")
		return
	}
	ip, vlan, err := parseHost(p)
	if err != nil {
		writeError(w, 0, errInvalidHost, err.Error())
		return
	}
	if visible := addrFilter(r); visible != nil && !visible(ip) {
		s.counters.notGranted.Add(1)
		writeError(w, 0, errNotGranted, "host not in the networks allowed to this user")
		return
	}
	typ := strings.ToUpper(p["fingerprint_type"])
	uses := map[string]int{}
	if kind.client != 0 {
		i.Do(func(t *engine.Tables) {
			t.Flows(func(f *engine.Flow) bool {
				if f.VLAN() != vlan {
					return true
				}
				if f.Client() == ip {
					if h := f.Meta(kind.client); h != "" {
						uses[h]++
					}
				}
				if kind.server != 0 && f.Server() == ip {
					if h := f.Meta(kind.server); h != "" {
						uses[h]++
					}
				}
				return true
			})
		})
	}
	out := make([]map[string]any, 0, len(uses))
	for _, h := range sortedKeys(uses) {
		row := map[string]any{"app_name": "", "num_uses": uses[h], "is_malicious": false}
		if typ == "HASSH" {
			row["hassh"] = h
		} else {
			row["hash"], row["type"] = h, typ
		}
		out = append(out, row)
	}
	writeOK(w, out)
}

// setDeviceAlias stores a MAC's custom name where ntopng keeps it: field
// <MAC> of the host labels hash (lua_utils setHostAltName); an empty name
// deletes it.
func (s *Server) setDeviceAlias(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) || !s.adminOnly(w, r) {
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	dev := p["device"]
	mac, err := net.ParseMAC(dev)
	if err != nil || len(mac) != 6 {
		writeError(w, 0, errInvalidArgs, "device must be a MAC address, got "+quoteShort(dev))
		return
	}
	name, err := readAlias(p, "custom_name")
	if err != nil {
		writeError(w, 0, errInvalidArgs, err.Error())
		return
	}
	if err := s.setOrDelHash(hostLabelsKey, formatMAC([6]byte(mac)), name); err != nil {
		s.deps.Logger.Error("set device alias", "err", err)
		writeError(w, 0, errInternal, "cannot store the alias")
		return
	}
	writeOK(w, map[string]any{})
}

// quoteShort quotes at most 64 bytes of v for an error message.
func quoteShort(v string) string {
	if len(v) > 64 {
		v = v[:64] + "..."
	}
	return fmt.Sprintf("%q", v)
}

// deleteNewDevices forgets the devices the unexpected-new-device check
// has seen, as ntopng's new_devices.reset_macs: the seen-devices hash of
// every interface and each device's flag (user scripts keep them through
// ntop.*Cache). rsp.deleted counts the devices.
func (s *Server) deleteNewDevices(w http.ResponseWriter, r *http.Request) {
	if !isPost(w, r) || !s.adminOnly(w, r) {
		return
	}
	kv := s.kvStore()
	n := 0
	for _, i := range s.deps.Engine.Interfaces() {
		key := fmt.Sprintf("%s%d", seenDevicesKeyPrefix, i.ID())
		seen, err := kv.HGetAll(key)
		if err == nil {
			for mac := range seen {
				if err = kv.HDel(key, mac); err != nil {
					break
				}
				if err = kv.Del(newDeviceFlagPrefix + mac); err != nil {
					break
				}
				n++
			}
		}
		if err != nil {
			s.deps.Logger.Error("delete new devices", "key", key, "err", err)
			writeError(w, 0, errInternal, "cannot reset the seen devices")
			return
		}
	}
	writeOK(w, map[string]any{"deleted": n})
}

// incrLimit doubles every interface's flow (or host) limit at runtime, as
// ntopng's incr_flows.lua/incr_hosts.lua double -X/-x (ntopng in its
// configuration file, for the next start; flowgate now, until restart).
// A limit stops at maxLimitGrowth times its startup value.
func (s *Server) incrLimit(flows bool) http.HandlerFunc {
	what, key := "hosts", "max_num_hosts"
	if flows {
		what, key = "flows", "max_num_flows"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) || !s.adminOnly(w, r) {
			return
		}
		if _, err := readParams(r); err != nil {
			writeError(w, 0, errBadFormat, err.Error())
			return
		}
		start := s.deps.Engine.Config()
		ceiling := start.MaxHosts * maxLimitGrowth
		if flows {
			ceiling = start.MaxFlows * maxLimitGrowth
		}
		out := []map[string]any{}
		atCeiling := true
		for _, i := range s.deps.Engine.Interfaces() {
			var was, now int
			i.Do(func(t *engine.Tables) {
				mf, mh := t.Limits()
				was = mh
				if flows {
					was = mf
				}
				now = min(was*2, ceiling)
				if flows {
					t.SetLimits(now, 0)
				} else {
					t.SetLimits(0, now)
				}
			})
			if now > was {
				atCeiling = false
				s.deps.Logger.Info("max "+what+" raised", "ifid", i.ID(), "from", was, "to", now, "user", requester(r).Username)
			}
			out = append(out, map[string]any{"ifid": i.ID(), key: now})
		}
		if atCeiling && len(out) > 0 {
			writeError(w, http.StatusConflict, errInvalidArgs,
				fmt.Sprintf("max %s is already %d times its startup value (%d): restart with a larger limit", what, maxLimitGrowth, ceiling/maxLimitGrowth))
			return
		}
		writeOK(w, out)
	}
}

// deleteAllAlerts is delete/all/alerts.lua: every family's stored alerts
// the request selects (ifid, epoch_begin, epoch_end, and ntopng's
// alert_id, severity and score filters, which every family has); the
// answer is {"count": n}.
func (s *Server) deleteAllAlerts(db *sqlitestore.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isPost(w, r) || !s.adminOnly(w, r) {
			return
		}
		q, p, ok := s.storeQuery(w, r, "", "/lua/rest/v2/get/all/alert/list.lua")
		if !ok {
			return
		}
		if q.Status == sqlitestore.StatusEngaged {
			writeError(w, 0, errInvalidArgs, "engaged alerts are live state: neither acknowledged nor deleted")
			return
		}
		if p["status"] == "" {
			q.Status = sqlitestore.StatusAny
		}
		for _, k := range []string{"alert_id", "severity", "score"} {
			if v := p[k]; v != "" {
				fs, err := sqlitestore.ParseFilters(k, v)
				if err != nil {
					writeError(w, 0, errInvalidArgs, err.Error())
					return
				}
				q.Filters = append(q.Filters, fs...)
			}
		}
		total := 0
		for _, f := range sqlitestore.Families() {
			fq := q
			fq.Family = f
			n, err := db.Delete(r.Context(), fq)
			if err != nil {
				s.storeFailed(w, err)
				return
			}
			total += n
		}
		writeOK(w, map[string]any{"count": total})
	}
}
