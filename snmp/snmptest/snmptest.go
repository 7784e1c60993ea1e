// Package snmptest starts net-snmp peers for tests: an snmpd agent on a
// free loopback port with a generated configuration, and snmptrap.
package snmptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
