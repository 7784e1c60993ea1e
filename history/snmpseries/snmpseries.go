// Package snmpseries keeps the SNMP poller's interface series in the
// time-series store (snmp.SeriesStore): every poll point as flowgate's
// flowgate:snmp_if series (what the SNMP REST serves after a restart) and
// as ntopng's snmp_if:traffic (bytes per second, at ntopng's 300 s step:
// the last poll of each step).
package snmpseries

import (
	"context"
	"math"
	"sort"
	"strconv"

	"flowgate/history"
	"flowgate/snmp"
)

// SystemIfID is the ifid tag of snmp_if:traffic: ntopng keeps SNMP series
// on its system interface.
const SystemIfID = "-1"

// Store adapts a history.Store to snmp.SeriesStore.
type Store struct{ st *history.Store }

// New returns the adapter.
func New(st *history.Store) *Store { return &Store{st: st} }

// AppendIfPoints stores one poll of a device.
func (s *Store) AppendIfPoints(device string, pts []snmp.IfPoint) error {
	batch := make([]history.Sample, 0, 2*len(pts))
	for _, p := range pts {
		idx := strconv.FormatUint(uint64(p.IfIndex), 10)
		batch = append(batch,
			history.Sample{Schema: history.SNMPIfPoll, Tags: []string{device, idx}, T: p.T, Values: []float64{
				float64(p.InBps), float64(p.OutBps), float64(p.InErrors), float64(p.OutErrors), float64(p.OperStatus)}},
			history.Sample{Schema: history.SNMPIfTraffic, Tags: []string{SystemIfID, device, idx}, T: p.T, Values: []float64{
				float64(p.OutBps) / 8, float64(p.InBps) / 8}})
	}
	return s.st.AppendMeasured(batch)
}

// IfPoints reads a device's poll points stamped at or after since.
func (s *Store) IfPoints(device string, since int64, fn func(snmp.IfPoint)) error {
	var idxs []uint32
	for _, tags := range s.st.Series(history.SNMPIfPoll) {
		if tags[0] != device {
			continue
		}
		if n, err := strconv.ParseUint(tags[1], 10, 32); err == nil {
			idxs = append(idxs, uint32(n))
		}
	}
	sort.Slice(idxs, func(i, j int) bool { return idxs[i] < idxs[j] })
	// The newest point is stamped at most at now.
	until := s.st.Now().Unix() + 1
	for _, idx := range idxs {
		rows, err := s.st.Raw(context.Background(), history.SNMPIfPoll, []string{device, strconv.FormatUint(uint64(idx), 10)}, since, until)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v := r.Values
			if math.IsNaN(v[0]) {
				continue
			}
			fn(snmp.IfPoint{IfIndex: idx, Point: snmp.Point{T: r.T, InBps: float32(v[0]), OutBps: float32(v[1]),
				InErrors: uint32(v[2]), OutErrors: uint32(v[3]), OperStatus: uint8(v[4])}})
		}
	}
	return nil
}
