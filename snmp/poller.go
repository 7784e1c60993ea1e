package snmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/engine"
	"flowgate/internal/ratelog"
)

// Configuration of the poller. Zero fields take defaults.
type Configuration struct {
	DataDir  string        // snmp_devices.json lives here; "" keeps devices in memory
	Interval time.Duration // default poll interval (60 s)
	Timeout  time.Duration // per request (2 s)
	Retries  int           // per request (1); negative means 0
	// MaxInFlight bounds the devices polled at the same time (16).
	MaxInFlight int
	// MaxRepetitions of each GETBULK (25).
	MaxRepetitions uint32
	// MaxTableRows bounds each LLDP or bridge table an on-demand walk
	// keeps (65,536); past it the walk stops and counts as truncated.
	MaxTableRows int
	// Retention of the per-interface series (24 h), in memory and, with a
	// DataDir, in <DataDir>/snmp_series.
	Retention time.Duration
	// SeriesMaxBytes bounds each device's series file (256 MiB); past it
	// the oldest points are compacted away.
	SeriesMaxBytes int64
	// Devices from the configuration file / flags; they are added (and
	// persisted) at Start, replacing a stored device with the same key.
	Devices []DeviceConfig
	Now     func() time.Time
	Logger  *slog.Logger
}

// DefaultConfiguration returns the defaults: 60 s interval, 2 s timeout,
// one retry, 16 devices at a time, 24 h of series.
func DefaultConfiguration() Configuration { return Configuration{}.withDefaults() }

func (c Configuration) withDefaults() Configuration {
	if c.Interval <= 0 {
		c.Interval = 60 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 1
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 16
	}
	if c.MaxRepetitions == 0 {
		c.MaxRepetitions = 25
	}
	if c.MaxTableRows <= 0 {
		c.MaxTableRows = 65536
	}
	if c.Retention <= 0 {
		c.Retention = 24 * time.Hour
	}
	if c.SeriesMaxBytes <= 0 {
		c.SeriesMaxBytes = 256 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Deps are what the poller feeds and reads. All optional.
type Deps struct {
	Alerts *alerts.Store  // unreachable/reboot alerts
	Engine *engine.Engine // flows counted per exporter interface
	// IfNames returns interface names a flow exporter announced (the ZMQ
	// snmp-ifaces topic), used when the device itself has not been polled.
	IfNames func(exporter string) map[uint32]string
	// Metrics, when set, gets the poller's families (metrics.go); New
	// registers them.
	Metrics prometheus.Registerer
	// Series, when set, keeps the interface series in place of the
	// per-device files (whose points it takes over once, at Start).
	Series SeriesStore
}

// Alert types (ntopng 4.2 alert_keys).
const (
	alertUnresponsiveDevice = 52
	alertSNMPDeviceReset    = 43
)

// Counters of the poller.
type Counters struct {
	Polls       uint64 `json:"polls"`
	PollErrors  uint64 `json:"poll_errors"`
	Requests    uint64 `json:"requests"`
	BadValues   uint64 `json:"bad_values"` // varbinds of the wrong type, ignored
	Reboots     uint64 `json:"reboots"`
	Devices     int    `json:"devices"`
	Unreachable int    `json:"unreachable"`
	// On-demand LLDP and bridge table walks (REST lldp.lua, bridge.lua).
	TopologyWalks     uint64 `json:"topology_walks"`
	TopologyErrors    uint64 `json:"topology_walk_errors"`     // timeouts, agent errors
	TopologyTruncated uint64 `json:"topology_walks_truncated"` // stopped at the row bound
	// Series persistence (zero without a data dir).
	SeriesRecords     uint64 `json:"series_records"`     // points written
	SeriesErrors      uint64 `json:"series_errors"`      // open/write/fsync failures
	SeriesRepairs     uint64 `json:"series_repairs"`     // torn or corrupt tails truncated
	SeriesCompactions uint64 `json:"series_compactions"` // files rewritten by age or size
	SeriesSyncs       uint64 `json:"series_syncs"`       // fsyncs (at most one a second per file)
}

// Poller polls the configured devices and keeps their state.
type Poller struct {
	cfg   Configuration
	deps  Deps
	log   *slog.Logger
	rlog  *ratelog.Limiter
	store deviceStore
	ts    *seriesStore   // nil without a data dir or with Deps.Series
	hs    *historySeries // with Deps.Series
	flows *flowCounter
	roles roles

	mu    sync.RWMutex
	state map[string]*device

	polls, pollErrs, reqs, badVals, reboots atomic.Uint64
	// On-demand LLDP/bridge walks (topology.go).
	topoWalks, topoErrs, topoTruncated atomic.Uint64

	sem     chan struct{}
	wake    chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
	started bool

	// OnPoll, if set, runs after each device poll (the snmp_device scripts
	// runner uses the latest state at its own pace; tests wait on it).
	onPoll atomic.Pointer[func(key string)]
}

// device is the live state of one device. Fields are guarded by Poller.mu;
// a poll builds new values and swaps them in.
type device struct {
	cfg      DeviceConfig
	st       DeviceStatus
	ifaces   map[uint32]*Interface
	series   map[uint32]*series
	nextPoll time.Time
	polling  bool
	lastUp   uint64
	lastAt   time.Time
	unreach  bool
	pending  []byte // series records of the last apply, to persist
}

// New returns an inert poller; with deps.Engine it registers the flow
// observer that counts flows per exporter interface (so it must precede
// Engine.Start).
func New(cfg Configuration, deps Deps) *Poller {
	cfg = cfg.withDefaults()
	p := &Poller{cfg: cfg, deps: deps, log: cfg.Logger.With("component", "snmp"),
		state: map[string]*device{}, wake: make(chan struct{}, 1)}
	p.rlog = ratelog.New(p.log, 10*time.Second)
	if cfg.DataDir != "" {
		p.store.path = filepath.Join(cfg.DataDir, DevicesFile)
		if deps.Series == nil {
			p.ts = newSeriesStore(cfg.DataDir, cfg.Retention, cfg.SeriesMaxBytes, cfg.Now, p.log)
		}
	}
	if deps.Series != nil {
		p.hs = newHistorySeries(deps.Series, cfg.DataDir, cfg.Retention, cfg.Now, p.log)
	}
	p.flows = newFlowCounter()
	if deps.Engine != nil {
		deps.Engine.Observe(p.flows.observer)
	}
	p.registerMetrics(deps.Metrics)
	return p
}

// Start loads the stored devices, adds the configured ones and starts
// polling.
func (p *Poller) Start() error {
	if err := p.store.load(); err != nil {
		return err
	}
	for _, d := range p.cfg.Devices {
		if err := d.normalize(); err != nil {
			return err
		}
		p.store.devs[d.Key()] = d
	}
	p.store.mu.Lock()
	err := p.store.saveLocked()
	list := p.store.listLocked()
	p.store.mu.Unlock()
	if err != nil {
		p.log.Warn("snmp devices not saved", "err", err)
	}
	devs := make(map[string]*device, len(list))
	keys := make([]string, 0, len(list))
	for _, d := range list {
		devs[d.Key()] = p.newDevice(d)
		keys = append(keys, d.Key())
	}
	if p.ts != nil || p.hs != nil {
		// The stored series go straight into the rings (the read path).
		caps := make(map[string]int, len(devs))
		for k, d := range devs {
			caps[k] = p.capacity(d)
		}
		start := p.hs.start
		if p.ts != nil {
			start = p.ts.start
		}
		err := start(keys, func(key string, idx uint32, pt Point) {
			d := devs[key]
			s := d.series[idx]
			if s == nil {
				// Full size at once: a day of growth by doubling would
				// allocate twice over at start.
				s = &series{pts: make([]Point, 0, caps[key])}
				d.series[idx] = s
			}
			s.add(pt, caps[key])
		})
		if err != nil {
			p.log.Warn("snmp series not persisted", "err", err)
		}
		for _, d := range devs {
			for _, s := range d.series {
				s.sortIfNeeded()
			}
		}
	}
	p.mu.Lock()
	for k, d := range devs {
		p.state[k] = d
	}
	p.trackLocked()
	p.mu.Unlock()
	p.sem = make(chan struct{}, p.cfg.MaxInFlight)
	p.stop = make(chan struct{})
	p.started = true
	p.wg.Add(1)
	go p.loop()
	p.log.Info("snmp poller started", "devices", len(list))
	return nil
}

// Stop stops polling and waits for polls in flight (bounded by their
// timeouts).
func (p *Poller) Stop() {
	if !p.started {
		return
	}
	close(p.stop)
	p.wg.Wait()
	if p.ts != nil {
		p.ts.close()
	}
	p.started = false // the SeriesStore (Deps.Series) is closed by its owner
}

// trackLocked tells the flow counter which exporters are devices; p.mu held.
func (p *Poller) trackLocked() {
	addrs := make(map[string]string, len(p.state))
	for key, d := range p.state {
		addrs[key] = d.cfg.Address
	}
	p.flows.setDevices(addrs)
}

func (p *Poller) newDevice(d DeviceConfig) *device {
	return &device{cfg: d, st: DeviceStatus{Key: d.Key(), Config: d}, ifaces: map[uint32]*Interface{},
		series: map[uint32]*series{}, nextPoll: time.Time{}}
}

// AddDevice adds or replaces a device, persists the list and polls it soon.
func (p *Poller) AddDevice(d DeviceConfig) (DeviceConfig, error) {
	if err := d.normalize(); err != nil {
		return d, err
	}
	p.store.mu.Lock()
	if p.store.devs == nil {
		p.store.devs = map[string]DeviceConfig{}
	}
	p.store.devs[d.Key()] = d
	err := p.store.saveLocked()
	p.store.mu.Unlock()
	if err != nil {
		return d, err
	}
	p.mu.Lock()
	if old := p.state[d.Key()]; old != nil {
		old.cfg, old.st.Config, old.nextPoll = d, d, time.Time{}
	} else {
		p.state[d.Key()] = p.newDevice(d)
	}
	p.trackLocked()
	p.mu.Unlock()
	p.kick()
	return d, nil
}

// ErrNoDevice is returned for an unknown device key.
var ErrNoDevice = errors.New("no such SNMP device")

// RemoveDevice forgets a device and persists the list.
func (p *Poller) RemoveDevice(key string) error {
	p.store.mu.Lock()
	if _, ok := p.store.devs[key]; !ok {
		p.store.mu.Unlock()
		return ErrNoDevice
	}
	delete(p.store.devs, key)
	err := p.store.saveLocked()
	p.store.mu.Unlock()
	p.mu.Lock()
	delete(p.state, key)
	p.trackLocked()
	p.mu.Unlock()
	if p.ts != nil {
		p.ts.remove(key)
	}
	return err
}

// Devices returns the status of every device, sorted by key.
func (p *Poller) Devices() []DeviceStatus {
	p.mu.RLock()
	out := make([]DeviceStatus, 0, len(p.state))
	for _, d := range p.state {
		s := d.st
		s.Config = redact(s.Config)
		out = append(out, s)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// DeviceAt returns the status of the device whose flows name a as their
// exporter (exporterAddr); with several, the lowest key.
func (p *Poller) DeviceAt(a netip.Addr) (DeviceStatus, bool) {
	key, ok := p.flows.device(a.Unmap())
	if !ok {
		return DeviceStatus{}, false
	}
	return p.Device(key)
}

// Device returns one device's status.
func (p *Poller) Device(key string) (DeviceStatus, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	d := p.state[key]
	if d == nil {
		return DeviceStatus{}, false
	}
	s := d.st
	s.Config = redact(s.Config)
	return s, true
}

// deviceConfig returns the full configuration (passwords included).
func (p *Poller) deviceConfig(key string) (DeviceConfig, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	d := p.state[key]
	if d == nil {
		return DeviceConfig{}, false
	}
	return d.cfg, true
}

func redact(c DeviceConfig) DeviceConfig {
	if c.Community != "" {
		c.Community = "******"
	}
	if c.AuthPassword != "" {
		c.AuthPassword = "******"
	}
	if c.PrivPassword != "" {
		c.PrivPassword = "******"
	}
	return c
}

// Interfaces returns copies of a device's interfaces, by ifIndex, with the
// flow counters of the device's exporter address filled in.
func (p *Poller) Interfaces(key string) ([]Interface, bool) {
	p.flows.sync(p.deps.Engine)
	p.mu.RLock()
	d := p.state[key]
	if d == nil {
		p.mu.RUnlock()
		return nil, false
	}
	addr := d.cfg.Address
	out := make([]Interface, 0, len(d.ifaces))
	for _, i := range d.ifaces {
		out = append(out, *i)
	}
	p.mu.RUnlock()
	fl := p.flows.snapshot(addr)
	seen := map[uint32]bool{}
	for k := range out {
		if c, ok := fl[out[k].Index]; ok {
			out[k].FlowBytesIn, out[k].FlowBytesOut = c.in, c.out
		}
		seen[out[k].Index] = true
	}
	// Interfaces seen only in flows (device not polled yet, or a probe's
	// snmp-ifaces names): listed with what flows say.
	var names map[uint32]string
	if p.deps.IfNames != nil {
		names = p.deps.IfNames(addr)
	}
	for idx, c := range fl {
		if !seen[idx] {
			out = append(out, Interface{Index: idx, Name: names[idx], FlowBytesIn: c.in, FlowBytesOut: c.out})
			seen[idx] = true
		}
	}
	for k := range out {
		if out[k].Name == "" && names[out[k].Index] != "" {
			out[k].Name = names[out[k].Index]
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, true
}

// Interface returns a copy of one polled interface, without the flow
// counters Interfaces folds in (no walk of the flow tables: the host page
// names a few ports per request).
func (p *Poller) Interface(key string, ifIndex uint32) (Interface, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	d := p.state[key]
	if d == nil {
		return Interface{}, false
	}
	i := d.ifaces[ifIndex]
	if i == nil {
		return Interface{}, false
	}
	return *i, true
}

// Series returns an interface's points newer than since.
func (p *Poller) Series(key string, ifIndex uint32, since time.Time) ([]Point, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	d := p.state[key]
	if d == nil {
		return nil, false
	}
	s := d.series[ifIndex]
	if s == nil {
		return nil, d.ifaces[ifIndex] != nil
	}
	return s.since(since.Unix()), true
}

// Counters returns the poller's totals.
func (p *Poller) Counters() Counters {
	c := Counters{Polls: p.polls.Load(), PollErrors: p.pollErrs.Load(), Requests: p.reqs.Load(),
		BadValues: p.badVals.Load(), Reboots: p.reboots.Load(),
		TopologyWalks: p.topoWalks.Load(), TopologyErrors: p.topoErrs.Load(), TopologyTruncated: p.topoTruncated.Load()}
	if p.ts != nil {
		c.SeriesRecords, c.SeriesErrors, c.SeriesRepairs = p.ts.records.Load(), p.ts.writeErrs.Load(), p.ts.repairs.Load()
		c.SeriesCompactions, c.SeriesSyncs = p.ts.compactions.Load(), p.ts.syncs.Load()
	}
	if p.hs != nil {
		c.SeriesRecords, c.SeriesErrors = p.hs.records.Load(), p.hs.writeErrs.Load()
	}
	p.mu.RLock()
	c.Devices = len(p.state)
	for _, d := range p.state {
		if d.unreach {
			c.Unreachable++
		}
	}
	p.mu.RUnlock()
	return c
}

// PollNow polls one device synchronously (REST "refresh", tests).
func (p *Poller) PollNow(key string) error {
	p.mu.Lock()
	d := p.state[key]
	if d == nil {
		p.mu.Unlock()
		return ErrNoDevice
	}
	cfg := d.cfg
	p.mu.Unlock()
	return p.pollDevice(key, cfg)
}

// SetOnPoll sets a function called after each device poll.
func (p *Poller) SetOnPoll(fn func(key string)) { p.onPoll.Store(&fn) }

func (p *Poller) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Poller) loop() {
	defer p.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		p.schedule()
		select {
		case <-p.stop:
			return
		case <-t.C:
		case <-p.wake:
		}
	}
}

// schedule starts the polls that are due, at most MaxInFlight at a time;
// a device still being polled is not started again.
func (p *Poller) schedule() {
	now := p.cfg.Now()
	type job struct {
		key string
		cfg DeviceConfig
	}
	var due []job
	p.mu.Lock()
	for k, d := range p.state {
		if !d.polling && !now.Before(d.nextPoll) {
			iv := p.cfg.Interval
			if d.cfg.Interval > 0 {
				iv = time.Duration(d.cfg.Interval) * time.Second
			}
			d.nextPoll = now.Add(iv)
			d.polling = true
			due = append(due, job{k, d.cfg})
		}
	}
	p.mu.Unlock()
	for _, j := range due {
		select {
		case p.sem <- struct{}{}:
		case <-p.stop:
			p.mu.Lock()
			for _, j := range due {
				if d := p.state[j.key]; d != nil {
					d.polling = false
				}
			}
			p.mu.Unlock()
			return
		}
		p.wg.Add(1)
		go func(j job) {
			defer p.wg.Done()
			defer func() { <-p.sem }()
			_ = p.pollDevice(j.key, j.cfg)
			p.mu.Lock()
			if d := p.state[j.key]; d != nil {
				d.polling = false
			}
			p.mu.Unlock()
		}(j)
	}
}

// pollResult is what one poll read.
type pollResult struct {
	sys    System
	ifaces map[uint32]*Interface
	reqs   int
	bad    int
}

// poll reads the system group and the interface tables. A decoder panic
// on a hostile reply becomes an error of this poll.
func (p *Poller) poll(cfg DeviceConfig) (res *pollResult, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("poll %s: decoder panic: %v", cfg.Key(), x)
		}
	}()
	g := cfg.client(p.cfg.Timeout, p.cfg.Retries)
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("connect %s: %w", cfg.Key(), err)
	}
	defer g.Conn.Close()
	r := &pollResult{ifaces: map[uint32]*Interface{}}
	pkt, err := g.Get(systemOIDs)
	r.reqs++
	if err != nil {
		return r, fmt.Errorf("get system group: %w", err)
	}
	for _, v := range pkt.Variables {
		ok := true
		switch v.Name {
		case oidSysDescr:
			ok = str(&r.sys.Descr, v)
		case oidSysObjectID:
			s, isStr := v.Value.(string)
			r.sys.ObjectID, ok = s, isStr
		case oidSysUpTime:
			ok = num(&r.sys.UpTime, v)
		case oidSysContact:
			ok = str(&r.sys.Contact, v)
		case oidSysName:
			ok = str(&r.sys.Name, v)
		case oidSysLocation:
			ok = str(&r.sys.Location, v)
		}
		if !ok && v.Type != gosnmp.NoSuchObject && v.Type != gosnmp.NoSuchInstance && v.Type != gosnmp.Null {
			r.bad++
		}
	}
	for _, cols := range [][]column{ifColumns, ifXColumns} {
		oids := make([]string, len(cols))
		for i, c := range cols {
			oids[i] = c.oid
		}
		n, err := walkColumns(g, oids, p.cfg.MaxRepetitions, func(col int, index string, v gosnmp.SnmpPDU) bool {
			idx, ok := indexOf(index)
			if !ok {
				r.bad++
				return true
			}
			i := r.ifaces[idx]
			if i == nil {
				i = &Interface{Index: idx}
				r.ifaces[idx] = i
			}
			if !cols[col].set(i, v) {
				r.bad++
			}
			return true
		})
		r.reqs += n
		if err != nil {
			return r, fmt.Errorf("walk interfaces: %w", err)
		}
	}
	return r, nil
}

func (p *Poller) pollDevice(key string, cfg DeviceConfig) error {
	start := time.Now()
	res, err := p.poll(cfg)
	now := p.cfg.Now()
	p.polls.Add(1)
	if res != nil {
		p.reqs.Add(uint64(res.reqs))
		p.badVals.Add(uint64(res.bad))
	}
	p.mu.Lock()
	d := p.state[key]
	if d == nil {
		p.mu.Unlock()
		return ErrNoDevice
	}
	d.st.Polls++
	d.st.LastPoll = now
	d.st.PollTime = float64(time.Since(start).Microseconds()) / 1000
	if res != nil {
		d.st.Requests += uint64(res.reqs)
		d.st.BadValues += uint64(res.bad)
	}
	var becameUnreach, recovered, rebooted bool
	if err != nil {
		p.pollErrs.Add(1)
		d.st.Errors++
		d.st.LastError = err.Error()
		if !d.unreach {
			d.unreach, becameUnreach = true, true
		}
		d.st.Reachable = false
	} else {
		d.st.LastError = ""
		d.st.Reachable = true
		d.st.LastSuccess = now
		if d.unreach {
			d.unreach, recovered = false, true
		}
		rebooted = p.apply(d, res, now)
		if rebooted {
			d.st.Reboots++
			p.reboots.Add(1)
		}
	}
	d.st.NumIfaces = len(d.ifaces)
	recs := d.pending
	d.pending = nil
	p.mu.Unlock()
	if p.ts != nil {
		p.ts.append(key, recs)
	}
	if p.hs != nil {
		p.hs.append(key, recs)
	}

	if err != nil {
		p.rlog.Warn("poll:"+key, "snmp poll failed", "device", key, "err", err)
	}
	p.raise(key, err, becameUnreach, recovered, rebooted, now)
	if fn := p.onPoll.Load(); fn != nil {
		(*fn)(key)
	}
	return err
}

// apply folds a successful poll into d: rates from counter deltas and the
// series. It reports a reboot (sysUpTime went back), after which no rate is
// computed for this interval.
func (p *Poller) apply(d *device, r *pollResult, now time.Time) (rebooted bool) {
	first := d.lastAt.IsZero()
	rebooted = !first && r.sys.UpTime < d.lastUp
	dt := now.Sub(d.lastAt).Seconds()
	// The agent's own clock is the better interval when it moved forward:
	// poll scheduling jitter does not bend the rates.
	if !first && !rebooted && r.sys.UpTime > d.lastUp {
		dt = float64(r.sys.UpTime-d.lastUp) / 100
	}
	capacity := p.capacity(d)
	persist := p.ts != nil || p.hs != nil
	if persist {
		d.pending = make([]byte, 0, len(r.ifaces)*seriesRecLen)
	}
	for idx, cur := range r.ifaces {
		prev := d.ifaces[idx]
		if prev != nil && !first && !rebooted && dt > 0 && prev.HC == cur.HC {
			if in, ok := counterDelta(prev.InOctets, cur.InOctets, cur.HC); ok {
				cur.InBps = float64(in) * 8 / dt
			}
			if out, ok := counterDelta(prev.OutOctets, cur.OutOctets, cur.HC); ok {
				cur.OutBps = float64(out) * 8 / dt
			}
			if e, ok := counterDelta(prev.InErrors, cur.InErrors, false); ok {
				cur.InErrorsDelta, cur.InErrorsRate = e, float64(e)/dt
			}
			if e, ok := counterDelta(prev.OutErrors, cur.OutErrors, false); ok {
				cur.OutErrorsDelta, cur.OutErrsRate = e, float64(e)/dt
			}
			// A rate above the interface speed is a counter reset the
			// wrap rule mistook for a wrap: drop it.
			if sp := float64(cur.SpeedBps()); sp > 0 {
				if cur.InBps > sp*1.05 {
					cur.InBps = 0
				}
				if cur.OutBps > sp*1.05 {
					cur.OutBps = 0
				}
			}
		}
		s := d.series[idx]
		if s == nil {
			s = &series{}
			d.series[idx] = s
		}
		pt := Point{T: now.Unix(), InBps: float32(cur.InBps), OutBps: float32(cur.OutBps),
			InErrors: uint32(min(cur.InErrorsDelta, 0xFFFFFFFF)), OutErrors: uint32(min(cur.OutErrorsDelta, 0xFFFFFFFF)),
			OperStatus: uint8(cur.OperStatus)}
		s.add(pt, capacity)
		if persist {
			d.pending = appendRecord(d.pending, idx, pt)
		}
	}
	for idx := range d.series {
		if r.ifaces[idx] == nil {
			delete(d.series, idx)
		}
	}
	d.ifaces = r.ifaces
	d.st.System = r.sys
	d.lastUp, d.lastAt = r.sys.UpTime, now
	return rebooted
}

// capacity is the number of points a series of d holds: the retention at
// the device's poll interval.
func (p *Poller) capacity(d *device) int {
	iv := p.cfg.Interval
	if d.cfg.Interval > 0 {
		iv = time.Duration(d.cfg.Interval) * time.Second
	}
	return max(int(p.cfg.Retention/iv), 1)
}

// raise turns reachability changes and reboots into alerts on the device
// entity (ntopng 4.2 alert_unresponsive_device, alert_snmp_device_reset).
func (p *Poller) raise(key string, err error, down, up, reboot bool, now time.Time) {
	st := p.deps.Alerts
	if st == nil {
		return
	}
	base := alerts.Alert{IfID: -1, Entity: alerts.EntitySNMPDevice, EntityVal: key, Type: alertUnresponsiveDevice,
		Subdir: "snmp_device", Script: "snmp_poller", Tstamp: now.Unix(), TstampEnd: now.Unix()}
	switch {
	case down:
		a := base
		a.Severity = alerts.SeverityError
		a.JSON = jsonString(map[string]any{"device": key, "error": err.Error()})
		st.Trigger(a)
		p.log.Warn("snmp device unreachable", "device", key, "err", err)
	case up:
		st.Release(base)
		p.log.Info("snmp device reachable again", "device", key)
	}
	if reboot {
		a := base
		a.Type, a.Severity = alertSNMPDeviceReset, alerts.SeverityWarning
		a.JSON = jsonString(map[string]any{"device": key})
		st.StoreEvent(a)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
