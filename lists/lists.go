// Package lists holds ntopng's category lists: IP/CIDR and domain lists read
// from files in the data dir (the formats of ntopng's list sources: plain
// lines, hosts files, comments), matched on every new flow and on hosts.
// A list of the Malware category blacklists what it matches (ntopng's
// blacklisted hosts and flows); every list gives what it matches its
// category. Lists reload without a restart: when their files change, on
// ntop.reloadBlacklists and on Reload. See docs/blacklists.md.
package lists

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/engine/ndpi"
)

// DirName is the lists directory in the data dir (ntopng's
// <workingdir>/category_lists).
const DirName = "category_lists"

// MetaFile, in the lists directory, sets lists' category, format and
// enabled flag by name; lists it does not name take builtinLists' values or
// the defaults (Malware, any format).
const MetaFile = "lists.json"

// Format is how a list's lines are read (ntopng's list formats).
type Format string

const (
	FormatAny    Format = ""       // an address, network or domain per line
	FormatIP     Format = "ip"     // "1.2.3.4", "1.2.3.0/24"
	FormatDomain Format = "domain" // "example.com"
	FormatHosts  Format = "hosts"  // "0.0.0.0 example.com" (a hosts file)
)

// Configuration of the lists.
type Configuration struct {
	Dir string // the lists directory; "" none
	// MaxIPs and MaxDomains bound the entries over all lists (memory);
	// entries beyond are counted and left out.
	MaxIPs, MaxDomains int
	// Poll is how often the directory is checked for changed files; <0 never.
	Poll time.Duration
	// SyncLoadBytes: Start loads list files up to this total size before it
	// returns; bigger ones load in the background, so a start is not held
	// for the seconds a multi-million-entry list takes (flows meanwhile are
	// not matched; a failed background load is logged and counted).
	SyncLoadBytes int64
	// Custom, when set, returns the custom categories' hosts (category id
	// -> names, addresses, networks; "!name" whitelists a list entry), as
	// ntopng loads them with its lists. It is read at every load.
	Custom func() map[int][]string
	Logger *slog.Logger
	// Metrics, when set, gets the flowgate_blacklist_* families (New).
	Metrics prometheus.Registerer
}

// DefaultConfiguration bounds the lists at 16 million addresses/networks and
// 2 million domains, checks the files every 60 s, and loads more than 16 MiB
// of list files in the background.
func DefaultConfiguration() Configuration {
	return Configuration{MaxIPs: 16 << 20, MaxDomains: 2 << 20, Poll: time.Minute, SyncLoadBytes: 16 << 20}
}

// ListInfo is one list as last loaded.
type ListInfo struct {
	Name     string        `json:"name"`
	File     string        `json:"file,omitempty"`
	Category ndpi.Category `json:"category"`
	Format   Format        `json:"format"`
	Enabled  bool          `json:"enabled"`
	IPs      int           `json:"num_ips"`
	Domains  int           `json:"num_hosts"`
	Errors   int           `json:"num_errors"`  // malformed lines
	Dropped  int           `json:"num_dropped"` // entries over MaxIPs/MaxDomains
	Whitelst int           `json:"num_whitelisted"`
	LoadTime time.Duration `json:"-"`
	Err      string        `json:"last_error,omitempty"`
}

// Blacklisted reports whether matches of the list blacklist (Malware).
func (l ListInfo) Blacklisted() bool { return l.Category == ndpi.CategoryMalware }

// Sides of a flow a list matched (MatchFlow).
const (
	SideClient uint8 = 1 << iota // the client address
	SideServer                   // the server address
	SideName                     // the server name (SNI, HTTP host, DNS query)
)

// Set is one loaded generation of the lists; it is never changed once built.
type Set struct {
	v4      v4Table
	v6      v6Table
	domains map[string]uint16
	lists   []ListInfo
	hits    []atomic.Uint64 // per list
	loaded  time.Time
	took    time.Duration
}

// Store holds the current Set and reloads it.
type Store struct {
	cfg Configuration
	log *slog.Logger
	cur atomic.Pointer[Set]

	reloadMu sync.Mutex
	sig      string // the files' names, sizes and times at the last load

	flowHits, reloads, reloadErrs, badLines atomic.Uint64
	stop                                    chan struct{}
	done                                    chan struct{}
}

// New returns a store with no lists; Start loads them.
func New(cfg Configuration) *Store {
	d := DefaultConfiguration()
	if cfg.MaxIPs <= 0 {
		cfg.MaxIPs = d.MaxIPs
	}
	if cfg.MaxDomains <= 0 {
		cfg.MaxDomains = d.MaxDomains
	}
	if cfg.Poll == 0 {
		cfg.Poll = d.Poll
	}
	if cfg.SyncLoadBytes <= 0 {
		cfg.SyncLoadBytes = d.SyncLoadBytes
	}
	s := &Store{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.cur.Store(&Set{domains: map[string]uint16{}})
	if cfg.Metrics != nil {
		s.registerMetrics(cfg.Metrics)
	}
	return s
}

// Start loads the lists and starts watching their files. A list that fails
// to load is reported in its ListInfo, not as an error.
func (s *Store) Start() error {
	background := s.filesSize() > s.cfg.SyncLoadBytes
	if !background {
		if _, err := s.Reload(); err != nil {
			return err
		}
	}
	if !background && (s.cfg.Dir == "" || s.cfg.Poll < 0) {
		return nil
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		if background {
			if _, err := s.Reload(); err != nil {
				s.log.Warn("category lists load", "err", err)
			}
		}
		if s.cfg.Dir == "" || s.cfg.Poll < 0 {
			close(s.done)
			return
		}
		s.watch()
	}()
	return nil
}

// filesSize is the total size of the list files.
func (s *Store) filesSize() int64 {
	var n int64
	if s.cfg.Dir == "" {
		return 0
	}
	ents, _ := os.ReadDir(s.cfg.Dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && strings.HasSuffix(e.Name(), ".txt") {
			n += fi.Size()
		}
	}
	return n
}

// Stop ends the file watch.
func (s *Store) Stop() {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
}

func (s *Store) watch() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if sig := s.signature(); sig != s.lastSig() {
				if _, err := s.Reload(); err != nil {
					s.log.Warn("category lists reload", "err", err)
				}
			}
		}
	}
}

func (s *Store) lastSig() string {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.sig
}

// signature names the list files with their sizes and times, and the
// custom categories' size, so a change of either triggers a reload.
func (s *Store) signature() string {
	var b strings.Builder
	if s.cfg.Dir != "" {
		ents, _ := os.ReadDir(s.cfg.Dir)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
				fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	if s.cfg.Custom != nil {
		for c, hs := range s.cfg.Custom() {
			fmt.Fprintf(&b, "c%d:%d:%s;", c, len(hs), strings.Join(hs, ","))
		}
	}
	return b.String()
}

// Current is the loaded set.
func (s *Store) Current() *Set { return s.cur.Load() }

// Reload reads every list again and swaps the new set in; look-ups see the
// old set until then. Hit counts carry over by list name.
func (s *Store) Reload() (*Set, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	sig := s.signature()
	set, err := s.load()
	if err != nil {
		s.reloadErrs.Add(1)
		return nil, fmt.Errorf("category lists %s: %w", s.cfg.Dir, err)
	}
	old := s.cur.Load()
	for i, l := range set.lists {
		for j, o := range old.lists {
			if o.Name == l.Name {
				set.hits[i].Store(old.hits[j].Load())
			}
		}
		s.badLines.Add(uint64(l.Errors))
	}
	s.cur.Store(set)
	s.sig = sig
	s.reloads.Add(1)
	s.log.Info("category lists loaded", "lists", len(set.lists), "ips", set.v4.size()+len(set.v6.spans),
		"domains", len(set.domains), "took", set.took)
	return set, nil
}

type listMeta struct {
	Category any    `json:"category"` // id or name ("malware")
	Format   Format `json:"format"`
	Enabled  *bool  `json:"enabled"`
}

// builtinLists are ntopng's built-in list names with their category and
// format (lists_utils.lua), so a file saved under one of those names needs
// no lists.json entry.
var builtinLists = map[string]listMeta{
	"ntop IP Malware Meltdown":             {ndpi.CategoryMalware, FormatIP, nil},
	"ntop Host Malware Meltdown":           {ndpi.CategoryMalware, FormatDomain, nil},
	"Emerging Threats":                     {ndpi.CategoryMalware, FormatIP, nil},
	"Snort IP Block List":                  {ndpi.CategoryMalware, FormatIP, nil},
	"Feodo Tracker Botnet C2 IP Blocklist": {ndpi.CategoryMalware, FormatIP, nil},
	"SSLBL Botnet C2 IP Blacklist":         {ndpi.CategoryMalware, FormatIP, nil},
	"Anti-WebMiner":                        {ndpi.CategoryMining, FormatHosts, nil},
	"NoCoin Filter List":                   {ndpi.CategoryMining, FormatHosts, nil},
	"Disconnect.me Simple Ad List":         {ndpi.CategoryAdvertisement, FormatDomain, nil},
	"hpHosts Ad and Tracking":              {ndpi.CategoryAdvertisement, FormatHosts, nil},
	"AdAway default blocklist":             {ndpi.CategoryAdvertisement, FormatHosts, nil},
}

func parseCategory(v any) (ndpi.Category, error) {
	switch x := v.(type) {
	case nil:
		return ndpi.CategoryMalware, nil
	case float64:
		if x < 0 || x > 255 || x != float64(int(x)) || ndpi.Category(x).String() == "" {
			return 0, fmt.Errorf("category %v is not an nDPI category", x)
		}
		return ndpi.Category(x), nil
	case string:
		if c, ok := ndpi.CategoryID(x); ok {
			return c, nil
		}
		return 0, fmt.Errorf("category %q is not an nDPI category", x)
	case ndpi.Category:
		return x, nil
	}
	return 0, fmt.Errorf("category %v: want an id or a name", v)
}

// ErrBadMeta marks an unusable lists.json.
var ErrBadMeta = errors.New("bad " + MetaFile)

func (s *Store) readMeta() (map[string]listMeta, error) {
	b, err := os.ReadFile(filepath.Join(s.cfg.Dir, MetaFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]listMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMeta, err)
	}
	for name, lm := range m {
		switch lm.Format {
		case FormatAny, FormatIP, FormatDomain, FormatHosts:
		default:
			return nil, fmt.Errorf("%w: list %q: unknown format %q", ErrBadMeta, name, lm.Format)
		}
		if _, err := parseCategory(lm.Category); err != nil {
			return nil, fmt.Errorf("%w: list %q: %v", ErrBadMeta, name, err)
		}
	}
	return m, nil
}

// builder accumulates entries of every list.
type builder struct {
	cfg       Configuration
	v4        []span[u32]
	v6        []span[u128]
	domains   map[string]uint16
	whitelist map[string]bool
	nIPs      int
}

func (s *Store) load() (*Set, error) {
	start := time.Now()
	b := &builder{cfg: s.cfg, domains: map[string]uint16{}, whitelist: map[string]bool{}}
	var lists []ListInfo
	custom := map[int][]string{}
	if s.cfg.Custom != nil {
		custom = s.cfg.Custom()
	}
	// ntopng's "!host" entries in the custom categories whitelist list entries.
	for _, hs := range custom {
		for _, h := range hs {
			if w, ok := strings.CutPrefix(h, "!"); ok {
				b.whitelist[strings.ToLower(w)] = true
			}
		}
	}
	if s.cfg.Dir != "" {
		meta, err := s.readMeta()
		if err != nil {
			return nil, err
		}
		ents, err := os.ReadDir(s.cfg.Dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, e := range ents {
			name, ok := strings.CutSuffix(e.Name(), ".txt")
			if !ok || !e.Type().IsRegular() {
				continue
			}
			lm, ok := meta[name]
			if !ok {
				lm = builtinLists[name]
			}
			cat, _ := parseCategory(lm.Category)
			li := ListInfo{Name: name, File: filepath.Join(s.cfg.Dir, e.Name()), Category: cat, Format: lm.Format,
				Enabled: lm.Enabled == nil || *lm.Enabled}
			if len(lists) >= 1<<16-1 {
				li.Err, li.Enabled = "too many lists", false
			}
			if li.Enabled {
				t0 := time.Now()
				if err := b.loadFile(&li, uint16(len(lists))); err != nil {
					li.Err = err.Error()
					s.log.Warn("category list", "list", name, "err", err)
				}
				li.LoadTime = time.Since(t0)
			}
			lists = append(lists, li)
		}
	}
	cats := make([]int, 0, len(custom))
	for c := range custom {
		cats = append(cats, c)
	}
	sort.Ints(cats)
	for _, c := range cats {
		if len(lists) >= 1<<16-1 {
			break
		}
		li := ListInfo{Name: fmt.Sprintf("custom category %d", c), Category: ndpi.Category(c), Enabled: true}
		for _, h := range custom[c] {
			if !strings.HasPrefix(h, "!") {
				b.add(&li, uint16(len(lists)), h)
			}
		}
		lists = append(lists, li)
	}
	set := &Set{v4: newV4Table(flatten(b.v4)), v6: v6Table{flatten(b.v6)}, domains: b.domains, lists: lists,
		hits: make([]atomic.Uint64, len(lists)), loaded: time.Now()}
	set.took = time.Since(start)
	return set, nil
}

// maxLine bounds a list line; longer lines are malformed.
const maxLine = 4096

func (b *builder) loadFile(li *ListInfo, val uint16) error {
	f, err := os.Open(li.File)
	if err != nil {
		return err
	}
	defer f.Close()
	return b.read(li, val, f)
}

func (b *builder) read(li *ListInfo, val uint16, r io.Reader) error {
	br := bufio.NewReaderSize(r, maxLine)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than maxLine is malformed: skip to its end.
			li.Errors++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			continue
		}
		if len(line) > 0 {
			b.add(li, val, string(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
}

// add parses one line as ntopng's lists_utils does: blank lines and "#"
// comments are skipped; "!host" (a whitelist entry) is skipped; a hosts
// line is "address name" and loads the name (localhost entries skipped);
// 0.0.0.0, 0.0.0.0/0 and 255.255.255.255 are refused; a domain needs a dot
// and four characters. flowgate also drops trailing "; comment" and
// "# comment" parts (Spamhaus DROP, Emerging Threats), and takes IPv6.
func (b *builder) add(li *ListInfo, val uint16, line string) {
	if i := strings.IndexAny(line, "#;"); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	if strings.HasPrefix(line, "!") {
		li.Whitelst++
		return
	}
	host := line
	if li.Format == FormatHosts || li.Format == FormatAny && strings.ContainsAny(line, " \t") {
		f := strings.Fields(line)
		if len(f) != 2 {
			li.Errors++
			return
		}
		host = f[1]
		if host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "0.0.0.0" {
			return // a hosts file's own entries
		}
	}
	if strings.ContainsAny(host, ":/") || isDottedQuad(host) {
		if li.Format == FormatDomain {
			li.Errors++
			return
		}
		p, ok := parsePrefix(host)
		if !ok {
			li.Errors++
			return
		}
		if b.nIPs >= b.cfg.MaxIPs {
			li.Dropped++
			return
		}
		b.nIPs++
		li.IPs++
		if p.Addr().Is4() {
			lo := u32(beUint32(p.Addr().As4()))
			hi := lo | u32(uint32(1<<(32-p.Bits())-1))
			if p.Bits() == 0 {
				hi = ^u32(0)
			}
			b.v4 = append(b.v4, span[u32]{lo, hi, val})
		} else {
			a := p.Addr().As16()
			lo := u128{beUint64(a[:8]), beUint64(a[8:])}
			b.v6 = append(b.v6, span[u128]{lo, lastOf(lo, p.Bits()), val})
		}
		return
	}
	if li.Format == FormatIP {
		li.Errors++
		return
	}
	d := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(host, "*."), "."), "."))
	if len(d) < 4 || !strings.Contains(d, ".") || !validDomain(d) {
		li.Errors++
		return
	}
	if b.whitelist[d] {
		li.Whitelst++
		return
	}
	if _, dup := b.domains[d]; dup {
		li.Domains++ // counted for the list, matched as the first list's
		return
	}
	if len(b.domains) >= b.cfg.MaxDomains {
		li.Dropped++
		return
	}
	b.domains[d] = val
	li.Domains++
}

func isDottedQuad(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 3
}

func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return !strings.Contains(d, "..")
}

// parsePrefix reads an address or network, refusing what ntopng refuses.
func parsePrefix(s string) (netip.Prefix, bool) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		q, err := netip.ParsePrefix(s)
		if err != nil {
			return p, false
		}
		p = q
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	}
	p = p.Masked()
	if p.Addr().Is4() && (p.Addr().IsUnspecified() || p.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return p, false
	}
	if p.Addr().Is6() && p.Bits() == 0 {
		return p, false
	}
	return p, true
}

func beUint32(a [4]byte) uint32 {
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// lastOf is the last address of the /bits block starting at lo.
func lastOf(lo u128, bits int) u128 {
	switch {
	case bits >= 128:
		return lo
	case bits >= 64:
		return u128{lo.hi, lo.lo | (1<<(128-bits) - 1)}
	default:
		return u128{lo.hi | (1<<(64-bits) - 1), ^uint64(0)}
	}
}
