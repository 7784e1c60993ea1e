package engine

// swapSides exchanges every src/dst-paired field of the record (ntopng's
// ParsedFlow::swap), used by the client/server heuristic of §6.1.
func (r *FlowRecord) swapSides() {
	r.SrcIP, r.DstIP = r.DstIP, r.SrcIP
	r.SrcPort, r.DstPort = r.DstPort, r.SrcPort
	r.SrcMAC, r.DstMAC = r.DstMAC, r.SrcMAC
	r.InIfIndex, r.OutIfIndex = r.OutIfIndex, r.InIfIndex
	r.InBytes, r.OutBytes = r.OutBytes, r.InBytes
	r.InPkts, r.OutPkts = r.OutPkts, r.InPkts
	r.SrcFragments, r.DstFragments = r.DstFragments, r.SrcFragments
	r.ClientTCPFlags, r.ServerTCPFlags = r.ServerTCPFlags, r.ClientTCPFlags
	r.RetrIn, r.RetrOut = r.RetrOut, r.RetrIn
	r.OOOIn, r.OOOOut = r.OOOOut, r.OOOIn
	r.TCPWinMaxIn, r.TCPWinMaxOut = r.TCPWinMaxOut, r.TCPWinMaxIn
	r.ClientLatencyMs, r.ServerLatencyMs = r.ServerLatencyMs, r.ClientLatencyMs
	if h := r.HasLatency; h&3 == 1 || h&3 == 2 {
		r.HasLatency = h ^ 3
	}
	r.SrcAS, r.DstAS = r.DstAS, r.SrcAS
	r.PrevAS, r.NextAS = r.NextAS, r.PrevAS
	r.SrcTOS, r.DstTOS = r.DstTOS, r.SrcTOS
	r.PostNATSrcIP, r.PostNATDstIP = r.PostNATDstIP, r.PostNATSrcIP
	r.PostNATSrcPort, r.PostNATDstPort = r.PostNATDstPort, r.PostNATSrcPort
}
