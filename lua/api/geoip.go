package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"github.com/oschwald/maxminddb-golang"
)

// GeoIP answers country, city, coordinates and AS for an address from the
// MaxMind GeoLite2 databases ntopng reads. Lookups are safe from any
// goroutine (maxminddb.Reader is); recent answers are cached per address.
type GeoIP struct {
	city, country, asn *maxminddb.Reader

	mu    sync.RWMutex
	cache map[netip.Addr]GeoInfo

	asnOnce  sync.Once
	asnNames map[uint32]string // ntop.getASNameFromASN, built on first use
}

// GeoInfo is what the databases know about one address; empty fields mean
// unknown.
type GeoInfo struct {
	Country   string // ISO 3166 alpha-2, e.g. "IT"
	Continent string // e.g. "EU"
	City      string // English name
	Latitude  float64
	Longitude float64
	ASN       uint32
	ASName    string
}

// geoCacheMax bounds the per-address cache; it is simply reset when full,
// which is cheap and keeps the hot set warm enough for flow traffic.
const geoCacheMax = 1 << 16

// Database file names, as MaxMind ships them and ntopng looks for them.
const (
	geoCityFile    = "GeoLite2-City.mmdb"
	geoCountryFile = "GeoLite2-Country.mmdb"
	geoASNFile     = "GeoLite2-ASN.mmdb"
)

// OpenGeoIP opens whichever of GeoLite2-City.mmdb, GeoLite2-Country.mmdb and
// GeoLite2-ASN.mmdb dir holds. No database at all is an error (the caller
// asked for geolocation); a present but unreadable one is too.
func OpenGeoIP(dir string) (*GeoIP, error) {
	g := &GeoIP{cache: make(map[netip.Addr]GeoInfo)}
	open := func(name string) (*maxminddb.Reader, error) {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		r, err := maxminddb.Open(p)
		if err != nil {
			return nil, fmt.Errorf("geoip %s: %w", p, err)
		}
		return r, nil
	}
	var err error
	if g.city, err = open(geoCityFile); err != nil {
		return nil, err
	}
	if g.country, err = open(geoCountryFile); err != nil {
		g.Close()
		return nil, err
	}
	if g.asn, err = open(geoASNFile); err != nil {
		g.Close()
		return nil, err
	}
	if g.city == nil && g.country == nil && g.asn == nil {
		return nil, fmt.Errorf("geoip %s: none of %s, %s, %s found", dir, geoCityFile, geoCountryFile, geoASNFile)
	}
	return g, nil
}

// Close releases the databases.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	var errs []error
	for _, r := range []*maxminddb.Reader{g.city, g.country, g.asn} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}

// HasCity reports whether a City database is open (coordinates and cities).
func (g *GeoIP) HasCity() bool { return g != nil && g.city != nil }

type geoRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude  float64 `maxminddb:"latitude"`
		Longitude float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

type asnRecord struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// Lookup returns what the databases know about ip (zero GeoInfo for a nil
// GeoIP, an invalid address or one no database covers).
func (g *GeoIP) Lookup(ip netip.Addr) GeoInfo {
	if g == nil || !ip.IsValid() {
		return GeoInfo{}
	}
	ip = ip.Unmap()
	g.mu.RLock()
	gi, ok := g.cache[ip]
	g.mu.RUnlock()
	if ok {
		return gi
	}
	nip := net.IP(ip.AsSlice())
	var rec geoRecord
	// City databases carry the country too, so the Country one is only a
	// fallback. A lookup error (corrupt record) leaves the fields unknown.
	if g.city != nil {
		_ = g.city.Lookup(nip, &rec)
	}
	if rec.Country.ISOCode == "" && g.country != nil {
		_ = g.country.Lookup(nip, &rec)
	}
	gi = GeoInfo{Country: rec.Country.ISOCode, Continent: rec.Continent.Code,
		City: rec.City.Names["en"], Latitude: rec.Location.Latitude, Longitude: rec.Location.Longitude}
	if g.asn != nil {
		var a asnRecord
		if g.asn.Lookup(nip, &a) == nil {
			gi.ASN, gi.ASName = a.Number, a.Org
		}
	}
	g.mu.Lock()
	if len(g.cache) >= geoCacheMax {
		clear(g.cache)
	}
	g.cache[ip] = gi
	g.mu.Unlock()
	return gi
}
