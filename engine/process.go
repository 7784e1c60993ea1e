package engine

import (
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"flowgate/engine/ndpi"
)

const tcpSYN = 0x02

// processFlow applies one record (§6.1–§6.7). It may modify r.
func (t *Tables) processFlow(r *FlowRecord) {
	// §6.1 pre-processing.
	src, dst, ok := preprocess(r)
	if !ok {
		t.stats.DropsIPMismatch++
		return
	}
	if r.Proto != 17 && r.SrcPort < r.DstPort && (r.Proto != 6 || r.ClientTCPFlags&tcpSYN == 0) &&
		!t.isBcastMcast(src) && !t.isBcastMcast(dst) {
		r.swapSides()
		src, dst = dst, src
	}
	v6 := src.Is6()
	sa, da := src.As16(), dst.As16()

	// §6.2 lookup in either orientation.
	k, _ := makeKey(&sa, &da, r.SrcPort, r.DstPort, r.VLAN, r.Proto, r.PrivateID)
	var f *Flow
	isNew := false
	tag := t.flowIdx.hash(&k)
	if slot, ok := t.lookup(&k, tag); ok {
		f = t.flow(slot)
		if t.isIdle(f) { // idle entries are skipped: the update starts a new flow
			t.lockHosts() // sharded: hosts are shared (shard.go)
			t.endFlow(f, slot, tag, true)
			t.unlockHosts()
			f = nil
		}
	}
	if f == nil {
		t.lockHosts()
		f = t.newFlow(tag, &sa, &da, r, v6)
		t.unlockHosts()
		if f == nil {
			return
		}
		isNew = true
	}
	s2d := f.cliPort == r.SrcPort && f.isClient(&sa)
	t.stats.FlowRecords++

	// §6.3 counters, in flow orientation.
	inB, inP, outB, outP := r.InBytes, r.InPkts, r.OutBytes, r.OutPkts
	var cb, cp, sb, sp uint64
	if s2d {
		cb, cp, sb, sp = inB, inP, outB, outP
	} else {
		cb, cp, sb, sp = outB, outP, inB, inP
	}
	if r.Absolute {
		cb, cp, sb, sp = sub0(cb, f.CliBytes), sub0(cp, f.CliPkts), sub0(sb, f.SrvBytes), sub0(sp, f.SrvPkts)
	}
	f.CliBytes += cb
	f.CliPkts += cp
	f.SrvBytes += sb
	f.SrvPkts += sp
	traffic := cb|cp|sb|sp != 0

	// §6.4 timestamps.
	if r.FirstSwitched != 0 && (f.FirstSeen == 0 || r.FirstSwitched < f.FirstSeen) {
		f.FirstSeen = r.FirstSwitched
	}
	if traffic || isNew {
		last := r.LastSwitched
		if last == 0 {
			last = t.now
		}
		f.LastSeen = last
		dur := float32(1)
		if r.LastSwitched > r.FirstSwitched && r.FirstSwitched != 0 {
			dur = float32(r.LastSwitched - r.FirstSwitched)
		}
		f.ThptBps = float32(cb+sb) * 8 / dur
		f.ThptPps = float32(cp+sp) / dur
	}
	if f.FirstSeen == 0 || f.FirstSeen > f.LastSeen {
		f.FirstSeen = f.LastSeen
	}

	// §6.6 TCP flags: only per-side flags count.
	if r.ClientTCPFlags|r.ServerTCPFlags != 0 {
		if s2d {
			f.CliTCPFlags |= r.ClientTCPFlags
			f.SrvTCPFlags |= r.ServerTCPFlags
		} else {
			f.CliTCPFlags |= r.ServerTCPFlags
			f.SrvTCPFlags |= r.ClientTCPFlags
		}
	}
	f.Direction = r.Direction
	if r.InIfIndex|r.OutIfIndex != 0 {
		if s2d {
			f.InIfIndex, f.OutIfIndex = r.InIfIndex, r.OutIfIndex
		} else {
			f.InIfIndex, f.OutIfIndex = r.OutIfIndex, r.InIfIndex
		}
	}
	if r.SrcMAC != ([6]byte{}) || r.DstMAC != ([6]byte{}) {
		if s2d {
			f.CliMAC, f.SrvMAC = r.SrcMAC, r.DstMAC
		} else {
			f.CliMAC, f.SrvMAC = r.DstMAC, r.SrcMAC
		}
	}
	if f.exporter == 0 || t.exporters[f.exporter-1] != r.ExporterIP {
		if r.ExporterIP.IsValid() {
			f.exporter = t.exporterIndex(r.ExporterIP.Unmap())
		}
	}

	// L7: fixed once detected; 0/0 is guessed from ports.
	detectedNow := false
	if f.flags&flowDetected == 0 {
		if r.L7Set && r.L7Master|r.L7App != 0 {
			f.L7Master, f.L7App = r.L7Master, r.L7App
		} else {
			f.L7Master, f.L7App = 0, ndpi.Guess(f.proto, f.cliPort, f.srvPort)
		}
		f.Category = t.category(f.L7Master, f.L7App)
		if c := t.cfg.Categories; c != nil {
			if cat, ok := c.FlowCategory(f.L7Master, f.L7App, f.Server(), firstName(r.TLSServerName, r.HTTPSite, r.DNSQuery)); ok {
				f.Category = cat
			}
		}
		if bl := t.cfg.Blacklists; bl != nil {
			if cat, sides, ok := bl.MatchFlow(f.Client(), f.Server(), firstName(r.TLSServerName, r.HTTPSite, r.DNSQuery)); ok {
				f.Category, f.Blacklist = cat, sides
			}
		}
		f.L7Confidence = r.L7Confidence
		f.flags |= flowDetected
		detectedNow = true
		if r.L7Name != "" && r.L7Name != ndpi.FullName(f.L7Master, f.L7App) {
			f.setMeta(MetaL7Name, r.L7Name)
		}
	}
	if r.HasLatency != 0 {
		applyLatency(f, r, s2d)
	}
	if recordHasMeta(r) {
		applyMeta(f, r)
	}
	if recordHasExtra(r) || f.Extra() != nil {
		t.applyExtra(f, r, s2d)
	}

	// Hosts, networks and interface totals. Sharded, the hosts and networks
	// are shared, and observers read the flow's hosts: held to the end.
	t.lockHosts()
	ch, sh := t.host(f.cliHost), t.host(f.srvHost)
	if traffic {
		// The client sent cb/cp and received sb/sp; the server the reverse.
		l7, l4 := f.L7(), L4Class(f.proto)
		for _, t := range [...]*Traffic{&ch.Traffic, &ch.l7(l7).Traffic, &ch.L4[l4]} {
			t.add(cb, cp, sb, sp)
		}
		for _, t := range [...]*Traffic{&sh.Traffic, &sh.l7(l7).Traffic, &sh.L4[l4]} {
			t.add(sb, sp, cb, cp)
		}
		t.addL7Bytes(l7, cb+sb)

		if nc, ns := ch.Network, sh.Network; nc >= 0 || ns >= 0 {
			if nc == ns {
				t.nets[nc].BytesInner += cb + sb
			} else {
				if nc >= 0 {
					t.nets[nc].BytesEgress += cb
					t.nets[nc].BytesIngress += sb
				}
				if ns >= 0 {
					t.nets[ns].BytesIngress += cb
					t.nets[ns].BytesEgress += sb
				}
			}
		}

		s := &t.stats
		s.Bytes += cb + sb
		s.Packets += cp + sp
		// §6.7, in record orientation.
		if !s2d {
			inB, inP, outB, outP = sb, sp, cb, cp
		} else {
			inB, inP, outB, outP = cb, cp, sb, sp
		}
		dir := r.Direction
		if dir > 1 {
			dir = 0
			if ch.Local && !sh.Local {
				dir = 1
			}
		}
		if dir == 0 {
			s.BytesDownload += inB
			s.PacketsDownload += inP
			s.BytesUpload += outB
			s.PacketsUpload += outP
		} else {
			s.BytesDownload += outB
			s.PacketsDownload += outP
			s.BytesUpload += inB
			s.PacketsUpload += inP
		}
		if ch.Local != sh.Local {
			if ch.Local {
				s.Local2Remote += cb
				s.Remote2Local += sb
			} else {
				s.Local2Remote += sb
				s.Remote2Local += cb
			}
		}
	}
	t.stats.TCPRetransmissions += uint64(r.RetrIn) + uint64(r.RetrOut)
	t.stats.TCPOutOfOrder += uint64(r.OOOIn) + uint64(r.OOOOut)
	for _, h := range [2]*Host{ch, sh} {
		if f.LastSeen > h.LastSeen {
			h.LastSeen = f.LastSeen
		}
		if h.FirstSeen == 0 || f.FirstSeen < h.FirstSeen {
			h.FirstSeen = f.FirstSeen
		}
		h.lastWall = t.now
	}

	if t.obs != nil {
		if isNew {
			t.obs.OnFlow(FlowNew, f, t.nowT, t)
		}
		if detectedNow {
			t.obs.OnFlow(FlowProtocolDetected, f, t.nowT, t)
		}
	}
	t.unlockHosts()
}

func sub0(reported, cur uint64) uint64 {
	if reported < cur {
		return 0 // out of sequence
	}
	return reported - cur
}

// preprocess applies §6.1's fix-ups that the flow key depends on: ICMP
// ports zeroed (in r), addresses unmapped, an empty side given the other
// side's version. ok is false when the versions cannot be reconciled.
// processFlow and the shard split (shardOf) both key records from it.
func preprocess(r *FlowRecord) (src, dst netip.Addr, ok bool) {
	if r.Proto == 1 || r.Proto == 58 {
		r.SrcPort, r.DstPort = 0, 0
	}
	src, dst = r.SrcIP.Unmap(), r.DstIP.Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return fixVersions(src, dst)
	}
	return src, dst, true
}

// fixVersions gives an empty side the other side's version (§6.1.3).
func fixVersions(src, dst netip.Addr) (netip.Addr, netip.Addr, bool) {
	se := !src.IsValid() || src.IsUnspecified()
	de := !dst.IsValid() || dst.IsUnspecified()
	switch {
	case !src.IsValid() && !dst.IsValid():
		return netip.IPv4Unspecified(), netip.IPv4Unspecified(), true
	case src.IsValid() && dst.IsValid() && src.Is4() == dst.Is4():
		return src, dst, true
	case se:
		return zeroLike(dst), dst, true
	case de:
		return src, zeroLike(src), true
	}
	return src, dst, false
}

func zeroLike(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// isBcastMcast tells multicast, the limited broadcast and the broadcast
// address of a local network.
func (t *Tables) isBcastMcast(a netip.Addr) bool {
	if a.IsMulticast() {
		return true
	}
	if !a.Is4() {
		return false
	}
	b := a.As4()
	if b == [4]byte{255, 255, 255, 255} {
		return true
	}
	for _, p := range t.cfg.LocalNetworks {
		if p.Addr().Is4() && p.Bits() < 31 && p.Contains(a) && isLastAddr(b, p.Bits()) {
			return true
		}
	}
	return false
}

func isLastAddr(b [4]byte, bits int) bool {
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	host := uint32(1)<<(32-bits) - 1
	return v&host == host
}

func recordHasExtra(r *FlowRecord) bool {
	return r.SrcAS|r.DstAS|r.PrevAS|r.NextAS|r.VRF|r.SrcFragments|r.DstFragments|
		r.RetrIn|r.RetrOut|r.OOOIn|r.OOOOut|r.TCPWinMaxIn|r.TCPWinMaxOut|r.L7ErrorCode != 0 ||
		r.ObservationPoint != 0 || r.SrcTOS|r.DstTOS|r.Verdict|r.FlowSource != 0 ||
		r.Risk != 0 || r.DNSQueryType|r.DNSRetCode|r.HTTPRetCode != 0 ||
		(r.NProbeIP.IsValid() && r.NProbeIP != r.ExporterIP) ||
		(r.PostNATSrcIP.IsValid() && !r.PostNATSrcIP.IsUnspecified()) ||
		(r.PostNATDstIP.IsValid() && !r.PostNATDstIP.IsUnspecified()) ||
		r.PostNATSrcPort|r.PostNATDstPort != 0 || len(r.Additional) != 0
}

func recordHasMeta(r *FlowRecord) bool {
	return len(r.DNSQuery)|len(r.HTTPURL)|len(r.HTTPSite)|len(r.HTTPUserAgent)|len(r.HTTPMethod)|
		len(r.TLSServerName)|len(r.JA3C)|len(r.JA3S)|len(r.JA4C)|len(r.L7Info)|len(r.RiskName)|
		len(r.EndReason)|len(r.SMTPMailFrom)|len(r.SMTPRcptTo)|len(r.BitTorrent)|len(r.WLANSSID) != 0
}

// applyMeta stores the L7 metadata strings; L7_INFO also fills the
// protocol's own field when that is empty (§6.6).
func applyMeta(f *Flow, r *FlowRecord) {
	dnsQ, site, sni := r.DNSQuery, r.HTTPSite, r.TLSServerName
	if r.L7Info != "" {
		switch {
		case isProto(f, "DNS") && dnsQ == "" && f.Meta(MetaDNSQuery) == "":
			dnsQ = r.L7Info
		case isProto(f, "HTTP") && site == "" && f.Meta(MetaHTTPSite) == "":
			site = r.L7Info
		case isProto(f, "TLS") && sni == "" && f.Meta(MetaTLSServerName) == "":
			sni = r.L7Info
		}
	}
	f.setMeta(MetaDNSQuery, dnsQ)
	f.setMeta(MetaHTTPURL, r.HTTPURL)
	f.setMeta(MetaHTTPSite, site)
	f.setMeta(MetaHTTPUserAgent, r.HTTPUserAgent)
	f.setMeta(MetaHTTPMethod, r.HTTPMethod)
	f.setMeta(MetaTLSServerName, sni)
	f.setMeta(MetaJA3C, r.JA3C)
	f.setMeta(MetaJA3S, r.JA3S)
	f.setMeta(MetaJA4C, r.JA4C)
	f.setMeta(MetaL7Info, r.L7Info)
	f.setMeta(MetaRiskName, r.RiskName)
	f.setMeta(MetaEndReason, r.EndReason)
	f.setMeta(MetaSMTPMailFrom, r.SMTPMailFrom)
	f.setMeta(MetaSMTPRcptTo, r.SMTPRcptTo)
	f.setMeta(MetaBitTorrent, r.BitTorrent)
	f.setMeta(MetaWLANSSID, r.WLANSSID)
}

// applyLatency stores the network and application latencies, kept inline
// in the flow because probes with latency measurements send them on most
// flows.
func applyLatency(f *Flow, r *FlowRecord, s2d bool) {
	// §6.6: the record's client latency belongs to the flow's client only
	// when the record matched in flow orientation; application latency too.
	if r.HasLatency&1 != 0 {
		if s2d {
			f.CliLatencyMs = r.ClientLatencyMs
			f.HasLatency |= 1
		} else {
			f.SrvLatencyMs = r.ClientLatencyMs
			f.HasLatency |= 2
		}
	}
	if r.HasLatency&2 != 0 {
		if s2d {
			f.SrvLatencyMs = r.ServerLatencyMs
			f.HasLatency |= 2
		} else {
			f.CliLatencyMs = r.ServerLatencyMs
			f.HasLatency |= 1
		}
	}
	if r.HasLatency&4 != 0 && s2d {
		f.ApplLatencyMs = r.ApplLatencyMs
		f.HasLatency |= 4
	}
}

// applyExtra stores the rare fields: §6.3 says which add up and which are
// overwritten.
func (t *Tables) applyExtra(f *Flow, r *FlowRecord, s2d bool) {
	x := f.extra()
	cli := func(a, b uint32) (uint32, uint32) {
		if s2d {
			return a, b
		}
		return b, a
	}
	if r.SrcAS|r.DstAS != 0 {
		x.CliAS, x.SrvAS = cli(r.SrcAS, r.DstAS)
	}
	if r.PrevAS|r.NextAS != 0 {
		x.PrevAS, x.NextAS = cli(r.PrevAS, r.NextAS)
	}
	if r.VRF != 0 {
		x.VRF = r.VRF
	}
	if r.ObservationPoint != 0 {
		x.ObservationPoint = r.ObservationPoint
	}
	if r.SrcTOS|r.DstTOS != 0 {
		if s2d {
			x.CliTOS, x.SrvTOS = r.SrcTOS, r.DstTOS
		} else {
			x.CliTOS, x.SrvTOS = r.DstTOS, r.SrcTOS
		}
	}
	if r.Verdict != 0 {
		x.Verdict = r.Verdict
	}
	if r.FlowSource != 0 {
		x.FlowSource = r.FlowSource
	}
	a, b := cli(r.SrcFragments, r.DstFragments)
	x.CliFragments += uint64(a)
	x.SrvFragments += uint64(b)
	a, b = cli(r.RetrIn, r.RetrOut)
	x.CliRetr += uint64(a)
	x.SrvRetr += uint64(b)
	a, b = cli(r.OOOIn, r.OOOOut)
	x.CliOOO += uint64(a)
	x.SrvOOO += uint64(b)
	if r.TCPWinMaxIn|r.TCPWinMaxOut != 0 {
		x.CliTCPWinMax, x.SrvTCPWinMax = cli(r.TCPWinMaxIn, r.TCPWinMaxOut)
	}
	if r.NProbeIP.IsValid() {
		x.NProbeIP = r.NProbeIP
	}
	if r.PostNATSrcIP.IsValid() || r.PostNATDstIP.IsValid() || r.PostNATSrcPort|r.PostNATDstPort != 0 {
		if s2d {
			x.PostNATSrcIP, x.PostNATDstIP = r.PostNATSrcIP, r.PostNATDstIP
			x.PostNATSrcPort, x.PostNATDstPort = r.PostNATSrcPort, r.PostNATDstPort
		} else {
			x.PostNATSrcIP, x.PostNATDstIP = r.PostNATDstIP, r.PostNATSrcIP
			x.PostNATSrcPort, x.PostNATDstPort = r.PostNATDstPort, r.PostNATSrcPort
		}
	}
	if r.L7ErrorCode != 0 {
		x.L7ErrorCode = r.L7ErrorCode
	}
	if r.DNSQueryType != 0 {
		x.DNSQueryType = r.DNSQueryType
	}
	if r.DNSRetCode != 0 {
		x.DNSRetCode = r.DNSRetCode
	}
	if r.HTTPRetCode != 0 {
		x.HTTPRetCode = r.HTTPRetCode
	}
	if r.Risk != 0 {
		x.Risk = r.Risk
	}
	for _, fd := range r.Additional {
		setField(&x.Additional, fd)
	}
}

func isProto(f *Flow, name string) bool {
	return ndpi.Name(f.L7Master) == name || ndpi.Name(f.L7App) == name
}

func setField(fields *[]Field, fd Field) {
	for i := range *fields {
		if (*fields)[i].Key == fd.Key {
			setStr(&(*fields)[i].Value, fd.Value)
			return
		}
	}
	*fields = append(*fields, Field{Key: strings.Clone(fd.Key), Value: strings.Clone(fd.Value)})
}

// newFlow creates a flow for r (already pre-processed), or returns nil and
// counts the drop when a table is full.
func (t *Tables) newFlow(tag uint32, sa, da *[16]byte, r *FlowRecord, v6 bool) *Flow {
	if t.flowIdx.n >= t.cfg.MaxFlows {
		t.stats.DropsMaxFlows++
		return nil
	}
	ck, sk := hostKey{ip: *sa, vlan: r.VLAN}, hostKey{ip: *da, vlan: r.VLAN}
	cs, cok := t.hostMap[ck]
	ss, sok := t.hostMap[sk]
	need := 0
	if !cok {
		need++
	}
	if !sok && ck != sk {
		need++
	}
	if len(t.hostMap)+need > t.cfg.MaxHosts {
		t.stats.DropsMaxHosts++
		return nil
	}
	if !cok {
		cs = t.newHost(ck, v6)
	}
	if !sok {
		if ck == sk {
			ss = cs
		} else {
			ss = t.newHost(sk, v6)
		}
	}

	slot := t.allocFlowSlot(v6)
	f := t.flow(slot)
	gen := f.gen
	if gen == 0 {
		// A fresh slot: a shard's generations are its index modulo the
		// shard count (endFlow steps by it), so flow IDs of different
		// shards never collide and name their shard.
		gen = uint32(t.shard)
	}
	*f = Flow{
		cliPort: r.SrcPort, srvPort: r.DstPort,
		vlan: r.VLAN, proto: r.Proto, flags: flowLive,
		gen: gen, slot: slot, cliHost: cs, srvHost: ss,
		created: t.now,
	}
	f.self = uintptr(unsafe.Pointer(f))
	f.setKey(sa, da, v6, r.PrivateID)
	t.flowIdx.insert(tag, slot)
	t.stats.TotalFlows++

	ch, sh := t.host(cs), t.host(ss)
	ch.ActiveAsClient++
	ch.TotalAsClient++
	sh.ActiveAsServer++
	sh.TotalAsServer++
	ch.peers.add(mix64(da, r.VLAN))
	sh.peers.add(mix64(sa, r.VLAN))
	return f
}

func (t *Tables) newHost(k hostKey, v6 bool) uint32 {
	var slot uint32
	if n := len(t.hostFree); n > 0 {
		slot = t.hostFree[n-1]
		t.hostFree = t.hostFree[:n-1]
	} else {
		slot = t.hostSlots
		if slot>>hostChunkBits >= uint32(len(t.hostChunks)) {
			t.hostChunks = append(t.hostChunks, new([hostChunk]Host))
		}
		t.hostSlots++
	}
	h := t.host(slot)
	*h = Host{ip: k.ip, vlan: k.vlan, v6: v6, live: true, slot: slot, Network: -1,
		thptAt: t.nowT.UnixNano(), lastWall: t.now}
	a := h.IP()
	h.IsMulticast = a.IsMulticast()
	h.IsBroadcast = !h.IsMulticast && t.isBcastMcast(a)
	best := -1
	for i, p := range t.cfg.LocalNetworks {
		if p.Contains(a) && (best < 0 || p.Bits() > t.cfg.LocalNetworks[best].Bits()) {
			best = i
		}
	}
	if best >= 0 {
		h.Local = true
		h.Network = best
		t.nets[best].Hosts++
		t.localHosts.Add(1)
	}
	t.hostMap[k] = slot
	t.numHosts.Add(1)
	return slot
}

// isIdle is §6.5: idle after max_idle past both last_seen and creation.
func (t *Tables) isIdle(f *Flow) bool {
	return t.now > f.LastSeen+t.maxIdle && t.now > f.created+t.maxIdle
}

// endFlow fires FlowEnd and frees the flow's slot; tag is its index hash,
// unless hasTag is false.
func (t *Tables) endFlow(f *Flow, slot uint32, tag uint32, hasTag bool) {
	if t.obs != nil {
		t.obs.OnFlow(FlowEnd, f, t.nowT, t)
	}
	if !hasTag {
		cli, srv := f.addrs()
		k, _ := makeKey(&cli, &srv, f.cliPort, f.srvPort, f.vlan, f.proto, f.PrivateID())
		tag = t.flowIdx.hash(&k)
	}
	t.flowIdx.remove(tag, slot)
	ch, sh := t.host(f.cliHost), t.host(f.srvHost)
	ch.ActiveAsClient--
	sh.ActiveAsServer--
	ch.lastWall, sh.lastWall = t.now, t.now
	gen := f.gen + uint32(t.nShards)
	if gen < f.gen {
		gen = uint32(t.shard) // wrapped: back to the shard's residue (newFlow)
	}
	f.freeSide()
	*f = Flow{gen: gen, slot: slot}
	t.freeFlowSlot(slot)
	t.stats.FlowsExpired++
}

func (t *Tables) endHost(h *Host) {
	delete(t.hostMap, hostKey{ip: h.ip, vlan: h.vlan})
	if h.Network >= 0 {
		t.nets[h.Network].Hosts--
		t.localHosts.Add(^uint64(0))
	}
	t.numHosts.Add(^uint64(0))
	slot := h.slot
	*h = Host{slot: slot}
	t.hostFree = append(t.hostFree, slot)
	t.hostsExpired.Add(1)
}

// Tick runs the once-per-second housekeeping: idle purge and periodic updates
// of (a budget of) flows, host purge and throughputs. The interface goroutine
// calls it; tests call it inside Do with a fake clock.
//
// On the view of a sharded interface every shard ticks, flows first, so
// that hosts whose last flows ended are purged in the same tick.
func (t *Tables) Tick() {
	if t.shards != nil {
		for _, s := range t.shards {
			s.tickFlows()
		}
		for _, s := range t.shards {
			s.tickRest()
		}
		return
	}
	t.tickFlows()
	t.tickRest()
}

func (t *Tables) tickFlows() {
	t.setNow(t.cfg.Now())
	if t.iface != nil && t.iface.shards[t.shard].resetReq.Swap(false) {
		t.ResetStats() // ntop.resetStats, asked from any goroutine (reset.go)
	}
	t.syncIdle()
	t.scanFlows(scanBudget)
}

// tickRest is the rest of Tick: host purge and network throughputs
// (shard 0's, on shared hosts), the shard's throughputs, probes and stats.
func (t *Tables) tickRest() {
	now := t.nowT.UnixNano()
	if t.shard == 0 {
		t.lockHosts()
		t.scanHosts(scanBudget)
		if dt := float64(now-t.netsAt) / 1e9; dt > 0 {
			for i := range t.nets {
				n := &t.nets[i]
				b := n.Bytes()
				n.ThroughputBps = float64(b-n.thptBytes) * 8 / dt
				n.thptBytes = b
			}
			t.netsAt = now
		}
		t.unlockHosts()
	}
	if dt := float64(now-t.thptAt) / 1e9; dt > 0 {
		s := &t.stats
		s.ThroughputBps = float64(s.Bytes-t.thptBytes) * 8 / dt
		s.ThroughputPps = float64(s.Packets-t.thptPkts) / dt
		s.UploadBps = float64(s.BytesUpload-t.upBytes) * 8 / dt
		s.UploadPps = float64(s.PacketsUpload-t.upPkts) / dt
		s.DownloadBps = float64(s.BytesDownload-t.dnBytes) * 8 / dt
		s.DownloadPps = float64(s.PacketsDownload-t.dnPkts) / dt
		t.thptBytes, t.thptPkts = s.Bytes, s.Packets
		t.upBytes, t.upPkts, t.dnBytes, t.dnPkts = s.BytesUpload, s.PacketsUpload, s.BytesDownload, s.PacketsDownload
		t.thptAt = now
	}
	t.sumProbes()
	t.fillStats()
}

// scanFlows visits up to budget slots from the cursor, ending idle flows and
// firing due periodic updates.
func (t *Tables) scanFlows(budget int) {
	n := t.flowSlots
	if n == 0 {
		return
	}
	if uint32(budget) > n {
		budget = int(n)
	}
	period := uint32(t.cfg.PeriodicUpdate / time.Second)
	if period == 0 {
		period = 1
	}
	s := t.flowCursor
	for i := 0; i < budget; i++ {
		if s >= n {
			s = 0
		}
		f := t.flow(s)
		if f.flags&flowLive != 0 {
			if t.isIdle(f) {
				t.lockHosts()
				t.endFlow(f, s, 0, false)
				t.unlockHosts()
			} else if t.now >= f.created+(f.PeriodicCount+1)*period {
				// Due every period after creation (no field for the next
				// due time: 4 bytes per flow). A sweep that comes late fires
				// once per visit until the flow has caught up.
				f.PeriodicCount++
				if t.obs != nil {
					t.lockHosts() // observers read the flow's hosts
					t.obs.OnFlow(FlowPeriodicUpdate, f, t.nowT, t)
					t.unlockHosts()
				}
			}
		}
		s++
	}
	t.flowCursor = s
}

func (t *Tables) scanHosts(budget int) {
	n := t.hostSlots
	if n == 0 {
		return
	}
	if uint32(budget) > n {
		budget = int(n)
	}
	idle := uint32(t.cfg.HostIdle / time.Second)
	now := t.nowT.UnixNano()
	s := t.hostCursor
	for i := 0; i < budget; i++ {
		if s >= n {
			s = 0
		}
		h := t.host(s)
		s++
		if !h.live {
			continue
		}
		if h.ActiveFlows() == 0 && t.now > max(h.LastSeen, h.lastWall)+idle {
			t.endHost(h)
			continue
		}
		if dt := float64(now-h.thptAt) / 1e9; dt > 0 {
			b, p := h.BytesSent+h.BytesRcvd, h.PktsSent+h.PktsRcvd
			h.ThptBps = float64(b-h.thptBytes) * 8 / dt
			h.ThptPps = float64(p-h.thptPkts) / dt
			h.thptBytes, h.thptPkts, h.thptAt = b, p, now
		}
	}
	t.hostCursor = s
}

// endAll ends every flow (Stop).
func (t *Tables) endAll() {
	t.setNow(t.cfg.Now())
	t.lockHosts()
	defer t.unlockHosts()
	for s := uint32(0); s < t.flowSlots; s++ {
		if f := t.flow(s); f.flags&flowLive != 0 {
			t.endFlow(f, s, 0, false)
		}
	}
	t.fillStats()
}

// firstName is the first non-empty server name of a record.
func firstName(names ...string) string {
	for _, n := range names {
		if n != "" {
			return n
		}
	}
	return ""
}
