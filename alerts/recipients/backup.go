package recipients

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Backup is what ntopng's notifications configuration export holds: the
// endpoints and recipients added over REST, with their secrets (a backup
// restores them; it is an administrator's download, never a REST list).
type Backup struct {
	Endpoints  []EndpointConfig  `json:"endpoints"`
	Recipients []RecipientConfig `json:"recipients"`
}

// ExportBackup returns the REST-added endpoints and recipients by name.
func (m *Manager) ExportBackup() Backup {
	m.cfgMu.Lock()
	defer m.cfgMu.Unlock()
	b := Backup{Endpoints: []EndpointConfig{}, Recipients: []RecipientConfig{}}
	for _, n := range slices.Sorted(maps.Keys(m.eps)) {
		if e := m.eps[n]; e.persist {
			c := e.cfg
			c.Params = maps.Clone(c.Params)
			b.Endpoints = append(b.Endpoints, c)
		}
	}
	for _, r := range *m.recs.Load() {
		if r.persist && r.cfg != nil {
			c := *r.cfg
			c.Params = maps.Clone(c.Params)
			b.Recipients = append(b.Recipients, c)
		}
	}
	slices.SortFunc(b.Recipients, func(x, y RecipientConfig) int {
		if x.Name < y.Name {
			return -1
		}
		if x.Name > y.Name {
			return 1
		}
		return 0
	})
	return b
}

// ValidateBackup checks every endpoint (its URL compiles) and recipient
// (a valid name, an endpoint of the backup or a configured one, filters
// that parse) without changing anything.
func (m *Manager) ValidateBackup(b Backup) error {
	eps := map[string]bool{}
	for _, c := range b.Endpoints {
		if !validName(c.Name) {
			return fmt.Errorf("endpoint %q: bad name", c.Name)
		}
		if eps[c.Name] {
			return fmt.Errorf("endpoint %s: twice", c.Name)
		}
		for _, k := range secretKeys {
			if c.Params[k] == Masked {
				return fmt.Errorf("endpoint %s: %s is masked (export from the server holding it)", c.Name, k)
			}
		}
		if _, err := endpointURL(c); err != nil {
			return err
		}
		eps[c.Name] = true
	}
	m.cfgMu.Lock()
	for n, e := range m.eps {
		if !e.persist {
			eps[n] = true // configuration-file endpoints stay
		}
	}
	m.cfgMu.Unlock()
	seen := map[string]bool{}
	for _, rc := range b.Recipients {
		if !validName(rc.Name) || seen[rc.Name] {
			return fmt.Errorf("recipient %q: bad or repeated name", rc.Name)
		}
		seen[rc.Name] = true
		if !eps[rc.Endpoint] {
			return fmt.Errorf("recipient %s: unknown endpoint %q", rc.Name, rc.Endpoint)
		}
		if _, err := parseFilter(func(k string) string { return rc.Params[k] }); err != nil {
			return fmt.Errorf("recipient %s: %w", rc.Name, err)
		}
	}
	return nil
}

// ImportBackup validates b, then replaces the REST-added endpoints and
// recipients with it. An error after validation (a disk error) leaves a
// partial import, which the returned error says.
func (m *Manager) ImportBackup(b Backup) error {
	if err := m.ValidateBackup(b); err != nil {
		return err
	}
	if err := errors.Join(m.ResetRecipients(), m.ResetEndpoints()); err != nil {
		return fmt.Errorf("partial import: %w", err)
	}
	for _, c := range b.Endpoints {
		if _, err := m.AddEndpoint(c); err != nil {
			return fmt.Errorf("partial import: %w", err)
		}
	}
	for _, rc := range b.Recipients {
		if _, err := m.AddRecipient(rc); err != nil {
			return fmt.Errorf("partial import: %w", err)
		}
	}
	return nil
}
