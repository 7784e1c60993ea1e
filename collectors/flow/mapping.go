package flow

import (
	"encoding/binary"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
	"github.com/netsampler/goflow2/v2/decoders/sflow"

	"flowgate/engine"
)

// Field ids (IANA IPFIX information elements; NetFlow v9 shares 1-127).
// The table in README.md says where each lands.
const (
	fOctets       = 1
	fPackets      = 2
	fProto        = 4
	fTOS          = 5
	fTCPFlags     = 6
	fSrcPort      = 7
	fSrcIPv4      = 8
	fInIf         = 10
	fDstPort      = 11
	fDstIPv4      = 12
	fOutIf        = 14
	fNextHopV4    = 15
	fSrcAS        = 16
	fDstAS        = 17
	fLastUptime   = 21 // LAST_SWITCHED / flowEndSysUpTime, ms
	fFirstUptime  = 22 // FIRST_SWITCHED / flowStartSysUpTime, ms
	fOutOctets    = 23 // OUT_BYTES (nProbe: dst→src)
	fOutPackets   = 24 // OUT_PKTS
	fSrcIPv6      = 27
	fDstIPv6      = 28
	fSampling     = 34
	fSamplerID    = 48
	fSamplerRate  = 50
	fSrcMAC       = 56
	fSrcVLAN      = 58
	fDstVLAN      = 59
	fDirection    = 61
	fNextHopV6    = 62
	fDstMAC       = 80
	fOctetsTotal  = 85
	fPacketsTotal = 86
	fExporterV4   = 130
	fExporterV6   = 131
	fEndReason    = 136
	fStartSec     = 150
	fEndSec       = 151
	fStartMs      = 152
	fEndMs        = 153
	fSysInitMs    = 160
	fVRF          = 234
	fDot1q        = 243
	fSelectorID   = 302
	fSamplingPkt  = 305
	fMPLS1        = 70 // mplsTopLabelStackSection .. 72: MPLS_LABEL_1..3
	fMPLS3        = 72
)

// mapV5 fills r from a NetFlow v5 record (RFC-less Cisco format: times in
// ms of the exporter's sysUptime).
func mapV5(r *engine.FlowRecord, v *netflowlegacy.RecordsNetFlowV5, p *netflowlegacy.PacketNetFlowV5, exporter netip.Addr, rate uint32) {
	r.SrcIP = v4(uint32(v.SrcAddr))
	r.DstIP = v4(uint32(v.DstAddr))
	r.SrcPort, r.DstPort, r.Proto, r.IPVersion = v.SrcPort, v.DstPort, v.Proto, 4
	r.InBytes, r.InPkts = uint64(v.DOctets)*uint64(rate), uint64(v.DPkts)*uint64(rate)
	r.FirstSwitched = uptimeToUnix(v.First, p.SysUptime, p.UnixSecs)
	r.LastSwitched = uptimeToUnix(v.Last, p.SysUptime, p.UnixSecs)
	r.TCPFlags, r.SrcTOS = v.TCPFlags, v.Tos
	r.InIfIndex, r.OutIfIndex = uint32(v.Input), uint32(v.Output)
	r.SrcAS, r.DstAS = uint32(v.SrcAS), uint32(v.DstAS)
	r.ExporterIP, r.FlowSource = exporter, 1
	if v.NextHop != 0 {
		r.Additional = append(r.Additional, engine.Field{Key: "IPV4_NEXT_HOP", Value: v4(uint32(v.NextHop)).String()})
	}
}

func v4(x uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], x)
	return netip.AddrFrom4(b)
}

// uptimeToUnix converts a sysUptime timestamp (ms) to epoch seconds with
// the header's pair (sysUptime, unix seconds) taken at export.
func uptimeToUnix(t, uptime, unixSecs uint32) uint32 {
	ago := (uptime - t) / 1000 // uint32 wrap handles an uptime that rolled over
	if ago > unixSecs {
		return unixSecs
	}
	return unixSecs - ago
}

// mapDataRecord fills r from a v9/IPFIX data record. It reports false when
// the record has no addresses (nothing the engine can key a flow on).
func mapDataRecord(r *engine.FlowRecord, vals []value, h *header, exporter netip.Addr, e *exporter) bool {
	var (
		first, last, start, end     uint32
		haveFirst, haveLast         bool
		startMs, endMs, sysInit     uint64
		inRate, sampler             uint64
		totalBytes, totalPkts       uint64
		revBytes, revPkts           uint64
		haveDeltaBytes, havePkts    bool
		nextHop                     netip.Addr
		srcVLAN, dstVLAN, dot1qVLAN uint64
	)
	r.ExporterIP, r.FlowSource = exporter, 1
	for i := range vals {
		f := &vals[i]
		v := f.b
		if f.hasPen {
			if f.pen == rfc5103PEN {
				switch f.typ {
				case fOctets, fOctetsTotal:
					revBytes = be(v)
				case fPackets, fPacketsTotal:
					revPkts = be(v)
				case fTCPFlags:
					r.ServerTCPFlags = uint8(be(v))
				}
			}
			continue
		}
		switch f.typ {
		case fOctets:
			r.InBytes, haveDeltaBytes = be(v), true
		case fPackets:
			r.InPkts, havePkts = be(v), true
		case fOctetsTotal:
			totalBytes = be(v)
		case fPacketsTotal:
			totalPkts = be(v)
		case fOutOctets:
			r.OutBytes = be(v)
		case fOutPackets:
			r.OutPkts = be(v)
		case fProto:
			r.Proto = uint8(be(v))
		case fTOS:
			r.SrcTOS = uint8(be(v))
		case fTCPFlags:
			r.TCPFlags = uint8(be(v))
			r.ClientTCPFlags = r.TCPFlags
		case fSrcPort:
			r.SrcPort = uint16(be(v))
		case fDstPort:
			r.DstPort = uint16(be(v))
		case fSrcIPv4:
			if len(v) == 4 {
				r.SrcIP, r.IPVersion = netip.AddrFrom4([4]byte(v)), 4
			}
		case fDstIPv4:
			if len(v) == 4 {
				r.DstIP = netip.AddrFrom4([4]byte(v))
			}
		case fSrcIPv6:
			if len(v) == 16 {
				r.SrcIP, r.IPVersion = netip.AddrFrom16([16]byte(v)), 6
			}
		case fDstIPv6:
			if len(v) == 16 {
				r.DstIP = netip.AddrFrom16([16]byte(v))
			}
		case fInIf:
			r.InIfIndex = uint32(be(v))
		case fOutIf:
			r.OutIfIndex = uint32(be(v))
		case fSrcAS:
			r.SrcAS = uint32(be(v))
		case fDstAS:
			r.DstAS = uint32(be(v))
		case fNextHopV4, fNextHopV6:
			if a, ok := netip.AddrFromSlice(v); ok && !a.IsUnspecified() {
				nextHop = a
			}
		case fFirstUptime:
			first, haveFirst = uint32(be(v)), true
		case fLastUptime:
			last, haveLast = uint32(be(v)), true
		case fStartSec:
			start = uint32(be(v))
		case fEndSec:
			end = uint32(be(v))
		case fStartMs:
			startMs = be(v)
		case fEndMs:
			endMs = be(v)
		case fSysInitMs:
			sysInit = be(v)
		case fSampling, fSamplerRate, fSamplingPkt:
			inRate = be(v)
		case fSamplerID, fSelectorID:
			sampler = be(v)
		case fSrcVLAN:
			srcVLAN = be(v)
		case fDstVLAN:
			dstVLAN = be(v)
		case fDot1q:
			dot1qVLAN = be(v)
		case fSrcMAC:
			if len(v) == 6 {
				r.SrcMAC = [6]byte(v)
			}
		case fDstMAC:
			if len(v) == 6 {
				r.DstMAC = [6]byte(v)
			}
		case fDirection:
			if d := be(v); d <= 1 {
				r.Direction = uint8(d)
			}
		case fVRF:
			r.VRF = uint32(be(v))
		case fMPLS1, fMPLS1 + 1, fMPLS3:
			if len(v) == 3 && v[0]|v[1]|v[2] != 0 {
				// nProbe's MPLS_LABEL_n: the 20-bit label of the 3-byte entry.
				r.Additional = append(r.Additional, engine.Field{Key: "MPLS_LABEL_" + string(rune('1'+f.typ-fMPLS1)), Value: itoa(uint32(be(v) >> 4))})
			}
		case fExporterV4, fExporterV6:
			if a, ok := netip.AddrFromSlice(v); ok && !a.IsUnspecified() {
				r.ExporterIP = a.Unmap()
			}
		}
	}
	if !r.SrcIP.IsValid() || !r.DstIP.IsValid() {
		return false
	}
	if !haveDeltaBytes {
		r.InBytes = totalBytes
	}
	if !havePkts {
		r.InPkts = totalPkts
	}
	if revBytes > 0 || revPkts > 0 {
		r.OutBytes, r.OutPkts = revBytes, revPkts
	}
	switch {
	case srcVLAN > 0:
		r.VLAN = uint16(srcVLAN & 0xfff)
	case dot1qVLAN > 0:
		r.VLAN = uint16(dot1qVLAN & 0xfff)
	case dstVLAN > 0:
		r.VLAN = uint16(dstVLAN & 0xfff)
	}
	// Times: absolute fields first, then sysUptime-relative ones (v9: the
	// header's uptime; IPFIX: systemInitTimeMilliseconds).
	switch {
	case startMs > 0 || endMs > 0:
		r.FirstSwitched, r.LastSwitched = uint32(startMs/1000), uint32(endMs/1000)
	case start > 0 || end > 0:
		r.FirstSwitched, r.LastSwitched = start, end
	case h.version == 9 && (haveFirst || haveLast):
		r.FirstSwitched = uptimeToUnix(first, h.uptime, h.unixSecs)
		r.LastSwitched = uptimeToUnix(last, h.uptime, h.unixSecs)
	case sysInit > 0 && (haveFirst || haveLast):
		r.FirstSwitched = uint32((sysInit + uint64(first)) / 1000)
		r.LastSwitched = uint32((sysInit + uint64(last)) / 1000)
	}
	if r.FirstSwitched == 0 {
		r.FirstSwitched = r.LastSwitched
	}
	if r.LastSwitched == 0 { // no time field: the export time
		r.FirstSwitched, r.LastSwitched = h.unixSecs, h.unixSecs
	}
	if rate := e.rateFor(h.domain, sampler, inRate); rate > 1 {
		// Upscaled as ntopng does for sampled flows: counters × rate.
		r.InBytes *= uint64(rate)
		r.InPkts *= uint64(rate)
		r.OutBytes *= uint64(rate)
		r.OutPkts *= uint64(rate)
		e.c.sampling.Store(rate)
	} else {
		e.c.sampling.Store(1)
	}
	if nextHop.IsValid() {
		key := "IPV4_NEXT_HOP"
		if nextHop.Is6() {
			key = "IPV6_NEXT_HOP"
		}
		r.Additional = append(r.Additional, engine.Field{Key: key, Value: nextHop.String()})
	}
	return true
}

// sflowFlow turns one flow sample into a flow record: one sampled packet
// standing for rate packets.
func (d *Decoder) sflowFlow(e *exporter, b *engine.Batch, from, agent netip.Addr, rate, in, out uint32, recs []sflow.FlowRecord) bool {
	r := b.AddFlow()
	r.FlowSource = 2
	r.ExporterIP = agent
	if !agent.IsValid() || agent.IsUnspecified() {
		r.ExporterIP = from
	}
	r.InIfIndex, r.OutIfIndex = in&0x3fffffff, out&0x3fffffff
	if rate == 0 {
		rate = 1
	}
	e.c.sampling.Store(rate)
	var frameLen uint64
	ok := false
	for _, rec := range recs {
		switch v := rec.Data.(type) {
		case sflow.SampledHeader:
			frameLen = uint64(v.FrameLength)
			if v.Protocol == 1 { // ethernet
				if parseEthernet(r, v.HeaderData) {
					ok = true
				} else {
					e.c.fail(reasonHeader)
				}
			}
		case sflow.SampledIPv4:
			if !ok {
				fillSampledIP(r, &v.SampledIPBase, 4)
				r.SrcTOS = uint8(v.Tos)
				frameLen = uint64(v.Length)
				ok = r.SrcIP.IsValid() && r.DstIP.IsValid()
			}
		case sflow.SampledIPv6:
			if !ok {
				fillSampledIP(r, &v.SampledIPBase, 6)
				frameLen = uint64(v.Length)
				ok = r.SrcIP.IsValid() && r.DstIP.IsValid()
			}
		case sflow.ExtendedSwitch:
			if v.SrcVlan > 0 {
				r.VLAN = uint16(v.SrcVlan & 0xfff)
			}
		case sflow.ExtendedRouter:
			if a, ok := netip.AddrFromSlice(v.NextHop); ok && !a.IsUnspecified() {
				key := "IPV4_NEXT_HOP"
				if a.Is6() && !a.Is4In6() {
					key = "IPV6_NEXT_HOP"
				}
				r.Additional = append(r.Additional, engine.Field{Key: key, Value: a.Unmap().String()})
			}
		case sflow.ExtendedGateway:
			r.SrcAS, r.DstAS = v.SrcAS, v.AS
			if len(v.ASPath) > 0 {
				r.DstAS = v.ASPath[len(v.ASPath)-1]
				r.NextAS = v.ASPath[0]
			}
		}
	}
	if !ok {
		b.Flows = b.Flows[:len(b.Flows)-1]
		return false
	}
	r.InBytes, r.InPkts = frameLen*uint64(rate), uint64(rate)
	now := uint32(d.now().Unix())
	r.FirstSwitched, r.LastSwitched = now, now
	return true
}

func fillSampledIP(r *engine.FlowRecord, v *sflow.SampledIPBase, ver uint8) {
	r.SrcIP, _ = netip.AddrFromSlice(v.SrcIP)
	r.DstIP, _ = netip.AddrFromSlice(v.DstIP)
	r.Proto, r.SrcPort, r.DstPort, r.TCPFlags, r.IPVersion = uint8(v.Protocol), uint16(v.SrcPort), uint16(v.DstPort), uint8(v.TcpFlags), ver
}

// parseEthernet reads the addresses, VLAN, protocol, ports and TCP flags
// of a sampled Ethernet frame header (possibly cut short by the sampler).
func parseEthernet(r *engine.FlowRecord, p []byte) bool {
	if len(p) < 14 {
		return false
	}
	r.DstMAC, r.SrcMAC = [6]byte(p[0:6]), [6]byte(p[6:12])
	et := binary.BigEndian.Uint16(p[12:])
	p = p[14:]
	for tags := 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++ {
		if len(p) < 4 {
			return false
		}
		if r.VLAN == 0 {
			r.VLAN = binary.BigEndian.Uint16(p) & 0xfff
		}
		et = binary.BigEndian.Uint16(p[2:])
		p = p[4:]
	}
	var l4 []byte
	switch et {
	case 0x0800:
		if len(p) < 20 || p[0]>>4 != 4 {
			return false
		}
		ihl := int(p[0]&0xf) * 4
		if ihl < 20 || len(p) < ihl {
			return false
		}
		r.IPVersion, r.SrcTOS, r.Proto = 4, p[1], p[9]
		r.SrcIP, r.DstIP = netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		if binary.BigEndian.Uint16(p[6:])&0x1fff == 0 { // first fragment only
			l4 = p[ihl:]
		}
	case 0x86dd:
		if len(p) < 40 {
			return false
		}
		r.IPVersion, r.Proto = 6, p[6]
		r.SrcIP, r.DstIP = netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
		l4 = p[40:]
	default:
		return false
	}
	switch r.Proto {
	case 6, 17, 132:
		if len(l4) >= 4 {
			r.SrcPort, r.DstPort = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		}
		if r.Proto == 6 && len(l4) >= 14 {
			r.TCPFlags = l4[13]
		}
	}
	return true
}

// counterRecord maps a generic interface counter record like the ZMQ
// `counter` topic (docs/zmq-wire.md).
func counterRecord(agent netip.Addr, h *sflow.SampleHeader, c *sflow.IfCounters) engine.CounterRecord {
	return engine.CounterRecord{
		DeviceIP:         agent,
		SamplesGenerated: h.SampleSequenceNumber,
		IfIndex:          c.IfIndex,
		IfType:           c.IfType,
		IfSpeed:          c.IfSpeed,
		FullDuplex:       c.IfDirection == 1,
		AdminUp:          c.IfStatus&1 != 0,
		OperUp:           c.IfStatus&2 != 0,
		InOctets:         c.IfInOctets,
		InPkts:           uint64(c.IfInUcastPkts) + uint64(c.IfInMulticastPkts) + uint64(c.IfInBroadcastPkts),
		InErrors:         uint64(c.IfInErrors),
		OutOctets:        c.IfOutOctets,
		OutPkts:          uint64(c.IfOutUcastPkts) + uint64(c.IfOutMulticastPkts) + uint64(c.IfOutBroadcastPkts),
		OutErrors:        uint64(c.IfOutErrors),
		Promisc:          c.IfPromiscuousMode == 1,
	}
}
