package snmp

import (
	"errors"
	"fmt"
	"sort"
)

// Configs are the devices added at run time (REST, Lua) with their
// credentials, by key: what ntopng's SNMP configuration export holds. It
// is a backup's content, never a REST list (those redact).
func (p *Poller) Configs() []DeviceConfig {
	p.store.mu.Lock()
	out := make([]DeviceConfig, 0, len(p.store.devs))
	for _, d := range p.store.devs {
		out = append(out, d)
	}
	p.store.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// ValidateConfigs checks devices as AddDevice would (and that no key
// repeats), changing nothing.
func ValidateConfigs(devs []DeviceConfig) error {
	seen := map[string]bool{}
	for _, d := range devs {
		if err := d.normalize(); err != nil {
			return fmt.Errorf("device %s: %w", d.Address, err)
		}
		if seen[d.Key()] {
			return fmt.Errorf("device %s: twice", d.Key())
		}
		seen[d.Key()] = true
	}
	return nil
}

// ReplaceConfigs validates devs, then makes them the run-time devices:
// those not in devs are removed, the others added or replaced.
func (p *Poller) ReplaceConfigs(devs []DeviceConfig) error {
	if err := ValidateConfigs(devs); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, d := range devs {
		n := d
		_ = n.normalize()
		keep[n.Key()] = true
	}
	var errs []error
	for _, d := range p.Configs() {
		if !keep[d.Key()] {
			errs = append(errs, p.RemoveDevice(d.Key()))
		}
	}
	for _, d := range devs {
		if _, err := p.AddDevice(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
