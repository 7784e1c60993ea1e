package ndpi

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Expected values below come from nDPI's ndpi_protocol_ids.h and
// ndpi_init_protocol_defaults / host_match at the commit in Version().
func TestWellKnownProtocols(t *testing.T) {
	tests := []struct {
		id   ProtoID
		name string
		cat  string
	}{
		{0, "Unknown", "Unspecified"},
		{5, "DNS", "Network"},
		{7, "HTTP", "Web"},
		{9, "NTP", "System"},
		{81, "ICMP", "Network"},
		{91, "TLS", "Web"},
		{92, "SSH", "RemoteAccess"},
		{119, "Facebook", "SocialNetwork"},
		{124, "YouTube", "Media"},
		{126, "Google", "Web"},
		{188, "QUIC", "Web"},
		{42, "Mining", "Mining"},
		{343, "BITCOIN", "Crypto_Currency"},
		{31, "UBNTAC2", "Network"},
		{425, "Lustre", "DataTransfer"},
	}
	for _, tc := range tests {
		if got := Name(tc.id); got != tc.name {
			t.Errorf("Name(%d) = %q, want %q", tc.id, got, tc.name)
		}
		if got := CategoryOf(tc.id).String(); got != tc.cat {
			t.Errorf("CategoryOf(%d) = %q, want %q", tc.id, got, tc.cat)
		}
	}
}

func TestUnknownIDs(t *testing.T) {
	for _, id := range []ProtoID{MaxID() + 1, 9999, 65535} {
		if got := Name(id); got != "Unknown" {
			t.Errorf("Name(%d) = %q, want Unknown", id, got)
		}
		if got := CategoryOf(id); got != CategoryUnspecified {
			t.Errorf("CategoryOf(%d) = %v, want Unspecified", id, got)
		}
	}
}

func TestFullName(t *testing.T) {
	tests := []struct {
		master, app ProtoID
		want        string
	}{
		{0, 0, "Unknown"},
		{0, 7, "HTTP"},
		{7, 7, "HTTP"},
		{91, 0, "TLS"},
		{91, 126, "TLS.Google"},
		{5, 124, "DNS.YouTube"},
		{188, 124, "QUIC.YouTube"},
		{92, 126, "SSH.Google"}, // master outside the precomputed set
		{91, 9999, "TLS.Unknown"},
		{9999, 7, "Unknown.HTTP"},
	}
	for _, tc := range tests {
		if got := FullName(tc.master, tc.app); got != tc.want {
			t.Errorf("FullName(%d, %d) = %q, want %q", tc.master, tc.app, got, tc.want)
		}
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		name string
		id   ProtoID
		ok   bool
	}{
		{"DNS", 5, true},
		{"dns", 5, true},
		{"tLs", 91, true},
		{"youtube", 124, true},
		{"HTTP_Proxy", 131, true},
		{"Unknown", 0, true},
		{"", 0, false},
		{"TLS.Google", 0, false},
		{"no-such-protocol", 0, false},
		{strings.Repeat("x", 100), 0, false},
	}
	for _, tc := range tests {
		id, ok := ID(tc.name)
		if id != tc.id || ok != tc.ok {
			t.Errorf("ID(%q) = %d, %v; want %d, %v", tc.name, id, ok, tc.id, tc.ok)
		}
	}
}

func TestCategoryID(t *testing.T) {
	tests := []struct {
		name string
		want Category
		ok   bool
	}{
		{"Web", CategoryWeb, true},
		{"network", CategoryNetwork, true},
		{"EMAIL", CategoryMail, true},
		{"IoT-Scada", CategoryIoTScada, true},
		{"Gambling", CategoryGambling, true},
		{"nope", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := CategoryID(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CategoryID(%q) = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if got := Category(200).String(); got != "Unspecified" {
		t.Errorf("Category(200).String() = %q, want Unspecified", got)
	}
}

func TestGuess(t *testing.T) {
	const tcp, udp = 6, 17
	tests := []struct {
		name         string
		l4           uint8
		sport, dport uint16
		want         ProtoID
	}{
		{"http", tcp, 51000, 80, 7},
		{"tls", tcp, 51000, 443, 91},
		{"quic", udp, 51000, 443, 188},
		{"dns udp", udp, 51000, 53, 5},
		{"dns tcp", tcp, 51000, 53, 5},
		{"ntp", udp, 123, 123, 9},
		{"server port is sport", tcp, 22, 51000, 92},
		{"dport wins over sport", tcp, 22, 80, 7},
		{"unknown ports", tcp, 40001, 40002, 0},
		{"zero sport", tcp, 0, 80, 0},
		{"zero dport", udp, 53, 0, 0},
		{"later default wins: 445", tcp, 51000, 445, 41},    // SMBv1 then SMBv23
		{"later default wins: 8080", tcp, 51000, 8080, 131}, // HTTP_Connect then HTTP_Proxy
		{"tcp-only port on udp", udp, 51000, 80, 0},
		{"icmp", 1, 0, 0, 81},
		{"icmp ports ignored", 1, 53, 53, 81},
		{"esp", 50, 0, 0, 79},
		{"gre", 47, 0, 0, 80},
		{"icmpv6", 58, 0, 0, 102},
		{"unknown ip proto", 253, 0, 0, 0},
	}
	for _, tc := range tests {
		if got := Guess(tc.l4, tc.sport, tc.dport); got != tc.want {
			t.Errorf("%s: Guess(%d, %d, %d) = %d (%s), want %d (%s)",
				tc.name, tc.l4, tc.sport, tc.dport, got, Name(got), tc.want, Name(tc.want))
		}
	}
}

// TestTableMatchesTSV checks the generated table against protocols.tsv (so a
// stale protocols_table.go fails) and that the data is self-consistent.
func TestTableMatchesTSV(t *testing.T) {
	f, err := os.Open("protocols.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[int]bool{}
	names := map[string]bool{}
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 5 {
			t.Fatalf("bad line %q", line)
		}
		id, err := strconv.Atoi(fs[0])
		if err != nil {
			t.Fatalf("bad id in %q", line)
		}
		if ids[id] {
			t.Errorf("duplicate id %d", id)
		}
		ids[id] = true
		if low := strings.ToLower(fs[1]); names[low] {
			t.Errorf("duplicate name %q", fs[1])
		} else {
			names[low] = true
		}
		rows++
		if got := Name(ProtoID(id)); got != fs[1] {
			t.Errorf("Name(%d) = %q, tsv says %q (run go generate)", id, got, fs[1])
		}
		if got := CategoryOf(ProtoID(id)).String(); got != fs[2] {
			t.Errorf("CategoryOf(%d) = %q, tsv says %q (run go generate)", id, got, fs[2])
		}
		if got, ok := ID(fs[1]); !ok || got != ProtoID(id) {
			t.Errorf("ID(%q) = %d, %v; want %d", fs[1], got, ok, id)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, n := range protoNames {
		if n != "" {
			named++
		}
	}
	if named != rows {
		t.Errorf("generated table has %d names, tsv has %d rows (run go generate)", named, rows)
	}
	if !ids[int(MaxID())] {
		t.Errorf("MaxID %d is not in the tsv", MaxID())
	}
}

func TestEveryCategoryHasName(t *testing.T) {
	for id := 0; id <= int(MaxID()); id++ {
		c := CategoryOf(ProtoID(id))
		if int(c) >= len(categoryNames) || categoryNames[c] == "" {
			t.Errorf("protocol %d (%s) has category %d with no name", id, Name(ProtoID(id)), c)
		}
	}
	for i, n := range categoryNames {
		if n == "" {
			continue
		}
		if c, ok := CategoryID(n); !ok || c != Category(i) {
			t.Errorf("CategoryID(%q) = %d, %v; want %d", n, c, ok, i)
		}
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); !strings.Contains(v, "5b0374c28b60") {
		t.Errorf("Version() = %q does not name the source commit", v)
	}
}

func TestNoAllocs(t *testing.T) {
	var sink string
	var id ProtoID
	checks := map[string]func(){
		"Name":                 func() { sink = Name(91) },
		"FullName app only":    func() { sink = FullName(0, 7) },
		"FullName master.app":  func() { sink = FullName(91, 126) },
		"FullName master only": func() { sink = FullName(91, 0) },
		"ID":                   func() { id, _ = ID("tLs") },
		"Guess":                func() { id = Guess(17, 51000, 443) },
		"Category.String":      func() { sink = CategoryOf(5).String() },
	}
	for name, fn := range checks {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s allocates %.0f times per call", name, n)
		}
	}
	_, _ = sink, id
}
