// Package kafka publishes flow rows to a Kafka topic, one JSON message per
// flow with the same fields as the ClickHouse row (flowexport.Row's
// AppendJSON), so several flowgate instances can feed one bus
// (docs/clickhouse.md). The client is github.com/twmb/franz-go.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"flowgate/flowexport"
	"flowgate/internal/metrics"
	"flowgate/internal/ratelog"
)

// Configuration of the producer.
type Configuration struct {
	Brokers []string
	Topic   string
	// BufferRows bounds the rows waiting in memory, and the client's own
	// buffer of records not yet acknowledged; beyond, rows are dropped
	// (counted).
	BufferRows int
	// FlushTimeout bounds Stop's wait for the records in flight.
	FlushTimeout time.Duration
	Logger       *slog.Logger
	Metrics      prometheus.Registerer
}

// DefaultConfiguration keeps up to 100,000 rows in memory.
func DefaultConfiguration() Configuration {
	return Configuration{BufferRows: 100000, FlushTimeout: 10 * time.Second}
}

// Kafka's topic names: letters, digits, '.', '_', '-', at most 249.
var topicRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// ParseSpec reads --kafka "broker[,broker...];topic".
func ParseSpec(spec string) (brokers []string, topic string, err error) {
	b, t, ok := strings.Cut(spec, ";")
	if !ok {
		return nil, "", fmt.Errorf("--kafka %q: want broker[,broker...];topic", spec)
	}
	for _, x := range strings.Split(b, ",") {
		if x = strings.TrimSpace(x); x != "" {
			brokers = append(brokers, x)
		}
	}
	if len(brokers) == 0 {
		return nil, "", fmt.Errorf("--kafka %q: no broker", spec)
	}
	if !topicRE.MatchString(t) {
		return nil, "", fmt.Errorf("--kafka %q: topic %q: want letters, digits, '.', '_' or '-'", spec, t)
	}
	return brokers, t, nil
}

// Counters are the producer's totals.
type Counters struct {
	Queued       uint64 `json:"queued"`        // rows accepted into the buffer
	BufferDrops  uint64 `json:"buffer_drops"`  // rows refused: buffer full
	Delivered    uint64 `json:"delivered"`     // messages the brokers acknowledged
	Errors       uint64 `json:"errors"`        // messages that failed for good (lost)
	BufferedRows uint64 `json:"buffered_rows"` // rows in memory now
	// ntop.sendKafkaMessage: messages accepted, and refused (bad topic,
	// full buffer, producer stopped).
	ScriptMessages uint64 `json:"script_messages"`
	ScriptDrops    uint64 `json:"script_drops"`
}

// Producer is the Kafka flow sink.
type Producer struct {
	cfg    Configuration
	log    *slog.Logger
	rlog   *ratelog.Limiter
	in     chan flowexport.Row
	client *kgo.Client

	queued, bufDrops, delivered, errs atomic.Uint64
	scriptMsgs, scriptDrops           atomic.Uint64

	ctx      context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup // records whose promise has not run yet
	// stopMu orders script sends (read side) before Stop's wait.
	stopMu   sync.RWMutex
	stopped  bool
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New builds an inert producer.
func New(cfg Configuration) (*Producer, error) {
	if len(cfg.Brokers) == 0 || !topicRE.MatchString(cfg.Topic) || cfg.BufferRows <= 0 {
		return nil, errors.New("kafka: want brokers, a valid topic and a positive buffer")
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = DefaultConfiguration().FlushTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	p := &Producer{cfg: cfg, log: log, rlog: ratelog.New(log, time.Minute), in: make(chan flowexport.Row, cfg.BufferRows),
		stop: make(chan struct{}), done: make(chan struct{})}
	err := metrics.Register(cfg.Metrics, metrics.NewCollector(p.Counters,
		metrics.Counter("flowgate_kafka_rows_total", "Flow rows queued for Kafka.", func(c *Counters) uint64 { return c.Queued }),
		metrics.Counter("flowgate_kafka_buffer_dropped_rows_total", "Flow rows dropped: the Kafka buffer was full.", func(c *Counters) uint64 { return c.BufferDrops }),
		metrics.Counter("flowgate_kafka_delivered_total", "Flow messages the Kafka brokers acknowledged.", func(c *Counters) uint64 { return c.Delivered }),
		metrics.Counter("flowgate_kafka_errors_total", "Flow messages Kafka failed to take for good (lost).", func(c *Counters) uint64 { return c.Errors }),
		metrics.Counter("flowgate_kafka_script_messages_total", "Messages Lua scripts handed to Kafka (ntop.sendKafkaMessage).", func(c *Counters) uint64 { return c.ScriptMessages }),
		metrics.Counter("flowgate_kafka_script_dropped_total", "ntop.sendKafkaMessage messages refused: bad topic, full buffer or producer stopped.", func(c *Counters) uint64 { return c.ScriptDrops }),
		metrics.Gauge("flowgate_kafka_buffered_rows", "Flow rows in memory waiting for Kafka.", func(c *Counters) float64 { return float64(c.BufferedRows) }),
	))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Counters returns a snapshot.
func (p *Producer) Counters() Counters {
	return Counters{Queued: p.queued.Load(), BufferDrops: p.bufDrops.Load(), Delivered: p.delivered.Load(), Errors: p.errs.Load(),
		BufferedRows: uint64(len(p.in)), ScriptMessages: p.scriptMsgs.Load(), ScriptDrops: p.scriptDrops.Load()}
}

// Offer queues a row without blocking (flowexport.Sink).
func (p *Producer) Offer(r *flowexport.Row) bool {
	select {
	case p.in <- *r:
		p.queued.Add(1)
		return true
	default:
		p.bufDrops.Add(1)
		return false
	}
}

// Start creates the client (it connects lazily: brokers may be down) and
// the sending goroutine.
func (p *Producer) Start() error {
	c, err := kgo.NewClient(kgo.SeedBrokers(p.cfg.Brokers...), kgo.DefaultProduceTopic(p.cfg.Topic),
		kgo.MaxBufferedRecords(p.cfg.BufferRows), kgo.ProducerLinger(50*time.Millisecond))
	if err != nil {
		return fmt.Errorf("kafka %v: %w", p.cfg.Brokers, err)
	}
	p.client = c
	p.ctx, p.cancel = context.WithCancel(context.Background())
	go p.loop()
	return nil
}

// Stop sends what is buffered, waits up to FlushTimeout for the brokers'
// acknowledgements, and closes the client.
func (p *Producer) Stop() {
	p.stopOnce.Do(func() {
		if p.client == nil {
			return
		}
		close(p.stop)
		select {
		case <-p.done:
		case <-time.After(p.cfg.FlushTimeout):
			// With no broker the client's buffer stays full and Produce
			// blocks the loop: give up on what is left (each record's
			// promise then fails, counted) so that Stop ends.
			p.cancel()
			<-p.done
		}
		p.stopMu.Lock()
		p.stopped = true
		p.stopMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.FlushTimeout)
		if err := p.client.Flush(ctx); err != nil {
			p.log.Warn("kafka: flush at stop", "err", err)
		}
		cancel()
		p.cancel() // records still buffered fail (counted) as the client closes
		p.client.Close()
		p.inflight.Wait() // franz-go runs every promise once: the counters are final
	})
}

func (p *Producer) loop() {
	defer close(p.done)
	for {
		select {
		case r := <-p.in:
			p.produce(&r)
		case <-p.stop:
			for {
				select {
				case r := <-p.in:
					p.produce(&r)
				default:
					return
				}
			}
		}
	}
}

// maxScriptMessage bounds a message a script sends.
const maxScriptMessage = 1 << 20

// SendMessage queues msg for topic without blocking (ntop.sendKafkaMessage).
// It fails, counted, on a bad topic, an oversized message, a full buffer
// or a stopped producer; delivery failures are counted as Errors.
func (p *Producer) SendMessage(topic string, msg []byte) error {
	err := func() error {
		p.stopMu.RLock()
		defer p.stopMu.RUnlock()
		switch {
		case p.stopped:
			return errors.New("kafka: producer stopped")
		case !topicRE.MatchString(topic):
			return fmt.Errorf("kafka: bad topic %q", topic)
		case len(msg) > maxScriptMessage:
			return fmt.Errorf("kafka: message of %d bytes, over %d", len(msg), maxScriptMessage)
		case p.client == nil || p.ctx.Err() != nil:
			return errors.New("kafka: producer not running")
		}
		var perr error
		p.inflight.Add(1)
		p.client.TryProduce(p.ctx, &kgo.Record{Topic: topic, Value: append([]byte(nil), msg...)}, func(_ *kgo.Record, err error) {
			defer p.inflight.Done()
			if err != nil {
				if errors.Is(err, kgo.ErrMaxBuffered) {
					perr = err // TryProduce calls back at once when full
					return
				}
				p.errs.Add(1)
				p.rlog.Warn("kafka-produce", "kafka: script message lost", "topic", topic, "err", err)
				return
			}
			p.delivered.Add(1)
		})
		return perr
	}()
	if err != nil {
		p.scriptDrops.Add(1)
		return err
	}
	p.scriptMsgs.Add(1)
	return nil
}

func (p *Producer) produce(r *flowexport.Row) {
	rec := &kgo.Record{Value: r.AppendJSON(make([]byte, 0, 768))}
	p.inflight.Add(1)
	p.client.Produce(p.ctx, rec, func(_ *kgo.Record, err error) {
		defer p.inflight.Done()
		if err != nil {
			p.errs.Add(1)
			p.rlog.Warn("kafka-produce", "kafka: flow message lost", "topic", p.cfg.Topic, "err", err)
			return
		}
		p.delivered.Add(1)
	})
}
