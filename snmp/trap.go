package snmp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/internal/ratelog"
)

// TrapUser is one SNMPv3 USM user traps may come from.
type TrapUser struct {
	User         string `json:"user"`
	AuthProtocol string `json:"auth_protocol,omitempty"`
	AuthPassword string `json:"auth_password,omitempty"`
	PrivProtocol string `json:"priv_protocol,omitempty"`
	PrivPassword string `json:"priv_password,omitempty"`
}

// TrapConfiguration of the receiver. Zero fields take defaults.
type TrapConfiguration struct {
	Addr string // ip:port, default ":162"
	// Communities accepted from v1/v2c senders; empty accepts any.
	Communities []string
	// Users accepted from v3 senders; v3 traps from anyone else are dropped.
	Users []TrapUser
	// EngineID (hex) the receiver reports to v3 inform senders during
	// engine discovery; default random, fixed for the process.
	EngineID string
	// QueueSize bounds the traps waiting for the trap scripts (4096);
	// beyond it they are dropped and counted (the alert is still stored).
	QueueSize int
	Logger    *slog.Logger
}

// DefaultTrapConfiguration listens on the standard port with a 4096-trap
// script queue.
func DefaultTrapConfiguration() TrapConfiguration {
	return TrapConfiguration{Addr: ":162", QueueSize: 4096}
}

// ParseTrapEndpoint reads `snmptrap://ip[:port]` (port 162 when omitted).
func ParseTrapEndpoint(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "snmptrap" || u.Host == "" {
		return "", fmt.Errorf("trap endpoint %q: want snmptrap://ip[:port]", s)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "162"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("trap endpoint %q: bad port", s)
	}
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(host, port), nil
}

// Trap is one received trap or inform.
type Trap struct {
	Source    string    `json:"source"`  // sender IP
	Version   string    `json:"version"` // "1", "2c", "3"
	Community string    `json:"community,omitempty"`
	User      string    `json:"user,omitempty"`
	TrapOID   string    `json:"trap_oid"`
	Uptime    uint64    `json:"uptime"` // sender's sysUpTime, hundredths of a second
	Inform    bool      `json:"inform,omitempty"`
	Varbinds  []Varbind `json:"varbinds"`
	Time      time.Time `json:"-"`
}

// Varbind is one variable binding as scripts see it.
type Varbind struct {
	OID   string `json:"oid"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// TrapCounters are the receiver's totals.
type TrapCounters struct {
	Packets      uint64 `json:"packets"`
	Traps        uint64 `json:"traps"`
	Informs      uint64 `json:"informs"` // acknowledged
	DecodeErrors uint64 `json:"decode_errors"`
	BadCommunity uint64 `json:"unknown_community"`
	UnknownUser  uint64 `json:"unknown_user"` // v3: unknown user or failed authentication/decryption
	Discovery    uint64 `json:"engine_discovery"`
	NotTrap      uint64 `json:"not_a_trap"`
	ScriptDrops  uint64 `json:"script_queue_drops"`
	ReplyErrors  uint64 `json:"reply_errors"`
	Ignored      uint64 `json:"ignored_disabled"`
	Sources      int    `json:"sources"`
}

// TrapDeps are what traps feed. All optional.
type TrapDeps struct {
	Alerts *alerts.Store
	// OnTrap runs in the receiver's script goroutine for every trap that
	// made it through the queue (the trap scripts runner).
	OnTrap func(Trap)
	// Metrics, when set, gets the receiver's families (metrics.go);
	// NewTrapReceiver registers them.
	Metrics prometheus.Registerer
}

// alertExternal is 4.2's alert_external: a trap is an event the device
// reports, not one flowgate measured.
const alertExternal = 7

// TrapReceiver receives SNMP traps and informs on one UDP socket.
type TrapReceiver struct {
	cfg  TrapConfiguration
	deps TrapDeps
	log  *slog.Logger
	rlog *ratelog.Limiter

	params   *gosnmp.GoSNMP // decoder with the v3 users
	disc     *gosnmp.GoSNMP // decoder for engine discovery probes
	engineID string
	boot     time.Time
	comms    map[string]bool

	conn  *net.UDPConn
	queue chan Trap
	done  chan struct{}
	qdone chan struct{}

	packets, traps, informs, decErr, badComm, unkUser, disco, notTrap, qDrops, replyErr atomic.Uint64

	srcMu   sync.Mutex
	sources map[string]uint64

	disabled atomic.Bool
	ignored  atomic.Uint64
}

// SetEnabled turns trap collection on or off (ntop.snmpToggleTrapCollection);
// while off, datagrams are read, counted as ignored and dropped.
func (r *TrapReceiver) SetEnabled(on bool) { r.disabled.Store(!on) }

// NewTrapReceiver returns an inert receiver; bad v3 users are reported here.
func NewTrapReceiver(cfg TrapConfiguration, deps TrapDeps) (*TrapReceiver, error) {
	def := DefaultTrapConfiguration()
	if cfg.Addr == "" {
		cfg.Addr = def.Addr
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = def.QueueSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &TrapReceiver{cfg: cfg, deps: deps, log: cfg.Logger.With("component", "snmptrap"),
		sources: map[string]uint64{}, comms: map[string]bool{}, boot: time.Now()}
	r.rlog = ratelog.New(r.log, 10*time.Second)
	for _, c := range cfg.Communities {
		r.comms[c] = true
	}
	if cfg.EngineID != "" {
		b, err := hex.DecodeString(strings.TrimPrefix(cfg.EngineID, "0x"))
		if err != nil || len(b) < 5 || len(b) > 32 {
			return nil, fmt.Errorf("snmptrap: engine ID %q: want 5 to 32 bytes in hex", cfg.EngineID)
		}
		r.engineID = string(b)
	} else {
		// RFC 3411 format 5 (octets), enterprise 8072 (net-snmp's, as
		// many agents use) with random bytes.
		b := make([]byte, 12)
		_, _ = rand.Read(b[5:])
		copy(b, []byte{0x80, 0x00, 0x1f, 0x88, 0x04})
		r.engineID = string(b)
	}
	r.params = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv}
	if len(cfg.Users) > 0 {
		tbl := gosnmp.NewSnmpV3SecurityParametersTable(gosnmp.Logger{})
		for _, u := range cfg.Users {
			d := DeviceConfig{Address: "trap", Version: "3", User: u.User, AuthProtocol: u.AuthProtocol,
				AuthPassword: u.AuthPassword, PrivProtocol: u.PrivProtocol, PrivPassword: u.PrivPassword}
			if err := d.normalize(); err != nil {
				return nil, fmt.Errorf("snmptrap user %q: %w", u.User, err)
			}
			sp := &gosnmp.UsmSecurityParameters{UserName: d.User, AuthenticationProtocol: authProtos[d.AuthProtocol],
				AuthenticationPassphrase: d.AuthPassword, PrivacyProtocol: privProtos[d.PrivProtocol],
				PrivacyPassphrase: d.PrivPassword, AuthoritativeEngineID: r.engineID}
			if err := tbl.Add(d.User, sp); err != nil {
				return nil, fmt.Errorf("snmptrap user %q: %w", u.User, err)
			}
		}
		r.params.SetTrapSecurityParametersTable(tbl)
	}
	r.disc = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel,
		MsgFlags: gosnmp.NoAuthNoPriv, SecurityParameters: &gosnmp.UsmSecurityParameters{}}
	if err := r.registerMetrics(deps.Metrics); err != nil {
		return nil, fmt.Errorf("snmptrap: %w", err)
	}
	return r, nil
}

// Start binds the socket and receives in the background.
func (r *TrapReceiver) Start() error {
	ua, err := net.ResolveUDPAddr("udp", r.cfg.Addr)
	if err != nil {
		return fmt.Errorf("snmptrap %s: %w", r.cfg.Addr, err)
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("snmptrap %s: %w", r.cfg.Addr, err)
	}
	// A burst of traps must wait in the kernel, not be dropped there.
	_ = c.SetReadBuffer(8 << 20)
	r.conn = c
	r.queue = make(chan Trap, r.cfg.QueueSize)
	r.done, r.qdone = make(chan struct{}), make(chan struct{})
	go r.scripts()
	go r.recv()
	r.log.Info("snmp trap receiver listening", "addr", c.LocalAddr().String(), "v3_users", len(r.cfg.Users))
	return nil
}

// Addr is the bound address.
func (r *TrapReceiver) Addr() string {
	if r.conn == nil {
		return ""
	}
	return r.conn.LocalAddr().String()
}

// Stop closes the socket and drains the script queue.
func (r *TrapReceiver) Stop() {
	if r.conn == nil {
		return
	}
	_ = r.conn.Close()
	<-r.done
	close(r.queue)
	<-r.qdone
	r.conn = nil
}

// Counters returns the totals.
func (r *TrapReceiver) Counters() TrapCounters {
	r.srcMu.Lock()
	n := len(r.sources)
	r.srcMu.Unlock()
	return TrapCounters{Packets: r.packets.Load(), Traps: r.traps.Load(), Informs: r.informs.Load(),
		DecodeErrors: r.decErr.Load(), BadCommunity: r.badComm.Load(), UnknownUser: r.unkUser.Load(),
		Discovery: r.disco.Load(), NotTrap: r.notTrap.Load(), ScriptDrops: r.qDrops.Load(),
		ReplyErrors: r.replyErr.Load(), Ignored: r.ignored.Load(), Sources: n}
}

// SourceCount is the number of traps received from one address.
type SourceCount struct {
	Source string `json:"source"`
	Traps  uint64 `json:"traps"`
}

// Sources returns the per-source trap counts, busiest first.
func (r *TrapReceiver) Sources() []SourceCount {
	r.srcMu.Lock()
	out := make([]SourceCount, 0, len(r.sources))
	for s, n := range r.sources {
		out = append(out, SourceCount{s, n})
	}
	r.srcMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Traps != out[j].Traps {
			return out[i].Traps > out[j].Traps
		}
		return out[i].Source < out[j].Source
	})
	return out
}

func (r *TrapReceiver) recv() {
	defer close(r.done)
	buf := make([]byte, 65536)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			r.rlog.Warn("read", "snmp trap read failed", "err", err)
			continue
		}
		r.packets.Add(1)
		if r.disabled.Load() {
			r.ignored.Add(1)
			continue
		}
		r.handle(buf[:n], from)
	}
}

// berVersion reads the version of an SNMP message without decoding it, so
// a v3 message can be told apart before the USM table is consulted.
func berVersion(b []byte) (int, bool) {
	if len(b) < 5 || b[0] != 0x30 {
		return 0, false
	}
	i := 1
	if b[i]&0x80 != 0 {
		i += 1 + int(b[i]&0x7f)
	} else {
		i++
	}
	if i+3 > len(b) || b[i] != 0x02 || b[i+1] != 1 {
		return 0, false
	}
	return int(b[i+2]), true
}

// handle decodes one datagram. Nothing in it may panic the receiver: gosnmp
// has had decoder panics on hostile input, so they are caught and counted.
func (r *TrapReceiver) handle(msg []byte, from *net.UDPAddr) {
	defer func() {
		if p := recover(); p != nil {
			r.decErr.Add(1)
			r.rlog.Warn("panic", "snmp trap decoder panicked", "from", from.String(), "panic", fmt.Sprint(p))
		}
	}()
	ver, ok := berVersion(msg)
	if !ok {
		r.decErr.Add(1)
		r.rlog.Warn("decode", "snmp trap: not an SNMP message", "from", from.String(), "len", len(msg))
		return
	}
	if ver == 3 {
		if pkt, err := r.disc.UnmarshalTrap(msg, true); err == nil && pkt.Version == gosnmp.Version3 {
			if sp, ok := pkt.SecurityParameters.(*gosnmp.UsmSecurityParameters); ok && sp.UserName == "" &&
				sp.AuthoritativeEngineID == "" && pkt.MsgFlags&gosnmp.AuthPriv == gosnmp.NoAuthNoPriv {
				r.disco.Add(1)
				r.reportEngineID(pkt, from)
				return
			}
		}
		if r.params.GetTrapSecurityParametersTable() == nil {
			r.unkUser.Add(1)
			r.rlog.Warn("user", "snmp v3 trap with no v3 users configured", "from", from.String())
			return
		}
	}
	pkt, err := r.params.UnmarshalTrap(msg, false)
	if err != nil {
		if ver == 3 {
			r.unkUser.Add(1)
			r.rlog.Warn("user", "snmp v3 trap dropped: unknown user or bad credentials", "from", from.String(), "err", err)
		} else {
			r.decErr.Add(1)
			r.rlog.Warn("decode", "snmp trap undecodable", "from", from.String(), "err", err)
		}
		return
	}
	if pkt.Version != gosnmp.Version3 && len(r.comms) > 0 && !r.comms[pkt.Community] {
		r.badComm.Add(1)
		r.rlog.Warn("community", "snmp trap with an unknown community dropped", "from", from.String())
		return
	}
	t := Trap{Source: from.IP.String(), Time: time.Now()}
	switch pkt.Version {
	case gosnmp.Version1:
		t.Version, t.Community = "1", pkt.Community
	case gosnmp.Version2c:
		t.Version, t.Community = "2c", pkt.Community
	default:
		t.Version = "3"
		if sp, ok := pkt.SecurityParameters.(*gosnmp.UsmSecurityParameters); ok {
			t.User = sp.UserName
		}
	}
	switch pkt.PDUType {
	case gosnmp.Trap:
		t.TrapOID = v1TrapOID(pkt)
		t.Uptime = uint64(pkt.Timestamp)
		if pkt.AgentAddress != "" && pkt.AgentAddress != "0.0.0.0" {
			t.Varbinds = append(t.Varbinds, Varbind{OID: "1.3.6.1.6.3.18.1.3.0", Type: "IPAddress", Value: pkt.AgentAddress})
		}
	case gosnmp.SNMPv2Trap, gosnmp.InformRequest:
		t.Inform = pkt.PDUType == gosnmp.InformRequest
	default:
		r.notTrap.Add(1)
		return
	}
	for _, v := range pkt.Variables {
		name := strings.TrimPrefix(v.Name, ".")
		switch {
		case name == "1.3.6.1.2.1.1.3.0" && pkt.PDUType != gosnmp.Trap:
			var up uint64
			if num(&up, v) {
				t.Uptime = up
			}
			continue
		case name == "1.3.6.1.6.3.1.1.4.1.0" && pkt.PDUType != gosnmp.Trap:
			if s, ok := v.Value.(string); ok {
				t.TrapOID = strings.TrimPrefix(s, ".")
			}
			continue
		}
		typ, val := pduValue(v)
		t.Varbinds = append(t.Varbinds, Varbind{OID: name, Type: typ, Value: val})
	}
	if t.Inform {
		pkt.PDUType = gosnmp.GetResponse
		pkt.Error, pkt.ErrorIndex = gosnmp.NoError, 0
		if out, err := pkt.MarshalMsg(); err != nil {
			r.replyErr.Add(1)
			r.rlog.Warn("reply", "snmp inform: response not encoded", "from", from.String(), "err", err)
		} else if _, err := r.conn.WriteToUDP(out, from); err != nil {
			r.replyErr.Add(1)
			r.rlog.Warn("reply", "snmp inform: response not sent", "from", from.String(), "err", err)
		} else {
			r.informs.Add(1)
		}
	}
	r.traps.Add(1)
	r.srcMu.Lock()
	r.sources[t.Source]++
	r.srcMu.Unlock()
	r.alert(&t)
	select {
	case r.queue <- t:
	default:
		r.qDrops.Add(1)
	}
}

// v1TrapOID maps a v1 trap to its v2 snmpTrapOID (RFC 3584 §3.1).
func v1TrapOID(p *gosnmp.SnmpPacket) string {
	if p.GenericTrap >= 0 && p.GenericTrap < 6 {
		return "1.3.6.1.6.3.1.1.5." + strconv.Itoa(p.GenericTrap+1)
	}
	return strings.TrimPrefix(p.Enterprise, ".") + ".0." + strconv.Itoa(p.SpecificTrap)
}

// reportEngineID answers an engine discovery probe with the receiver's
// engine ID, boots and time (RFC 3414 §4), so v3 informs can follow.
func (r *TrapReceiver) reportEngineID(p *gosnmp.SnmpPacket, from *net.UDPAddr) {
	sp := &gosnmp.UsmSecurityParameters{AuthoritativeEngineID: r.engineID, AuthoritativeEngineBoots: 1,
		AuthoritativeEngineTime: uint32(time.Since(r.boot).Seconds())}
	p.PDUType = gosnmp.Report
	p.MsgFlags &^= gosnmp.Reportable
	p.SecurityParameters = sp
	p.Variables = []gosnmp.SnmpPDU{{Name: ".1.3.6.1.6.3.15.1.1.4.0", Type: gosnmp.Counter32, Value: uint32(r.disco.Load())}}
	out, err := p.MarshalMsg()
	if err == nil {
		_, err = r.conn.WriteToUDP(out, from)
	}
	if err != nil {
		r.replyErr.Add(1)
		r.rlog.Warn("reply", "snmp engine discovery: report not sent", "from", from.String(), "err", err)
	}
}

// alert stores the trap as an alert on the sending device.
func (r *TrapReceiver) alert(t *Trap) {
	if r.deps.Alerts == nil {
		return
	}
	js := map[string]any{"source": t.Source, "version": t.Version, "trap_oid": t.TrapOID, "uptime": t.Uptime,
		"varbinds": t.Varbinds}
	if t.Community != "" {
		js["community"] = t.Community
	}
	if t.User != "" {
		js["user"] = t.User
	}
	now := t.Time.Unix()
	r.deps.Alerts.StoreEvent(alerts.Alert{IfID: -1, Type: alertExternal, Subtype: t.TrapOID,
		Severity: alerts.SeverityNotice, Entity: alerts.EntitySNMPDevice, EntityVal: t.Source,
		Tstamp: now, TstampEnd: now, JSON: jsonString(js), Script: "snmp_trap", Subdir: "snmp_trap"})
}

// scripts hands queued traps to OnTrap in one goroutine (Lua states stay
// on the goroutine that owns them).
func (r *TrapReceiver) scripts() {
	defer close(r.qdone)
	for t := range r.queue {
		if r.deps.OnTrap != nil {
			r.deps.OnTrap(t)
		}
	}
}

// ParseTrapUser reads the --snmp-trap-user form USER:AUTH:AUTHPASS[:PRIV:PRIVPASS]
// (e.g. "ops:SHA:secret123:AES:secret456"; "ops" alone is noAuthNoPriv).
func ParseTrapUser(s string) (TrapUser, error) {
	f := strings.Split(s, ":")
	u := TrapUser{User: f[0]}
	switch len(f) {
	case 1:
	case 3:
		u.AuthProtocol, u.AuthPassword = f[1], f[2]
	case 5:
		u.AuthProtocol, u.AuthPassword, u.PrivProtocol, u.PrivPassword = f[1], f[2], f[3], f[4]
	default:
		return u, fmt.Errorf("snmp trap user %q: want USER[:AUTH:PASS[:PRIV:PASS]]", f[0])
	}
	d := DeviceConfig{Address: "trap", Version: "3", User: u.User, AuthProtocol: u.AuthProtocol,
		AuthPassword: u.AuthPassword, PrivProtocol: u.PrivProtocol, PrivPassword: u.PrivPassword}
	if err := d.normalize(); err != nil {
		return u, fmt.Errorf("snmp trap user %q: %w", u.User, err)
	}
	return u, nil
}
