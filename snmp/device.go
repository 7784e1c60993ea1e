package snmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"

	"flowgate/store"
)

// DeviceConfig is one polled device as the user configures it (configuration
// file, --snmp-device, REST). Passwords are kept in the data dir file with
// mode 0600, as ntopng keeps them in its redis.
type DeviceConfig struct {
	Address      string `json:"address"`        // host name or IP
	Port         int    `json:"port,omitempty"` // default 161
	Version      string `json:"version"`        // "1", "2c" or "3"
	Community    string `json:"community,omitempty"`
	User         string `json:"user,omitempty"`
	AuthProtocol string `json:"auth_protocol,omitempty"` // MD5, SHA, SHA224, SHA256, SHA384, SHA512
	AuthPassword string `json:"auth_password,omitempty"`
	PrivProtocol string `json:"priv_protocol,omitempty"` // DES, AES, AES192, AES256, AES192C, AES256C
	PrivPassword string `json:"priv_password,omitempty"`
	Context      string `json:"context,omitempty"`
	// Interval between polls, seconds (default Config.Interval).
	Interval int    `json:"poll_interval,omitempty"`
	Name     string `json:"name,omitempty"` // label; the sysName is shown when empty
}

// Key identifies a device: its address, with the port when it is not 161
// (ntopng keys SNMP devices by IP; two agents on one host need the port).
func (d DeviceConfig) Key() string {
	if d.Port == 0 || d.Port == 161 {
		return d.Address
	}
	return net.JoinHostPort(d.Address, strconv.Itoa(d.Port))
}

var authProtos = map[string]gosnmp.SnmpV3AuthProtocol{
	"": gosnmp.NoAuth, "NONE": gosnmp.NoAuth, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA1": gosnmp.SHA,
	"SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

var privProtos = map[string]gosnmp.SnmpV3PrivProtocol{
	"": gosnmp.NoPriv, "NONE": gosnmp.NoPriv, "DES": gosnmp.DES, "AES": gosnmp.AES, "AES128": gosnmp.AES,
	"AES192": gosnmp.AES192, "AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

// normalize fills defaults and checks the fields; the error says what is wrong.
func (d *DeviceConfig) normalize() error {
	d.Address = strings.TrimSpace(d.Address)
	if d.Address == "" {
		return errors.New("snmp device: address missing")
	}
	if d.Port == 0 {
		d.Port = 161
	}
	if d.Port < 1 || d.Port > 65535 {
		return fmt.Errorf("snmp device %s: bad port %d", d.Address, d.Port)
	}
	v := strings.ToLower(strings.TrimPrefix(strings.ToLower(d.Version), "v"))
	switch v {
	case "", "2", "2c":
		v = "2c"
	case "1", "3":
	default:
		return fmt.Errorf("snmp device %s: version %q is not 1, 2c or 3", d.Address, d.Version)
	}
	d.Version = v
	if v != "3" {
		if d.Community == "" {
			d.Community = "public"
		}
	} else {
		if d.User == "" {
			return fmt.Errorf("snmp device %s: v3 needs a user", d.Address)
		}
		d.AuthProtocol, d.PrivProtocol = strings.ToUpper(d.AuthProtocol), strings.ToUpper(d.PrivProtocol)
		if _, ok := authProtos[d.AuthProtocol]; !ok {
			return fmt.Errorf("snmp device %s: unknown auth protocol %q", d.Address, d.AuthProtocol)
		}
		if _, ok := privProtos[d.PrivProtocol]; !ok {
			return fmt.Errorf("snmp device %s: unknown privacy protocol %q", d.Address, d.PrivProtocol)
		}
		if authProtos[d.AuthProtocol] == gosnmp.NoAuth && privProtos[d.PrivProtocol] != gosnmp.NoPriv {
			return fmt.Errorf("snmp device %s: privacy needs authentication", d.Address)
		}
		if authProtos[d.AuthProtocol] != gosnmp.NoAuth && len(d.AuthPassword) < 8 {
			return fmt.Errorf("snmp device %s: auth password shorter than 8 characters", d.Address)
		}
		if privProtos[d.PrivProtocol] != gosnmp.NoPriv && len(d.PrivPassword) < 8 {
			return fmt.Errorf("snmp device %s: privacy password shorter than 8 characters", d.Address)
		}
	}
	if d.Interval < 0 {
		return fmt.Errorf("snmp device %s: negative poll interval", d.Address)
	}
	return nil
}

// ParseDevice reads the --snmp-device form:
//
//	snmp://COMMUNITY@HOST[:PORT][?version=1|2c][&interval=SECONDS][&name=N]
//	snmp://USER@HOST[:PORT]?version=3&auth=SHA:PASSWORD&priv=AES:PASSWORD[&context=C]
func ParseDevice(s string) (DeviceConfig, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "snmp" || u.Host == "" {
		return DeviceConfig{}, fmt.Errorf("snmp device %q: want snmp://community@host[:port][?version=2c&interval=60]", s)
	}
	d := DeviceConfig{Address: u.Hostname()}
	if p := u.Port(); p != "" {
		if d.Port, err = strconv.Atoi(p); err != nil {
			return DeviceConfig{}, fmt.Errorf("snmp device %q: bad port", s)
		}
	}
	q := u.Query()
	d.Version = q.Get("version")
	name := ""
	if u.User != nil {
		name = u.User.Username()
	}
	if strings.TrimPrefix(strings.ToLower(d.Version), "v") == "3" {
		d.User = name
		if a := q.Get("auth"); a != "" {
			d.AuthProtocol, d.AuthPassword, _ = strings.Cut(a, ":")
		}
		if p := q.Get("priv"); p != "" {
			d.PrivProtocol, d.PrivPassword, _ = strings.Cut(p, ":")
		}
		d.Context = q.Get("context")
	} else {
		d.Community = name
	}
	if iv := q.Get("interval"); iv != "" {
		if d.Interval, err = strconv.Atoi(iv); err != nil {
			return DeviceConfig{}, fmt.Errorf("snmp device %q: bad interval", s)
		}
	}
	d.Name = q.Get("name")
	if err := d.normalize(); err != nil {
		return DeviceConfig{}, err
	}
	return d, nil
}

// client builds a fresh gosnmp client for d. gosnmp clients are not safe for
// concurrent use and v3 parameters carry per-session keys, so every poll
// goroutine builds its own (the v3 parameters are new values, never shared).
func (d DeviceConfig) client(timeout time.Duration, retries int) *gosnmp.GoSNMP {
	g := &gosnmp.GoSNMP{
		Target:             d.Address,
		Port:               uint16(d.Port),
		Transport:          "udp",
		Community:          d.Community,
		Timeout:            timeout,
		Retries:            retries,
		MaxOids:            gosnmp.MaxOids,
		MaxRepetitions:     25,
		ExponentialTimeout: false,
	}
	switch d.Version {
	case "1":
		g.Version = gosnmp.Version1
	case "3":
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.ContextName = d.Context
		ap, pp := authProtos[d.AuthProtocol], privProtos[d.PrivProtocol]
		g.MsgFlags = gosnmp.NoAuthNoPriv
		if ap != gosnmp.NoAuth {
			g.MsgFlags = gosnmp.AuthNoPriv
			if pp != gosnmp.NoPriv {
				g.MsgFlags = gosnmp.AuthPriv
			}
		}
		g.SecurityParameters = &gosnmp.UsmSecurityParameters{
			UserName: d.User, AuthenticationProtocol: ap, AuthenticationPassphrase: d.AuthPassword,
			PrivacyProtocol: pp, PrivacyPassphrase: d.PrivPassword,
		}
	default:
		g.Version = gosnmp.Version2c
	}
	return g
}

// DevicesFile is the name of the device list in the data dir.
const DevicesFile = "snmp_devices.json"

// deviceStore keeps the configured devices, persisted as JSON in the data dir.
type deviceStore struct {
	path string // "" keeps them in memory
	mu   sync.Mutex
	devs map[string]DeviceConfig
}

func (s *deviceStore) load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.devs == nil {
		s.devs = map[string]DeviceConfig{}
	}
	if s.path == "" {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snmp devices: %w", err)
	}
	var list []DeviceConfig
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("snmp devices %s: %w", s.path, err)
	}
	for _, d := range list {
		if err := d.normalize(); err != nil {
			return fmt.Errorf("snmp devices %s: %w", s.path, err)
		}
		s.devs[d.Key()] = d
	}
	return nil
}

// saveLocked writes the list atomically (store.WriteFile), readable by the
// owner only: it holds communities and v3 passwords.
func (s *deviceStore) saveLocked() error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.listLocked(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return fmt.Errorf("snmp devices: %w", err)
	}
	if err := store.WriteFile(s.path, b, store.ModeSecret); err != nil {
		return fmt.Errorf("snmp devices: %w", err)
	}
	return nil
}

func (s *deviceStore) listLocked() []DeviceConfig {
	out := make([]DeviceConfig, 0, len(s.devs))
	for _, d := range s.devs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}
