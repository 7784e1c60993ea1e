// Package collectors is the registry of -i kinds. Each kind registers, at
// init, the URL schemes it serves (or none: the fallback for interface names
// and capture files), a Parse that checks one -i value without I/O, and a
// New that builds its inert collector. The command turns its -i list into
// Specs with Parse before it constructs anything, then builds each with New.
// See README.md for how to add a kind.
package collectors

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/collectors/zmq/zmtp"
	"flowgate/engine"
	"flowgate/snmp"
)

// Collector is what New returns: started after the engine, stopped before
// it.
type Collector interface {
	Start() error
	Stop()
}

// Settings are the command-line options every -i of a kind shares
// (ntopng's -B, --pcap-pace, --syslog-*, --snmp-trap-*).
type Settings struct {
	PacketFilter    string
	PcapPace        bool
	SyslogTLSCert   string
	SyslogTLSKey    string
	SyslogProducers []string // source=producer,... lists
	TrapCommunities []string
	TrapUsers       []string // USER[:AUTH:PASS[:PRIV:PASS]]
}

// SyslogHandler consumes a syslog interface's events (the Lua syslog
// runtime). It is started before the listener and stopped after it.
type SyslogHandler interface {
	engine.LogSink
	Start() error
	Stop()
}

// Deps are what collectors feed. Engine and Logger are required; the rest
// only by the kinds that use them.
type Deps struct {
	Engine  *engine.Engine
	Logger  *slog.Logger
	DataDir string             // per-interface state (syslog producer maps)
	Curve   *zmtp.CurveKeyPair // ZMQ: CURVE server key; nil is the NULL mechanism
	// SyslogHandler makes the handler of a syslog interface.
	SyslogHandler func(iface *engine.Interface) SyslogHandler
	Traps         snmp.TrapDeps
	// Metrics is the registry every collector registers its families in
	// (nil: none); each adds its interface's ifid label.
	Metrics prometheus.Registerer
}

// Kind is one family of -i values.
type Kind struct {
	Name string
	// Schemes are the URL schemes (without "://") of this kind's values;
	// none makes it the fallback for values without a scheme.
	Schemes []string
	// Unique: at most one -i of this kind.
	Unique bool
	// Parse checks value (no I/O) and returns the configuration New gets.
	Parse func(value string, s Settings) (any, error)
	// New builds the inert collector from Parse's configuration.
	New func(value string, config any, d Deps) (Collector, error)
}

var (
	bySchemes = map[string]*Kind{}
	fallback  *Kind
)

// Register adds a kind; call it from init. A scheme registered twice, or a
// second fallback, panics: two kinds cannot serve one value.
func Register(k Kind) {
	kp := &k
	if len(k.Schemes) == 0 {
		if fallback != nil {
			panic("collectors: second fallback kind " + k.Name)
		}
		fallback = kp
	}
	for _, s := range k.Schemes {
		if _, dup := bySchemes[s]; dup {
			panic("collectors: scheme " + s + " registered twice")
		}
		bySchemes[s] = kp
	}
}

// Spec is one validated -i value.
type Spec struct {
	Value  string
	Kind   *Kind
	config any
}

// New builds the inert collector of s.
func (s Spec) New(d Deps) (Collector, error) {
	c, err := s.Kind.New(s.Value, s.config, d)
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w", s.Value, err)
	}
	return c, nil
}

// Parse validates every -i value, in order; the first bad one is the error.
func Parse(values []string, s Settings) ([]Spec, error) {
	var out []Spec
	seen := map[*Kind]bool{}
	for _, v := range values {
		k, err := kindOf(v)
		if err != nil {
			return nil, err
		}
		if k.Unique && seen[k] {
			return nil, fmt.Errorf("interface %q: only one %s interface", v, k.Name)
		}
		seen[k] = true
		cfg, err := k.Parse(v, s)
		if err != nil {
			return nil, fmt.Errorf("interface %q: %w", v, err)
		}
		out = append(out, Spec{Value: v, Kind: k, config: cfg})
	}
	return out, nil
}

// kindOf finds the kind serving v by its first scheme; an "alias@" before
// it (ntopng's "name@tcp://…") is not part of it.
func kindOf(v string) (*Kind, error) {
	i := strings.Index(v, "://")
	if i < 0 {
		if fallback == nil {
			return nil, fmt.Errorf("interface %q: want scheme://… (%s)", v, Schemes())
		}
		return fallback, nil
	}
	scheme := v[:i]
	if j := strings.LastIndexAny(scheme, "@,"); j >= 0 {
		scheme = scheme[j+1:]
	}
	if k, ok := bySchemes[strings.ToLower(scheme)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("interface %q: unknown scheme %q (known: %s)", v, scheme, Schemes())
}

// Schemes lists the registered schemes, sorted, as "a://, b://".
func Schemes() string {
	var s []string
	for k := range bySchemes {
		s = append(s, k+"://")
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
