package snmp

import (
	"sort"
	"time"
)

// System is the device's system group.
type System struct {
	Descr    string `json:"sys_descr"`
	ObjectID string `json:"sys_object_id"`
	UpTime   uint64 `json:"sys_uptime"` // hundredths of a second
	Contact  string `json:"sys_contact"`
	Name     string `json:"sys_name"`
	Location string `json:"sys_location"`
}

// Interface is one row of ifTable/ifXTable with its rates and the traffic
// flows reported on it. Octet and unicast counters are the 64-bit ifXTable
// ones when the device has them (HC), else the 32-bit ifTable ones.
type Interface struct {
	Index            uint32 `json:"index"`
	Name             string `json:"name"`
	Alias            string `json:"alias"`
	Descr            string `json:"descr"`
	Type             uint64 `json:"type"`
	Speed            uint64 `json:"speed"`      // ifSpeed, bit/s (saturates at 2^32-1)
	HighSpeed        uint64 `json:"high_speed"` // ifHighSpeed, Mbit/s
	AdminStatus      uint64 `json:"admin_status"`
	OperStatus       uint64 `json:"oper_status"`
	HC               bool   `json:"hc_counters"`
	InOctets         uint64 `json:"in_octets"`
	OutOctets        uint64 `json:"out_octets"`
	InUcastPkts      uint64 `json:"in_ucast_pkts"`
	OutUcastPkts     uint64 `json:"out_ucast_pkts"`
	InMulticastPkts  uint64 `json:"in_mcast_pkts"`
	OutMulticastPkts uint64 `json:"out_mcast_pkts"`
	InBroadcastPkts  uint64 `json:"in_bcast_pkts"`
	OutBroadcastPkts uint64 `json:"out_bcast_pkts"`
	InErrors         uint64 `json:"in_errors"`
	OutErrors        uint64 `json:"out_errors"`
	InDiscards       uint64 `json:"in_discards"`
	OutDiscards      uint64 `json:"out_discards"`

	// Rates over the last poll interval; zero after the first poll, a
	// device reboot or a counter reset.
	InBps, OutBps             float64 `json:"-"`
	InErrorsRate, OutErrsRate float64 `json:"-"` // errors per second
	// Deltas of the error counters over the last interval.
	InErrorsDelta, OutErrorsDelta uint64 `json:"-"`

	// From flows whose exporter is this device and whose ifIndex is this
	// interface (ntopng's flow devices).
	FlowBytesIn  uint64 `json:"flow_bytes_in"`
	FlowBytesOut uint64 `json:"flow_bytes_out"`
}

// SpeedBps is the interface speed in bit/s (ifHighSpeed when ifSpeed
// saturates).
func (i *Interface) SpeedBps() uint64 {
	if i.HighSpeed > 0 && (i.Speed == 0 || i.Speed >= 4294967295) {
		return i.HighSpeed * 1_000_000
	}
	return i.Speed
}

// OperStatusName is ifOperStatus as a word (IF-MIB).
func OperStatusName(s uint64) string {
	names := [...]string{"", "up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown"}
	if s < uint64(len(names)) && s > 0 {
		return names[s]
	}
	return "unknown"
}

// Point is one sample of an interface's time series.
type Point struct {
	T          int64   `json:"t"` // epoch seconds
	InBps      float32 `json:"in_bps"`
	OutBps     float32 `json:"out_bps"`
	InErrors   uint32  `json:"in_errors"` // delta over the interval
	OutErrors  uint32  `json:"out_errors"`
	OperStatus uint8   `json:"oper_status"`
}

// series is a fixed-capacity ring of points: a day at poll resolution.
type series struct {
	pts  []Point
	next int
	full bool
}

func (s *series) add(p Point, capacity int) {
	if len(s.pts) < capacity && !s.full {
		s.pts = append(s.pts, p)
		if len(s.pts) == capacity {
			s.full = true
			s.next = 0
		}
		return
	}
	if len(s.pts) == 0 {
		return
	}
	s.pts[s.next] = p
	s.next = (s.next + 1) % len(s.pts)
}

// since returns the points newer than t, oldest first.
func (s *series) since(t int64) []Point {
	var out []Point
	n := len(s.pts)
	start := 0
	if s.full {
		start = s.next
	}
	for k := 0; k < n; k++ {
		p := s.pts[(start+k)%n]
		if p.T > t {
			out = append(out, p)
		}
	}
	return out
}

// sortIfNeeded puts the points in time order (a series loaded from a file
// where two concurrent polls of a device wrote out of order).
func (s *series) sortIfNeeded() {
	n := len(s.pts)
	start := 0
	if s.full {
		start = s.next
	}
	sorted := true
	for k := 1; k < n && sorted; k++ {
		sorted = s.pts[(start+k-1)%n].T <= s.pts[(start+k)%n].T
	}
	if sorted {
		return
	}
	pts := make([]Point, 0, n)
	for k := range n {
		pts = append(pts, s.pts[(start+k)%n])
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].T < pts[j].T })
	s.pts, s.next = pts, 0
}

// counterDelta is cur-prev for a counter of the given width, handling one
// wrap; ok is false when the counter went back in a way a wrap does not
// explain (64-bit counters never wrap in practice: that is a reset).
func counterDelta(prev, cur uint64, hc bool) (uint64, bool) {
	if cur >= prev {
		return cur - prev, true
	}
	if hc {
		return 0, false
	}
	if prev > 0xFFFFFFFF {
		return 0, false
	}
	return cur + (1 << 32) - prev, true
}

// DeviceStatus is what REST shows of a device.
type DeviceStatus struct {
	Key         string       `json:"key"`
	Config      DeviceConfig `json:"config"`
	Reachable   bool         `json:"reachable"`
	LastPoll    time.Time    `json:"last_poll,omitzero"`
	LastSuccess time.Time    `json:"last_success,omitzero"`
	LastError   string       `json:"last_error,omitempty"`
	Polls       uint64       `json:"polls"`
	Errors      uint64       `json:"errors"`
	Requests    uint64       `json:"requests"`
	BadValues   uint64       `json:"bad_values"`
	Reboots     uint64       `json:"reboots"`
	PollTime    float64      `json:"last_poll_duration_ms"`
	System      System       `json:"system"`
	NumIfaces   int          `json:"num_interfaces"`
}
