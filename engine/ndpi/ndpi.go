// Package ndpi holds nDPI's protocol table as flowgate needs it: protocol ids
// and names (as nProbe sends them and ntopng shows them), their categories,
// and nDPI's port-based guess for flows that arrive without an L7 protocol.
//
// The data is a snapshot of nDPI's own defaults (see Version and README.md);
// it is generated from protocols.tsv by gen.go.
package ndpi

//go:generate go run gen.go

// ProtoID is an nDPI protocol id (ndpi_protocol_id_t).
type ProtoID = uint16

// nDPI ids used by the guess for non-TCP/UDP traffic.
const (
	idUnknown ProtoID = 0
	idVRRP    ProtoID = 73
	idIPSec   ProtoID = 79
	idGRE     ProtoID = 80
	idICMP    ProtoID = 81
	idIGMP    ProtoID = 82
	idEGP     ProtoID = 83
	idSCTP    ProtoID = 84
	idOSPF    ProtoID = 85
	idIPinIP  ProtoID = 86
	idICMPv6  ProtoID = 102
	idPGM     ProtoID = 296
	idPIM     ProtoID = 297
)

const unknownName = "Unknown"

type portDefault struct {
	port uint16
	id   ProtoID
}

// Registries filled once at init and read-only afterwards, so lookups need
// no locks and do not allocate.
var (
	tcpPorts, udpPorts [65536]ProtoID
	byLowerName        map[string]ProtoID
	// subNames[slot][app] holds "Master.App" for the masters that commonly
	// carry sub-protocols, so FullName does not allocate for them.
	subNames   [][maxID + 1]string
	masterSlot [maxID + 1]int8
)

// subMasters are the masters whose "Master.App" labels are precomputed:
// those nDPI sub-classifies by content (DNS, HTTP, TLS, QUIC, ...).
var subMasters = []ProtoID{5, 7, 8, 30, 91, 130, 131, 188, 78, 87, 338, 370}

func init() {
	for _, d := range tcpDefaults {
		tcpPorts[d.port] = d.id
	}
	for _, d := range udpDefaults {
		udpPorts[d.port] = d.id
	}
	byLowerName = make(map[string]ProtoID, len(protoNames))
	for id, n := range protoNames {
		if n != "" {
			byLowerName[toLower(n)] = ProtoID(id)
		}
	}
	for i := range masterSlot {
		masterSlot[i] = -1
	}
	subNames = make([][maxID + 1]string, len(subMasters))
	for slot, m := range subMasters {
		masterSlot[m] = int8(slot)
		for app, n := range protoNames {
			if n != "" && ProtoID(app) != m && app != 0 {
				subNames[slot][app] = protoNames[m] + "." + n
			}
		}
	}
}

// MaxID is the highest protocol id in the table.
func MaxID() ProtoID { return maxID }

// Version names the nDPI sources the table was taken from.
func Version() string {
	return "nDPI 4.11-dev (ntop/nDPI@5b0374c28b60a39f5720cb44ea5f711774c511af, Oct 2024)"
}

// Name returns nDPI's name for id, or "Unknown" for 0 and ids nDPI does not
// define (as ndpi_get_proto_name does).
func Name(id ProtoID) string {
	if int(id) < len(protoNames) && protoNames[id] != "" {
		return protoNames[id]
	}
	return unknownName
}

// FullName returns the label ntopng shows for an L7 pair, following nDPI's
// ndpi_protocol2name: the app alone when master is 0 or equal to app, the
// master alone when app is 0, "Master.App" otherwise (e.g. "TLS.Google").
// Only "Master.App" labels for masters outside the precomputed set allocate.
func FullName(master, app ProtoID) string {
	if master == 0 || master == app {
		return Name(app)
	}
	if app == 0 {
		return Name(master)
	}
	if int(master) < len(masterSlot) && int(app) < len(protoNames) {
		if slot := masterSlot[master]; slot >= 0 {
			if s := subNames[slot][app]; s != "" {
				return s
			}
		}
	}
	return Name(master) + "." + Name(app)
}

// ID looks a protocol up by name, ignoring ASCII case (as nDPI's
// ndpi_get_proto_by_name). It does not parse "Master.App" labels.
func ID(name string) (ProtoID, bool) {
	var buf [64]byte
	if len(name) > len(buf) {
		return 0, false // no nDPI name is this long
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	id, ok := byLowerName[string(buf[:len(name)])]
	return id, ok
}

// CategoryOf returns nDPI's default category for id (Unspecified when
// unknown).
func CategoryOf(id ProtoID) Category {
	if int(id) < len(protoCategories) {
		return protoCategories[id]
	}
	return CategoryUnspecified
}

// Guess returns the protocol nDPI guesses for an unclassified flow, as ntopng
// does with ndpi_guess_undetected_protocol for flows collected with L7 0/0.
// For TCP and UDP it looks up nDPI's default ports, server port (dport)
// first, then sport; nDPI only guesses when both ports are non-zero. Other IP
// protocols map by protocol number (ICMP, GRE, ESP/AH, ...). It returns 0
// when nothing matches. The IP-based part of ntopng's IPv4 guess is not done.
func Guess(l4proto uint8, sport, dport uint16) ProtoID {
	var ports *[65536]ProtoID
	switch l4proto {
	case 6:
		ports = &tcpPorts
	case 17:
		ports = &udpPorts
	default:
		return guessIPProto(l4proto)
	}
	if sport == 0 || dport == 0 {
		return idUnknown
	}
	if id := ports[dport]; id != 0 {
		return id
	}
	return ports[sport]
}

func guessIPProto(p uint8) ProtoID {
	switch p {
	case 1:
		return idICMP
	case 2:
		return idIGMP
	case 4:
		return idIPinIP
	case 8:
		return idEGP
	case 47:
		return idGRE
	case 50, 51:
		return idIPSec
	case 58:
		return idICMPv6
	case 89:
		return idOSPF
	case 103:
		return idPIM
	case 112:
		return idVRRP
	case 113:
		return idPGM
	case 132:
		return idSCTP
	}
	return idUnknown
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
