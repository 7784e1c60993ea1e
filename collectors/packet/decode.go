package packet

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Malformed-packet reasons, as counted in Stats.Malformed and in the
// interface's decode errors.
const (
	ReasonEthernet = "ethernet"
	ReasonVLAN     = "vlan"
	ReasonIPv4     = "ipv4"
	ReasonIPv6     = "ipv6"
	ReasonIPv6Ext  = "ipv6_ext"
	ReasonTCP      = "tcp"
	ReasonUDP      = "udp"
	ReasonICMP     = "icmp"
	ReasonGRE      = "gre"
	ReasonSLL      = "linux_sll"
	ReasonOther    = "other"
)

// pkt is one decoded packet: what flow tracking and the dissectors need.
// It is reused for every packet; payload aliases the capture buffer.
type pkt struct {
	src, dst     [16]byte
	v6           bool
	proto        uint8
	sport, dport uint16
	vlan         uint16
	tos          uint8
	srcMAC       [6]byte
	dstMAC       [6]byte
	hasMAC       bool
	wireLen      uint64 // frame length on the wire (bytes counted, as ntopng does)
	ts           int64  // UNIX nanoseconds
	fragment     bool   // an IP fragment (first or later)
	laterFrag    bool   // a fragment other than the first: no L4 header
	fragID       uint32
	tcpFlags     uint8
	seq, ack     uint32
	win          uint16
	payload      []byte
}

// vlanLayer is Dot1Q remembering the outermost tag: with QinQ the
// DecodingLayerParser reuses one Dot1Q value for both tags, and the flow key
// takes the outer one (as nProbe's VLAN_ID does).
type vlanLayer struct {
	layers.Dot1Q
	outer uint16
	n     int
}

func (v *vlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := v.Dot1Q.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if v.n == 0 {
		v.outer = v.VLANIdentifier
	}
	v.n++
	return nil
}

// decoder wraps one DecodingLayerParser and its layer values: nothing is
// allocated per packet.
type decoder struct {
	eth    layers.Ethernet
	sll    layers.LinuxSLL
	vlan   vlanLayer
	ip4    layers.IPv4
	ip6    layers.IPv6
	ip6ext layers.IPv6ExtensionSkipper
	ip6frg layers.IPv6Fragment
	gre    layers.GRE
	tcp    layers.TCP
	udp    layers.UDP
	icmp4  layers.ICMPv4
	icmp6  layers.ICMPv6

	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	first   gopacket.LayerType
	failed  gopacket.LayerType // layer that failed in decodeFrom
}

func newDecoder(first gopacket.LayerType) *decoder {
	d := &decoder{first: first, decoded: make([]gopacket.LayerType, 0, 16)}
	// The skipper comes before the fragment header so that the latter wins
	// for its own layer type (the container keeps the last one put).
	d.parser = gopacket.NewDecodingLayerParser(first)
	// A sparse slice indexed by layer type: a map lookup per layer costs
	// more than the decoding of most layers.
	var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.sll, &d.vlan, &d.ip4, &d.ip6, &d.ip6ext, &d.ip6frg, &d.gre,
		&d.tcp, &d.udp, &d.icmp4, &d.icmp6} {
		dlc = dlc.Put(l)
	}
	d.parser.SetDecodingLayerContainer(dlc)
	d.parser.IgnoreUnsupported = true
	d.tcp.Options = make([]layers.TCPOption, 0, 8)
	d.ip4.Options = make([]layers.IPv4Option, 0, 4)
	return d
}

// linkLayer maps a capture link type to the first layer to decode.
func linkLayer(lt layers.LinkType) (gopacket.LayerType, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// Raw IP: the first nibble tells the version (see decode).
		return layers.LayerTypeIPv4, true
	}
	return 0, false
}

// decode fills p from data. It returns ok=false with a reason for a malformed
// packet, and ok=false with reason "" for a well-formed packet that carries
// no IP (ARP, LLDP, ...), which is not an error.
func (d *decoder) decode(data []byte, p *pkt) (ok bool, reason string) {
	d.vlan.n, d.vlan.outer = 0, 0
	first := d.first
	if first == layers.LayerTypeIPv4 && len(data) > 0 && data[0]>>4 == 6 {
		first = layers.LayerTypeIPv6
	}
	var err error
	if first == d.first {
		err = d.parser.DecodeLayers(data, &d.decoded)
	} else {
		err = d.decodeFrom(first, data)
	}
	p.hasMAC, p.fragment, p.laterFrag = false, false, false
	p.vlan, p.sport, p.dport, p.tcpFlags, p.payload, p.proto = 0, 0, 0, 0, nil, 0
	var ip, l4 gopacket.LayerType
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeEthernet:
			p.hasMAC = true
			p.srcMAC = [6]byte(d.eth.SrcMAC[:6])
			p.dstMAC = [6]byte(d.eth.DstMAC[:6])
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			ip = t
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			l4 = t
		}
	}
	if d.vlan.n > 0 {
		p.vlan = d.vlan.outer
	}
	if err != nil {
		return false, d.reason()
	}
	switch ip {
	case layers.LayerTypeIPv4:
		p.v6 = false
		p.src = [16]byte{10: 0xff, 11: 0xff}
		p.dst = p.src
		copy(p.src[12:], d.ip4.SrcIP.To4())
		copy(p.dst[12:], d.ip4.DstIP.To4())
		p.proto = uint8(d.ip4.Protocol)
		p.tos = d.ip4.TOS
		if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
			p.fragment = true
			p.laterFrag = d.ip4.FragOffset != 0
			p.fragID = uint32(d.ip4.Id)
			if !p.laterFrag && !d.firstFragmentL4(p, d.ip4.Payload) {
				return false, ReasonIPv4
			}
		}
	case layers.LayerTypeIPv6:
		p.v6 = true
		p.src = [16]byte(d.ip6.SrcIP.To16())
		p.dst = [16]byte(d.ip6.DstIP.To16())
		p.tos = d.ip6.TrafficClass
		p.proto = uint8(d.ip6.NextHeader)
		for _, t := range d.decoded {
			switch t {
			case layers.LayerTypeIPv6Fragment:
				p.proto = uint8(d.ip6frg.NextHeader)
				if d.ip6frg.FragmentOffset != 0 || d.ip6frg.MoreFragments {
					p.fragment = true
					p.laterFrag = d.ip6frg.FragmentOffset != 0
					p.fragID = d.ip6frg.Identification
					if !p.laterFrag && !d.firstFragmentL4(p, d.ip6frg.Payload) {
						return false, ReasonIPv6Ext
					}
				}
			default:
				if t != layers.LayerTypeIPv6 && layers.LayerClassIPv6Extension.Contains(t) {
					p.proto = uint8(d.ip6ext.NextHeader)
				}
			}
		}
	default:
		return false, ""
	}
	if p.fragment {
		return true, ""
	}
	switch l4 {
	case layers.LayerTypeTCP:
		p.proto = 6
	case layers.LayerTypeUDP:
		p.proto = 17
	case layers.LayerTypeICMPv6:
		p.proto = 58
	}
	switch l4 {
	case layers.LayerTypeTCP:
		d.fillTCP(p)
	case layers.LayerTypeUDP:
		p.sport, p.dport = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
		p.payload = d.udp.Payload
	case layers.LayerTypeICMPv4:
		// ICMP type/code travel in the ports, as nProbe exports them
		// (the engine zeroes them for the key).
		p.dport = uint16(d.icmp4.TypeCode)
	case layers.LayerTypeICMPv6:
		p.dport = uint16(d.icmp6.TypeCode)
	}
	return true, ""
}

func (d *decoder) fillTCP(p *pkt) {
	t := &d.tcp
	p.sport, p.dport = uint16(t.SrcPort), uint16(t.DstPort)
	p.seq, p.ack, p.win = t.Seq, t.Ack, t.Window
	var f uint8
	if t.FIN {
		f |= tcpFIN
	}
	if t.SYN {
		f |= tcpSYN
	}
	if t.RST {
		f |= tcpRST
	}
	if t.PSH {
		f |= tcpPSH
	}
	if t.ACK {
		f |= tcpACK
	}
	if t.URG {
		f |= tcpURG
	}
	p.tcpFlags = f
	p.payload = t.Payload
}

// firstFragmentL4 reads the ports of a first fragment by hand (the parser
// stops at fragments): later fragments find them through the fragment cache.
func (d *decoder) firstFragmentL4(p *pkt, b []byte) bool {
	switch p.proto {
	case 6:
		if len(b) < 20 {
			return false
		}
		p.sport, p.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		p.seq, p.ack = binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
		p.tcpFlags = b[13] & 0x3f
		p.win = binary.BigEndian.Uint16(b[14:])
	case 17:
		if len(b) < 8 {
			return false
		}
		p.sport, p.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	}
	return true
}

// decodeFrom decodes raw IPv6 on a raw-IP link whose parser starts at IPv4.
func (d *decoder) decodeFrom(first gopacket.LayerType, data []byte) error {
	d.decoded = d.decoded[:0]
	if err := d.ip6.DecodeFromBytes(data, d.parser); err != nil {
		d.failed = layers.LayerTypeIPv6
		return err
	}
	d.decoded = append(d.decoded, layers.LayerTypeIPv6)
	// Hand the rest to the parser's layers one by one, as DecodeLayers would.
	next := d.ip6.NextLayerType()
	payload := d.ip6.Payload
	for range 8 {
		var l gopacket.DecodingLayer
		switch {
		case next == layers.LayerTypeIPv6Fragment:
			l = &d.ip6frg
		case layers.LayerClassIPv6Extension.Contains(next):
			l = &d.ip6ext
		case next == layers.LayerTypeTCP:
			l = &d.tcp
		case next == layers.LayerTypeUDP:
			l = &d.udp
		case next == layers.LayerTypeICMPv6:
			l = &d.icmp6
		default:
			return nil
		}
		if err := l.DecodeFromBytes(payload, d.parser); err != nil {
			d.failed = next
			return err
		}
		d.decoded = append(d.decoded, next)
		next, payload = l.NextLayerType(), l.LayerPayload()
	}
	return nil
}

// reason names the layer whose decoding failed: the one after the last
// layer decoded.
func (d *decoder) reason() string {
	next := d.first
	if n := len(d.decoded); n > 0 {
		next = d.nextOf(d.decoded[n-1])
	}
	if d.failed != 0 {
		next, d.failed = d.failed, 0
	}
	switch {
	case next == layers.LayerTypeEthernet:
		return ReasonEthernet
	case next == layers.LayerTypeLinuxSLL:
		return ReasonSLL
	case next == layers.LayerTypeDot1Q:
		return ReasonVLAN
	case next == layers.LayerTypeIPv4:
		return ReasonIPv4
	case next == layers.LayerTypeIPv6:
		return ReasonIPv6
	case next == layers.LayerTypeIPv6Fragment || layers.LayerClassIPv6Extension.Contains(next):
		return ReasonIPv6Ext
	case next == layers.LayerTypeTCP:
		return ReasonTCP
	case next == layers.LayerTypeUDP:
		return ReasonUDP
	case next == layers.LayerTypeICMPv4 || next == layers.LayerTypeICMPv6:
		return ReasonICMP
	case next == layers.LayerTypeGRE:
		return ReasonGRE
	}
	return ReasonOther
}

func (d *decoder) nextOf(t gopacket.LayerType) gopacket.LayerType {
	switch t {
	case layers.LayerTypeEthernet:
		return d.eth.NextLayerType()
	case layers.LayerTypeLinuxSLL:
		return d.sll.NextLayerType()
	case layers.LayerTypeDot1Q:
		return d.vlan.NextLayerType()
	case layers.LayerTypeIPv4:
		return d.ip4.NextLayerType()
	case layers.LayerTypeIPv6:
		return d.ip6.NextLayerType()
	case layers.LayerTypeIPv6Fragment:
		return d.ip6frg.NextLayerType()
	case layers.LayerTypeGRE:
		return d.gre.NextLayerType()
	}
	if layers.LayerClassIPv6Extension.Contains(t) {
		return d.ip6ext.NextLayerType()
	}
	return 0
}
