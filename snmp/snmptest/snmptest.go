// Package snmptest starts net-snmp peers for tests: an snmpd agent on a
// free loopback port with a generated configuration, and snmptrap.
package snmptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
)

// The agent's credentials.
const (
	ReadCommunity  = "public"
	WriteCommunity = "private"
	V3User         = "fguser"
	V3Auth         = "authpass123" // SHA
	V3Priv         = "privpass123" // AES
	SysName        = "fg-test-agent"
)

// Agent is a net-snmp snmpd the test started on a loopback port.
type Agent struct {
	Port int
	Dir  string
	cmd  *exec.Cmd
}

// FreeUDPPort returns a loopback UDP port that was free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	return p
}

// StartAgent runs snmpd: v2c communities public (read) and private
// (write), the v3 authPriv user, sysName/sysLocation/sysContact set, and
// extra configuration lines (e.g. `override -rw OID TYPE VALUE`). It is
// stopped when the test ends.
func StartAgent(t testing.TB, extra ...string) *Agent {
	t.Helper()
	bin := testpeer.Command(t, "snmpd", "snmpd")
	dir := t.TempDir()
	port := FreeUDPPort(t)
	conf := fmt.Sprintf(`rocommunity %s 127.0.0.1
rwcommunity %s 127.0.0.1
createUser %s SHA "%s" AES "%s"
rwuser %s priv
sysName %s
sysLocation lab
sysContact ops@example.org
%s
`, ReadCommunity, WriteCommunity, V3User, V3Auth, V3Priv, V3User, SysName, strings.Join(extra, "\n"))
	cf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", "-C", "-c", cf, "-Lf", filepath.Join(dir, "snmpd.log"), "-p", filepath.Join(dir, "pid"),
		"udp:127.0.0.1:"+strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+dir, "MIBS=", "MIBDIRS="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &Agent{cmd: cmd, Port: port, Dir: dir}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	answers := func() bool {
		g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(port), Community: ReadCommunity, Version: gosnmp.Version2c,
			Timeout: 200 * time.Millisecond, Retries: 0}
		if g.Connect() != nil {
			return false
		}
		defer g.Conn.Close()
		_, err := g.Get([]string{".1.3.6.1.2.1.1.3.0"})
		return err == nil
	}
	if !testwait.Wait(testwait.Timeout, answers) {
		log, _ := os.ReadFile(filepath.Join(dir, "snmpd.log"))
		t.Fatalf("snmpd did not answer on port %d: %s", port, log)
	}
	return a
}

// Pause stops the agent process (SIGSTOP): it stops answering.
func (a *Agent) Pause() { _ = a.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume lets a paused agent answer again.
func (a *Agent) Resume() { _ = a.cmd.Process.Signal(syscall.SIGCONT) }

// Set writes one value with the write community.
func (a *Agent) Set(t testing.TB, oid string, typ gosnmp.Asn1BER, v any) {
	t.Helper()
	g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(a.Port), Community: WriteCommunity, Version: gosnmp.Version2c,
		Timeout: time.Second, Retries: 1}
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	defer g.Conn.Close()
	r, err := g.Set([]gosnmp.SnmpPDU{{Name: oid, Type: typ, Value: v}})
	if err != nil || r.Error != gosnmp.NoError {
		t.Fatalf("set %s: %v %v", oid, err, r)
	}
}

// Tool runs a net-snmp command-line tool (snmptrap, snmpbulkwalk, ...)
// without MIBs or user configuration.
func Tool(t testing.TB, tool string, args ...string) ([]byte, error) {
	t.Helper()
	bin := testpeer.Command(t, tool, "snmp")
	cmd := exec.Command(bin, args...)
	dir := t.TempDir()
	cmd.Env = append(os.Environ(), "MIBS=", "MIBDIRS="+dir, "SNMPCONFPATH="+dir, "SNMP_PERSISTENT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("%s %s: %v: %s", tool, strings.Join(args, " "), err, out)
	}
	return out, err
}

// PassRow is one varbind a pass script serves: Type is a net-snmp pass
// type (integer, string, octet = hex bytes "00 11 ..", gauge, ...).
type PassRow struct{ OID, Type, Value string }

// passScript answers snmpd's pass protocol (-g OID: that row; -n OID: the
// first row after it, by numeric OID order) from a tab-separated table
// sorted by OID. Rows a MIB snmpd does not implement (LLDP, BRIDGE) then
// come over UDP through the real agent.
const passScript = `#!/bin/sh
[ "$1" = "-s" ] && { echo not-writable; exit 0; }
exec awk -F '\t' -v mode="$1" -v req="$2" '
function cmp(a, b,   x, y, n, m, i) {
	n = split(a, x, "."); m = split(b, y, ".")
	for (i = 2; i <= n && i <= m; i++) {
		if (x[i] + 0 < y[i] + 0) return -1
		if (x[i] + 0 > y[i] + 0) return 1
	}
	return n < m ? -1 : (n > m ? 1 : 0)
}
(mode == "-g" && $1 == req) || (mode == "-n" && cmp($1, req) > 0) { print $1; print $2; print $3; exit }
' "$(dirname "$0")/table.tsv"
`

// PassLines writes rows and the pass script to a temporary directory and
// returns the snmpd.conf lines (for StartAgent) that serve them under each
// subtree (e.g. ".1.0.8802.1.1.2"). OIDs start with a dot.
func PassLines(t testing.TB, rows []PassRow, subtrees ...string) []string {
	t.Helper()
	testpeer.Command(t, "awk", "mawk")
	dir := t.TempDir()
	sorted := append([]PassRow(nil), rows...)
	sort.Slice(sorted, func(i, j int) bool { return oidLess(sorted[i].OID, sorted[j].OID) })
	var b strings.Builder
	for _, r := range sorted {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", r.OID, r.Type, r.Value)
	}
	if err := os.WriteFile(filepath.Join(dir, "table.tsv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "pass.sh")
	if err := os.WriteFile(script, []byte(passScript), 0o700); err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 0, len(subtrees))
	for _, s := range subtrees {
		lines = append(lines, "pass "+s+" /bin/sh "+script)
	}
	return lines
}

func oidLess(a, b string) bool {
	x, y := strings.Split(strings.TrimPrefix(a, "."), "."), strings.Split(strings.TrimPrefix(b, "."), ".")
	for i := 0; i < len(x) && i < len(y); i++ {
		n, _ := strconv.Atoi(x[i])
		m, _ := strconv.Atoi(y[i])
		if n != m {
			return n < m
		}
	}
	return len(x) < len(y)
}

// TopologyRows reads testdata/topology.tsv: LLDP-MIB and BRIDGE-MIB rows
// for PassLines (subtrees LLDPSubtree and BridgeSubtree).
func TopologyRows(t testing.TB) []PassRow {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "testdata", "topology.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []PassRow
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("topology.tsv: bad line %q", l)
		}
		rows = append(rows, PassRow{f[0], f[1], f[2]})
	}
	return rows
}

// The LLDP-MIB and BRIDGE-MIB roots.
const (
	LLDPSubtree   = ".1.0.8802.1.1.2"
	BridgeSubtree = ".1.3.6.1.2.1.17"
)
