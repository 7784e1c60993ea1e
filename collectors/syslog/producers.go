package syslog

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"flowgate/store"
)

// producerMap is an immutable snapshot of the configured producer map
// (source IP or device name → producer, "*" as default). Routing reads it
// through an atomic pointer; edits build a new one.
type producerMap struct {
	entries map[string]string // as configured (lower-cased keys)
	byName  map[string]string
	byAddr  map[netip.Addr]string
	def     string
}

func newProducerMap(entries map[string]string) (*producerMap, error) {
	m := &producerMap{entries: map[string]string{}, byName: map[string]string{}, byAddr: map[netip.Addr]string{}}
	for k, v := range entries {
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		if err := checkProducer(k, v); err != nil {
			return nil, err
		}
		m.entries[k] = v
		switch a, err := netip.ParseAddr(k); {
		case k == "*":
			m.def = v
		case err == nil:
			m.byAddr[a.Unmap()] = v
		default:
			m.byName[k] = v
		}
	}
	return m, nil
}

// checkProducer refuses names that could not be a handler file name.
func checkProducer(key, producer string) error {
	if key == "" {
		return fmt.Errorf("syslog producer map: empty source")
	}
	if producer == "" || strings.ContainsAny(producer, `/\ `) || strings.HasPrefix(producer, ".") {
		return fmt.Errorf("syslog producer map: bad producer name %q for %q", producer, key)
	}
	return nil
}

// Producers returns the configured producer map (source → producer).
func (c *Collector) Producers() map[string]string {
	m := c.producers.Load()
	out := make(map[string]string, len(m.entries))
	for k, v := range m.entries {
		out[k] = v
	}
	return out
}

// SetProducer adds or changes a producer map entry (source IP, device name
// or "*"); an empty producer deletes it. It applies to the next message
// and is saved to Config.ProducersFile when set.
func (c *Collector) SetProducer(source, producer string) error {
	c.prodMu.Lock()
	defer c.prodMu.Unlock()
	entries := c.Producers()
	source = strings.ToLower(strings.TrimSpace(source))
	if producer == "" {
		if _, ok := entries[source]; !ok {
			return fmt.Errorf("syslog producer map: no entry %q", source)
		}
		delete(entries, source)
	} else {
		entries[source] = producer
	}
	m, err := newProducerMap(entries)
	if err != nil {
		return err
	}
	if err := c.saveProducers(m); err != nil {
		return err
	}
	c.producers.Store(m)
	return nil
}

// loadProducers merges Config.Producers with the saved file (the file,
// edited over REST, wins).
func (c *Collector) loadProducers() error {
	entries := map[string]string{}
	for k, v := range c.cfg.Producers {
		entries[k] = v
	}
	if c.cfg.ProducersFile != "" {
		data, err := os.ReadFile(c.cfg.ProducersFile)
		switch {
		case err == nil:
			var saved map[string]string
			if err := json.Unmarshal(data, &saved); err != nil {
				return fmt.Errorf("syslog producers file %s: %w", c.cfg.ProducersFile, err)
			}
			for k, v := range saved {
				entries[k] = v
			}
		case !os.IsNotExist(err):
			return fmt.Errorf("syslog producers file: %w", err)
		}
	}
	m, err := newProducerMap(entries)
	if err != nil {
		return err
	}
	c.producers.Store(m)
	return nil
}

func (c *Collector) saveProducers(m *producerMap) error {
	if c.cfg.ProducersFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(m.entries, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.cfg.ProducersFile), 0o750); err != nil {
		return fmt.Errorf("syslog producers file: %w", err)
	}
	if err := store.WriteFile(c.cfg.ProducersFile, append(data, '\n'), store.ModePrivate); err != nil {
		return fmt.Errorf("syslog producers file: %w", err)
	}
	return nil
}

// route picks the producer of a message (docs/script-contract.md §2.5, with the order the
// issue sets): the map by device name, then by source address; then the
// APP-NAME/TAG and the Fortinet heuristic when a handler exists for them;
// then the map's "*"; then the tag or heuristic anyway (counted unhandled
// by the sink when nothing handles it). "" means no producer at all.
func (c *Collector) route(p *parsed, peer netip.Addr) string {
	m := c.producers.Load()
	if p.device != "" && len(m.byName) > 0 {
		if v, ok := m.byName[strings.ToLower(p.device)]; ok {
			return v
		}
	}
	if len(m.byAddr) > 0 {
		if v, ok := m.byAddr[peer]; ok {
			return v
		}
		if p.device != "" {
			if a, err := netip.ParseAddr(p.device); err == nil {
				if v, ok := m.byAddr[a.Unmap()]; ok {
					return v
				}
			}
		}
	}
	app := ""
	if !p.raw {
		app = lowerASCII(p.app)
		if app != "" && c.sink.HasHandler(app) {
			return app
		}
		if p.fortinet && c.sink.HasHandler("fortinet") {
			return "fortinet"
		}
	}
	if m.def != "" {
		return m.def
	}
	if p.fortinet {
		return "fortinet"
	}
	return app
}

// lowerASCII avoids an allocation for the common already-lower tag.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// ParseProducers reads the configuration form of the producer map,
// "source=producer" items separated by commas (or given one per flag):
// "10.0.0.5=suricata,fw01=fortinet,*=host_log".
func ParseProducers(items ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, it := range items {
		for _, kv := range strings.Split(it, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
			if !ok {
				return nil, fmt.Errorf("syslog producer %q: want source=producer", kv)
			}
			if err := checkProducer(k, v); err != nil {
				return nil, err
			}
			out[k] = v
		}
	}
	return out, nil
}
