package packet

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func TestDecodeLayers(t *testing.T) {
	tcp := func() *layers.TCP { return &layers.TCP{SrcPort: 1234, DstPort: 80, SYN: true, Seq: 7, Window: 1000} }
	udp := func() *layers.UDP { return &layers.UDP{SrcPort: 5353, DstPort: 53} }
	v4 := func(p layers.IPProtocol) *layers.IPv4 { return ip4("10.1.1.1", "10.2.2.2", p) }
	v6 := func(p layers.IPProtocol) *layers.IPv6 { return ip6("2001:db8::1", "2001:db8::2", p) }
	ethT := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: et}
	}
	frag4 := func(off uint16, mf bool) []byte {
		ip := v4(layers.IPProtocolUDP)
		ip.Id = 77
		ip.FragOffset = off
		if mf {
			ip.Flags = layers.IPv4MoreFragments
		}
		if off == 0 {
			return serialize(t, eth(false), ip, udp(), gopacket.Payload(make([]byte, 16)))
		}
		return serialize(t, eth(false), ip, gopacket.Payload(make([]byte, 16)))
	}
	hbh := &layers.IPv6HopByHop{}
	hbh.NextHeader = layers.IPProtocolUDP
	hbh.Options = []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: []byte{0, 0, 0, 0}}}
	tcpPkt := serialize(t, eth(false), v4(layers.IPProtocolTCP), tcp())

	cases := []struct {
		name         string
		data         []byte
		ok           bool
		reason       string
		proto        uint8
		sport, dport uint16
		vlan         uint16
		v6, frag     bool
		later        bool
	}{
		{name: "ipv4 tcp", data: tcpPkt, ok: true, proto: 6, sport: 1234, dport: 80},
		{name: "ipv4 udp", data: serialize(t, eth(false), v4(layers.IPProtocolUDP), udp()), ok: true, proto: 17, sport: 5353, dport: 53},
		{name: "vlan", data: serialize(t, ethT(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, v4(layers.IPProtocolTCP), tcp()),
			ok: true, proto: 6, sport: 1234, dport: 80, vlan: 42},
		{name: "qinq outer tag", data: serialize(t, ethT(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeIPv4}, v4(layers.IPProtocolUDP), udp()), ok: true, proto: 17, sport: 5353, dport: 53, vlan: 100},
		{name: "ipv6 udp", data: serialize(t, eth(true), v6(layers.IPProtocolUDP), udp()), ok: true, proto: 17, sport: 5353, dport: 53, v6: true},
		{name: "ipv6 hop-by-hop", data: serialize(t, eth(true), v6(layers.IPProtocolIPv6HopByHop), hbh, udp()), ok: true, proto: 17, sport: 5353, dport: 53, v6: true},
		{name: "ipv6 first fragment", data: serialize(t, eth(true), v6(layers.IPProtocolIPv6Fragment),
			&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, MoreFragments: true, Identification: 9}, udp(), gopacket.Payload(make([]byte, 8))),
			ok: true, proto: 17, sport: 5353, dport: 53, v6: true, frag: true},
		{name: "ipv6 later fragment", data: serialize(t, eth(true), v6(layers.IPProtocolIPv6Fragment),
			&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: 2, Identification: 9}, gopacket.Payload(make([]byte, 8))),
			ok: true, proto: 17, v6: true, frag: true, later: true},
		{name: "ipv4 first fragment", data: frag4(0, true), ok: true, proto: 17, sport: 5353, dport: 53, frag: true},
		{name: "ipv4 later fragment", data: frag4(3, false), ok: true, proto: 17, frag: true, later: true},
		{name: "icmp", data: serialize(t, eth(false), v4(layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}),
			ok: true, proto: 1, dport: 8 << 8},
		{name: "icmpv6", data: serialize(t, eth(true), v6(layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}),
			ok: true, proto: 58, dport: 128 << 8, v6: true},
		{name: "gre inner flow", data: serialize(t, eth(false), v4(layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv4},
			ip4("172.16.0.1", "172.16.0.2", layers.IPProtocolTCP), tcp()), ok: true, proto: 6, sport: 1234, dport: 80},
		{name: "arp is not ip", data: serialize(t, ethT(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, SourceHwAddress: macA, SourceProtAddress: []byte{1, 2, 3, 4}, DstHwAddress: macB, DstProtAddress: []byte{1, 2, 3, 5}})},
		{name: "truncated ethernet", data: tcpPkt[:10], reason: ReasonEthernet},
		{name: "truncated ipv4", data: tcpPkt[:14+10], reason: ReasonIPv4},
		{name: "truncated tcp", data: tcpPkt[:14+20+8], reason: ReasonTCP},
		{name: "truncated ipv6", data: serialize(t, eth(true), v6(layers.IPProtocolUDP), udp())[:30], reason: ReasonIPv6},
	}
	d := newDecoder(layers.LayerTypeEthernet)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p pkt
			ok, reason := d.decode(tc.data, &p)
			if ok != tc.ok || reason != tc.reason {
				t.Fatalf("decode = %v %q, want %v %q", ok, reason, tc.ok, tc.reason)
			}
			if !ok {
				return
			}
			if p.proto != tc.proto || p.sport != tc.sport || p.dport != tc.dport || p.vlan != tc.vlan || p.v6 != tc.v6 ||
				p.fragment != tc.frag || p.laterFrag != tc.later {
				t.Errorf("got proto %d ports %d>%d vlan %d v6 %v frag %v/%v", p.proto, p.sport, p.dport, p.vlan, p.v6, p.fragment, p.laterFrag)
			}
		})
	}
}

func TestDecodeRawIPLink(t *testing.T) {
	first, ok := linkLayer(layers.LinkTypeRaw)
	if !ok {
		t.Fatal("raw link unsupported")
	}
	d := newDecoder(first)
	var p pkt
	b4 := serialize(t, ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP), &layers.UDP{SrcPort: 1, DstPort: 2})
	if ok, r := d.decode(b4, &p); !ok || p.v6 || p.dport != 2 {
		t.Errorf("raw v4: %v %q %+v", ok, r, p)
	}
	b6 := serialize(t, ip6("::1", "::2", layers.IPProtocolTCP), &layers.TCP{SrcPort: 3, DstPort: 4, ACK: true})
	if ok, r := d.decode(b6, &p); !ok || !p.v6 || p.dport != 4 || p.tcpFlags != tcpACK {
		t.Errorf("raw v6: %v %q %+v", ok, r, p)
	}
	if ok, r := d.decode(b6[:20], &p); ok || r != ReasonIPv6 {
		t.Errorf("raw v6 truncated: %v %q", ok, r)
	}
}

func TestFragmentsJoinTheirFlow(t *testing.T) {
	c := newCapture(t)
	ip := ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP)
	ip.Id, ip.Flags = 5, layers.IPv4MoreFragments
	c.add(eth(false), ip, &layers.UDP{SrcPort: 4000, DstPort: 5000}, gopacket.Payload(make([]byte, 32)))
	ip2 := ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP)
	ip2.Id, ip2.FragOffset = 5, 5
	c.add(eth(false), ip2, gopacket.Payload(make([]byte, 32)))
	ip3 := ip4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP)
	ip3.Id, ip3.FragOffset = 99, 5 // first fragment never seen
	c.add(eth(false), ip3, gopacket.Payload(make([]byte, 32)))
	ms, st := runTracker(t, c, Configuration{})
	s := sumFlows(ms.recs)["10.0.0.1:4000>10.0.0.2:5000"]
	if s == nil || s.inP != 2 {
		t.Fatalf("fragmented flow %+v", s)
	}
	if st.Fragments.Load() != 3 || st.FragmentsOrphan.Load() != 1 {
		t.Errorf("fragments %d orphan %d", st.Fragments.Load(), st.FragmentsOrphan.Load())
	}
	var frags uint32
	for _, r := range ms.recs {
		frags += r.SrcFragments
	}
	if frags != 3 {
		t.Errorf("fragments exported %d, want 3", frags)
	}
	_ = net.IPv4len
}
