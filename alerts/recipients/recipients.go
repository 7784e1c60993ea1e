// Package recipients delivers alerts to the outside world: syslog (UDP,
// TCP, TLS), webhooks, e-mail, files, NATS JetStream and shell scripts.
// Each recipient owns a persistent queue in the data dir and one delivery
// worker; an alert leaves the queue only when its endpoint accepted it.
package recipients

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/alerts"
	"flowgate/store"
)

// DefaultQueueSize bounds each recipient's pending alerts.
const DefaultQueueSize = 100_000

// Configuration of the Manager.
type Configuration struct {
	// DataDir holds recipients/<name>/ (queues) and recipients.json (the
	// recipients added over REST or Lua). Required.
	DataDir string
	// URLs are the --recipient URLs; they are not written to
	// recipients.json (the flags stay the source of truth).
	URLs []string
	// Endpoints and Recipients come from the configuration file: named
	// endpoints and the recipients that reference them. Like URLs they
	// are not written to the data dir; REST cannot edit or delete them.
	Endpoints  []EndpointConfig
	Recipients []RecipientConfig
	// QueueSize is the default bound of a queue (queue_size= overrides).
	QueueSize int
	// AllowShell enables shell:// recipients (--recipient-allow-shell).
	AllowShell bool
	// SyncEvery is how often queues are fsynced. Default 1s. Writes reach
	// the kernel at once, so only a power loss can cost this window.
	SyncEvery time.Duration
	// BackoffMin and BackoffMax bound the wait between retries of a
	// failing endpoint. Defaults 250ms and 30s.
	BackoffMin, BackoffMax time.Duration
	// Hostname, App and Version name the sender in syslog headers, CEF
	// and ECS. Defaults: os.Hostname(), "flowgate", "1.0".
	Hostname, App, Version string
	// Instance, when set, is added to the JSON format as "instance": the
	// flowgate instance (--instance-name) that raised the alert, for
	// receivers fed by several instances.
	Instance string
	// Location of the text format's dates. Default time.Local.
	Location *time.Location
	// IfName names interfaces in the text format ("eth0"); default "if<id>".
	IfName func(ifid int) string
	Logger *slog.Logger
	// Metrics, when set, gets the per-recipient families (metrics.go);
	// New registers them.
	Metrics prometheus.Registerer
}

// Stats of one recipient, for REST, /metrics and ntop.recipient_stats.
type Stats struct {
	Name         string `json:"name"`
	Kind         string `json:"endpoint"`
	URL          string `json:"url"` // secrets masked
	Format       string `json:"format"`
	Filter       Filter `json:"filter"`
	EndpointName string `json:"endpoint_conf_name,omitempty"` // the named endpoint it references
	// Params are a named endpoint's recipient's own keys (format, filters,
	// queue_size, batch, linger) as given: what an edit form starts from.
	Params        map[string]string `json:"params,omitempty"`
	Persistent    bool              `json:"persistent"` // added over REST/Lua, kept in recipients.json
	Enqueued      uint64            `json:"enqueued"`
	Filtered      uint64            `json:"filtered"`
	Sent          uint64            `json:"sent"`
	Failed        uint64            `json:"failed"`  // failed delivery attempts (batches)
	Retried       uint64            `json:"retried"` // alerts sent again after a failure
	Dropped       uint64            `json:"dropped"` // pushed out of a full queue
	Rejected      uint64            `json:"rejected"`
	QueueErrors   uint64            `json:"queue_errors"`
	QueueLen      int               `json:"queue_len"`
	LastError     string            `json:"last_error,omitempty"`
	LastErrorTime int64             `json:"last_error_time,omitempty"`
	LastSuccess   int64             `json:"last_success,omitempty"`
	LastUse       int64             `json:"last_use,omitempty"`
	Custom        map[string]uint64 `json:"custom,omitempty"`
}

type recipient struct {
	spec    *Spec
	persist bool
	cfg     *RecipientConfig // set for a recipient that references a named endpoint
	dir     string
	q       *Queue
	ep      endpoint // nil: a Lua-managed queue that scripts dequeue
	format  formatter
	batch   int
	linger  time.Duration

	// *recState survives an edit: the rebuilt recipient keeps the queue,
	// its directory (the stable id) and its counters.
	*recState

	stop  chan struct{} // cancels an in-flight delivery too
	drain chan struct{} // ends the worker between deliveries (live edits)
	done  chan struct{}
}

// recState is what a recipient keeps across live edits.
type recState struct {
	enqueued, filtered, sent, failed, retried, rejected, queueErrs atomic.Uint64
	lastUse                                                        atomic.Int64

	mu          sync.Mutex
	lastErr     string
	lastErrTime int64
	lastSuccess int64
	custom      map[string]uint64
}

// Manager owns the recipients, their queues and workers.
type Manager struct {
	cfg  Configuration
	fctx formatCtx
	log  *slog.Logger

	mu      sync.Mutex // add/remove
	cfgMu   sync.Mutex // endpoint and recipient configuration changes, one at a time
	eps     map[string]*namedEndpoint
	recs    atomic.Pointer[[]*recipient]
	started bool
	stop    chan struct{}
	wg      sync.WaitGroup
	boot    string
	seq     atomic.Uint64
	bufPool sync.Pool
}

// DefaultConfiguration returns the defaults: DefaultQueueSize alerts per
// queue, fsync every second, retries between 250 ms and 30 s.
func DefaultConfiguration() Configuration {
	return Configuration{QueueSize: DefaultQueueSize, SyncEvery: time.Second,
		BackoffMin: 250 * time.Millisecond, BackoffMax: 30 * time.Second, App: "flowgate", Version: "1.0"}
}

// New returns an idle manager; Start opens the queues.
func New(cfg Configuration) *Manager {
	def := DefaultConfiguration()
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = def.QueueSize
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = def.SyncEvery
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = def.BackoffMin
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = def.BackoffMax
	}
	if cfg.App == "" {
		cfg.App = def.App
	}
	if cfg.Version == "" {
		cfg.Version = def.Version
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, stop: make(chan struct{}), eps: map[string]*namedEndpoint{}}
	m.recs.Store(&[]*recipient{})
	m.bufPool.New = func() any { b := make([]byte, 0, 1024); return &b }
	m.registerMetrics(cfg.Metrics)
	return m
}

// Start loads the flag and persisted recipients, opens their queues
// (recovering what a crash left) and starts the workers. A recipient whose
// URL is invalid fails Start: the operator typed it.
func (m *Manager) Start() error {
	if m.cfg.DataDir == "" {
		return errors.New("recipients: a data dir is required for the queues")
	}
	if m.cfg.Hostname == "" {
		m.cfg.Hostname, _ = os.Hostname()
	}
	m.fctx = formatCtx{Hostname: m.cfg.Hostname, App: m.cfg.App, Version: m.cfg.Version,
		Loc: m.cfg.Location, IfName: m.cfg.IfName, Instance: m.cfg.Instance}
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	m.boot = hex.EncodeToString(rb[:])
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
	for _, u := range m.cfg.URLs {
		if _, err := m.add(u, false); err != nil {
			m.Stop()
			return err
		}
	}
	if err := m.startModel(); err != nil {
		m.Stop()
		return err
	}
	saved, err := m.loadSaved()
	if err != nil {
		m.Stop()
		return err
	}
	for _, s := range saved {
		var err error
		switch {
		case s.Lua:
			err = m.RegisterQueue(s.Name)
		case s.Endpoint != "":
			err = m.addModelRecipient(RecipientConfig{Name: s.Name, Endpoint: s.Endpoint, Params: s.Params}, true)
		default:
			_, err = m.add(s.URL, true)
		}
		if err != nil {
			// A saved recipient that no longer parses must not stop the
			// appliance: log it and carry on with the others.
			m.log.Error("recipient from recipients.json skipped", "err", err)
		}
	}
	m.wg.Add(1)
	go m.syncLoop()
	return nil
}

// Stop ends the workers (in-flight deliveries are cancelled and stay
// queued) and closes the queues.
func (m *Manager) Stop() {
	m.mu.Lock()
	if !m.started {
		m.mu.Unlock()
		return
	}
	m.started = false
	close(m.stop)
	recs := *m.recs.Load()
	m.mu.Unlock()
	for _, r := range recs {
		m.stopRecipient(r)
	}
	m.wg.Wait()
}

func (m *Manager) stopRecipient(r *recipient) {
	if r.stop != nil {
		close(r.stop)
		<-r.done
	}
	if r.ep != nil {
		_ = r.ep.close()
	}
	if err := r.q.Close(); err != nil {
		m.log.Error("recipient queue close", "recipient", r.spec.Name, "err", err)
	}
}

func (m *Manager) syncLoop() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.SyncEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			for _, r := range *m.recs.Load() {
				if err := r.q.Sync(); err != nil {
					r.queueErrs.Add(1)
					r.setErr(err)
				}
			}
		}
	}
}

// Add adds a recipient from a URL and saves it in recipients.json.
func (m *Manager) Add(rawURL string) (Stats, error) {
	r, err := m.add(rawURL, true)
	if err != nil {
		return Stats{}, err
	}
	if err := m.save(); err != nil {
		return r.stats(), err
	}
	return r.stats(), nil
}

func (m *Manager) add(rawURL string, persist bool) (*recipient, error) {
	sp, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if sp.Kind == "shell" && !m.cfg.AllowShell {
		return nil, fmt.Errorf("recipient %s: shell recipients are disabled (enable them with --recipient-allow-shell)", sp.Name)
	}
	ep, err := newEndpoint(sp, m)
	if err != nil {
		return nil, err
	}
	r := &recipient{spec: sp, persist: persist, ep: ep, format: formatters[sp.Format],
		batch: sp.Batch, linger: sp.duration("linger", ep.linger())}
	if r.batch <= 0 {
		r.batch = ep.batch()
	}
	if err := m.insert(r); err != nil {
		_ = ep.close()
		return nil, err
	}
	return r, nil
}

// RegisterQueue creates a queue with no endpoint, which Lua fills and
// drains (ntop.recipient_register). Registering an existing name is a no-op.
func (m *Manager) RegisterQueue(name string) error {
	if !validName(name) {
		return fmt.Errorf("recipient %q: use letters, digits, '-', '_' and '.'", name)
	}
	if m.find(name) != nil {
		return nil
	}
	sp := &Spec{Name: name, Kind: "lua", Format: "json", Raw: "lua:" + name}
	sp.URL, _ = parseLuaURL(name)
	r := &recipient{spec: sp, persist: true, format: appendJSON}
	if err := m.insert(r); err != nil {
		return err
	}
	return m.save()
}

func (m *Manager) insert(r *recipient) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		return errors.New("recipients: manager not started")
	}
	old := *m.recs.Load()
	for _, o := range old {
		if o.spec.Name == r.spec.Name {
			return fmt.Errorf("recipient %s: already exists", r.spec.Name)
		}
	}
	size := r.spec.QueueSize
	if size <= 0 {
		size = m.cfg.QueueSize
	}
	r.dir = filepath.Join(m.cfg.DataDir, "recipients", r.spec.Name)
	q, err := OpenQueue(r.dir, size)
	if err != nil {
		return err
	}
	r.q = q
	r.recState = &recState{custom: map[string]uint64{}}
	if r.ep != nil {
		r.stop, r.drain, r.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
		go m.worker(r)
	}
	recs := append(append([]*recipient(nil), old...), r)
	m.recs.Store(&recs)
	if n := q.Len(); n > 0 {
		m.log.Info("recipient queue recovered", "recipient", r.spec.Name, "pending", n)
	}
	return nil
}

// Remove stops a recipient and deletes its queue and saved entry.
func (m *Manager) Remove(name string) error {
	m.mu.Lock()
	old := *m.recs.Load()
	var r *recipient
	var rest []*recipient
	for _, o := range old {
		if o.spec.Name == name {
			r = o
		} else {
			rest = append(rest, o)
		}
	}
	if r == nil {
		m.mu.Unlock()
		return fmt.Errorf("recipient %s: not found", name)
	}
	m.recs.Store(&rest)
	m.mu.Unlock()
	m.stopRecipient(r)
	if err := removeQueue(r.dir); err != nil {
		return err
	}
	return m.save()
}

func (m *Manager) find(name string) *recipient {
	for _, r := range *m.recs.Load() {
		if r.spec.Name == name {
			return r
		}
	}
	return nil
}

// Notify is the alert store subscriber: it queues the notification for
// every recipient whose filter matches. It writes to each queue's log and
// returns; it never waits for an endpoint.
func (m *Manager) Notify(n alerts.Notification) {
	recs := *m.recs.Load()
	if len(recs) == 0 {
		return
	}
	a := &n.Alert
	var bp *[]byte
	var doc *Doc
	var id string
	for _, r := range recs {
		if r.ep == nil {
			continue // Lua-managed queues are filled by scripts
		}
		if !r.spec.Filter.Match(a) {
			r.filtered.Add(1)
			continue
		}
		if bp == nil {
			bp = m.bufPool.Get().(*[]byte)
			*bp = n.AppendJSON((*bp)[:0])
			doc = docFromAlert(a)
			id = m.nextID()
		}
		r.push(id, *bp, doc)
	}
	if bp != nil {
		m.bufPool.Put(bp)
	}
}

// nextID is unique across restarts: a random boot prefix and a counter.
func (m *Manager) nextID() string {
	b := make([]byte, 0, 32)
	b = append(b, "fg-"...)
	b = append(b, m.boot...)
	b = append(b, '-')
	b = strconv.AppendUint(b, m.seq.Add(1), 10)
	return string(b)
}

func (r *recipient) push(id string, payload []byte, doc *Doc) {
	if _, err := r.q.Push(id, payload, doc); err != nil {
		r.queueErrs.Add(1)
		r.setErr(err)
		return
	}
	r.enqueued.Add(1)
}

// Enqueue puts a notification JSON into a recipient's queue
// (ntop.recipient_enqueue).
func (m *Manager) Enqueue(name string, notification []byte) error {
	r := m.find(name)
	if r == nil {
		return fmt.Errorf("recipient %s: not found", name)
	}
	if !json.Valid(notification) {
		return fmt.Errorf("recipient %s: notification is not JSON", name)
	}
	r.push(m.nextID(), notification, nil)
	return nil
}

// Dequeue pops the oldest notification of a recipient
// (ntop.recipient_dequeue); ok is false when the queue is empty.
func (m *Manager) Dequeue(name string) (notification []byte, ok bool, err error) {
	r := m.find(name)
	if r == nil {
		return nil, false, fmt.Errorf("recipient %s: not found", name)
	}
	ev, ok := r.q.Pop()
	r.lastUse.Store(time.Now().Unix())
	if !ok {
		return nil, false, nil
	}
	r.sent.Add(1)
	return ev.JSON, true, nil
}

// IncStat bumps a named counter of a recipient (ntop.recipient_inc_stats).
func (m *Manager) IncStat(name, stat string) error {
	r := m.find(name)
	if r == nil {
		return fmt.Errorf("recipient %s: not found", name)
	}
	r.mu.Lock()
	r.custom[stat]++
	r.mu.Unlock()
	return nil
}

// LastUse is the epoch of the recipient's last dequeue or delivery.
func (m *Manager) LastUse(name string) (int64, error) {
	r := m.find(name)
	if r == nil {
		return 0, fmt.Errorf("recipient %s: not found", name)
	}
	return r.lastUse.Load(), nil
}

// Stats lists every recipient's statistics, by name.
func (m *Manager) Stats() []Stats {
	recs := *m.recs.Load()
	out := make([]Stats, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.stats())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one recipient's statistics.
func (m *Manager) Get(name string) (Stats, bool) {
	r := m.find(name)
	if r == nil {
		return Stats{}, false
	}
	return r.stats(), true
}

func (r *recipient) stats() Stats {
	s := Stats{Name: r.spec.Name, Kind: r.spec.Kind, Format: r.spec.Format, Filter: r.spec.Filter,
		Persistent: r.persist, Enqueued: r.enqueued.Load(), Filtered: r.filtered.Load(),
		Sent: r.sent.Load(), Failed: r.failed.Load(), Retried: r.retried.Load(),
		Rejected: r.rejected.Load(), QueueErrors: r.queueErrs.Load(), QueueLen: r.q.Len(),
		Dropped: r.q.Dropped(), LastUse: r.lastUse.Load()}
	if r.spec.URL != nil {
		s.URL = r.spec.Redacted()
	}
	if r.cfg != nil {
		s.EndpointName = r.cfg.Endpoint
		s.Params = maps.Clone(r.cfg.Params)
	}
	r.mu.Lock()
	s.LastError, s.LastErrorTime, s.LastSuccess = r.lastErr, r.lastErrTime, r.lastSuccess
	if len(r.custom) > 0 {
		s.Custom = make(map[string]uint64, len(r.custom))
		for k, v := range r.custom {
			s.Custom[k] = v
		}
	}
	r.mu.Unlock()
	return s
}

func (r *recipient) setErr(err error) {
	r.mu.Lock()
	r.lastErr = err.Error()
	r.lastErrTime = time.Now().Unix()
	r.mu.Unlock()
}

// Test sends a sample notification straight to the recipient's endpoint
// (not through the queue) and reports the endpoint's answer.
func (m *Manager) Test(ctx context.Context, name string) error {
	r := m.find(name)
	if r == nil {
		return fmt.Errorf("recipient %s: not found", name)
	}
	if r.ep == nil {
		return fmt.Errorf("recipient %s: a Lua queue has no endpoint to test", name)
	}
	err := r.ep.send(ctx, []*Event{m.sampleEvent()}, r.format)
	if err != nil {
		r.setErr(fmt.Errorf("test: %w", err))
	}
	return err
}

// worker delivers a recipient's queue in order: a batch leaves the queue
// only when the endpoint accepted it; a failure is retried with
// exponential backoff, and only the batch's own recipient waits.
func (m *Manager) worker(r *recipient) {
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-r.stop
		cancel()
	}()
	backoff := m.cfg.BackoffMin
	retrying := false
	for {
		select {
		case <-r.drain:
			return
		default:
		}
		batch := r.q.Peek(r.batch)
		if len(batch) == 0 {
			select {
			case <-r.q.Ready():
				continue
			case <-r.stop:
				return
			case <-r.drain:
				return
			}
		}
		if r.linger > 0 && len(batch) < r.batch && !retrying {
			// Digest endpoints (e-mail) wait a little for more alerts.
			t := time.NewTimer(r.linger)
		wait:
			for r.q.Len() < r.batch {
				select {
				case <-r.q.Ready():
				case <-t.C:
					break wait
				case <-r.stop:
					t.Stop()
					return
				case <-r.drain:
					t.Stop()
					return
				}
			}
			t.Stop()
			batch = r.q.Peek(r.batch)
		}
		err := r.ep.send(ctx, batch, r.format)
		last := batch[len(batch)-1].Seq
		if err == nil {
			r.q.Ack(last)
			r.sent.Add(uint64(len(batch)))
			if retrying {
				r.retried.Add(uint64(len(batch)))
			}
			now := time.Now().Unix()
			r.lastUse.Store(now)
			r.mu.Lock()
			r.lastSuccess = now
			r.mu.Unlock()
			backoff, retrying = m.cfg.BackoffMin, false
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r.setErr(err)
		var perm *permanentError
		if errors.As(err, &perm) {
			// The receiver refuses these alerts for good (HTTP 400...):
			// retrying would block everything behind them.
			r.q.Ack(last)
			r.rejected.Add(uint64(len(batch)))
			m.log.Warn("recipient rejected alerts", "recipient", r.spec.Name, "n", len(batch), "err", err)
			continue
		}
		r.failed.Add(1)
		if !retrying {
			m.log.Warn("recipient delivery failing, retrying with backoff", "recipient", r.spec.Name, "err", err)
		}
		retrying = true
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-r.stop:
			t.Stop()
			return
		case <-r.drain:
			t.Stop()
			return
		}
		backoff *= 2
		if backoff > m.cfg.BackoffMax {
			backoff = m.cfg.BackoffMax
		}
	}
}

// permanentError marks an answer that retrying cannot change.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// saved is one entry of recipients.json.
type saved struct {
	URL      string            `json:"url,omitempty"`
	Name     string            `json:"name,omitempty"`
	Lua      bool              `json:"lua,omitempty"`
	Endpoint string            `json:"endpoint_conf_name,omitempty"` // a recipient of a named endpoint
	Params   map[string]string `json:"params,omitempty"`             // its filter and queue settings
}

func (m *Manager) savedPath() string { return filepath.Join(m.cfg.DataDir, "recipients.json") }

func (m *Manager) loadSaved() ([]saved, error) {
	b, err := os.ReadFile(m.savedPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	var out []saved
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("recipients: %s: %w", m.savedPath(), err)
	}
	return out, nil
}

// save writes the REST/Lua recipients atomically; the file may hold
// secrets, so only the owner reads it.
func (m *Manager) save() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []saved
	for _, r := range *m.recs.Load() {
		switch {
		case !r.persist:
		case r.ep == nil:
			out = append(out, saved{Name: r.spec.Name, Lua: true})
		case r.cfg != nil:
			out = append(out, saved{Name: r.cfg.Name, Endpoint: r.cfg.Endpoint, Params: r.cfg.Params})
		default:
			out = append(out, saved{URL: r.spec.Raw})
		}
	}
	return writeFile0600(m.savedPath(), out)
}

// writeFile0600 writes v as JSON atomically (store.WriteFile), readable by
// the owner only: endpoints carry credentials.
func writeFile0600(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("recipients: save: %w", err)
	}
	if err := store.WriteFile(path, b, store.ModeSecret); err != nil {
		return fmt.Errorf("recipients: save: %w", err)
	}
	return nil
}
