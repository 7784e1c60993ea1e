package flow

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// writeTestPcap writes a deterministic classic pcap of nFlows TCP and UDP
// conversations (a few packets each, both directions, varied sizes) for
// softflowd to read, and returns its path.
func writeTestPcap(t *testing.T, nFlows int) string {
	t.Helper()
	p := t.TempDir() + "/flows.pcap"
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	for i := 0; i < nFlows; i++ {
		cli := net.IPv4(10, 0, byte(i/250), byte(1+i%250))
		srv := net.IPv4(192, 168, 1, byte(1+i%7))
		for k := 0; k < 2+i%5; k++ {
			for dir := 0; dir < 2; dir++ {
				src, dst, sport, dport := cli, srv, uint16(20000+i), uint16(80+i%3)
				if dir == 1 {
					src, dst, sport, dport = srv, cli, dport, sport
				}
				eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
				ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src, DstIP: dst}
				payload := gopacket.Payload(make([]byte, 10+(i*37+k*11)%900))
				var l4 gopacket.SerializableLayer
				if i%4 == 3 {
					ip.Protocol = layers.IPProtocolUDP
					u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
					_ = u.SetNetworkLayerForChecksum(ip)
					l4 = u
				} else {
					ip.Protocol = layers.IPProtocolTCP
					tc := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), ACK: k > 0, SYN: k == 0, PSH: k > 0, Window: 1024}
					_ = tc.SetNetworkLayerForChecksum(ip)
					l4 = tc
				}
				buf := gopacket.NewSerializeBuffer()
				if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, payload); err != nil {
					t.Fatal(err)
				}
				ts = ts.Add(3 * time.Millisecond)
				b := buf.Bytes()
				if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return p
}
