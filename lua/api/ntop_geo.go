package api

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang"
)

// asName answers the organization of an AS number from the ASN database;
// the number→name index is built by walking the database once, on first
// use (a GeoLite2-ASN walk takes about a second).
func (g *GeoIP) asName(asn uint32) string {
	if g == nil || g.asn == nil {
		return ""
	}
	g.asnOnce.Do(func() {
		g.asnNames = map[uint32]string{}
		nets := g.asn.Networks(maxminddb.SkipAliasedNetworks)
		for nets.Next() {
			var rec asnRecord
			if _, err := nets.Network(&rec); err == nil && rec.Number != 0 {
				g.asnNames[rec.Number] = rec.Org
			}
		}
	})
	return g.asnNames[asn]
}

// OUI maps MAC prefixes to vendors from the IEEE registry, for
// ntop.getMacManufacturer. Safe for concurrent use; nil answers "".
type OUI struct {
	mu      sync.RWMutex
	vendors map[string]string // "AABBCC" (MA-L), "AABBCCD" (MA-M), "AABBCCDDE" (MA-S)
}

// DefaultOUIFiles are where Debian's ieee-data package puts the registries.
var DefaultOUIFiles = []string{"/usr/share/ieee-data/oui.csv", "/usr/share/ieee-data/mam.csv", "/usr/share/ieee-data/oui36.csv"}

// LoadOUI reads IEEE registry CSV files (Registry,Assignment,Organization
// Name,Organization Address — the form IEEE publishes and ieee-data ships);
// missing files are skipped, a malformed one is an error.
func LoadOUI(paths ...string) (*OUI, error) {
	o := &OUI{vendors: map[string]string{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = o.read(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *OUI) read(r io.Reader) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(rec) < 3 || rec[0] == "Registry" {
			continue
		}
		o.vendors[strings.ToUpper(rec[1])] = strings.TrimSpace(rec[2])
	}
}

// Len is the number of assignments known.
func (o *OUI) Len() int {
	if o == nil {
		return 0
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	return len(o.vendors)
}

// Lookup answers the vendor of mac (any of aa:bb:cc:.., aa-bb-.., aabb.cc..),
// longest assignment first.
func (o *OUI) Lookup(mac string) string {
	if o == nil {
		return ""
	}
	var hex []byte
	for i := 0; i < len(mac) && len(hex) < 12; i++ {
		c := mac[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
			hex = append(hex, c)
		case c >= 'a' && c <= 'f':
			hex = append(hex, c-'a'+'A')
		}
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	for _, n := range []int{9, 7, 6} {
		if len(hex) >= n {
			if v, ok := o.vendors[string(hex[:n])]; ok {
				return v
			}
		}
	}
	return ""
}
