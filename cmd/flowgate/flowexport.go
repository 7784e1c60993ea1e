package main

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/flowexport"
	chflows "flowgate/flowexport/clickhouse"
	"flowgate/flowexport/kafka"
)

// flowExport wires -F clickhouse and --kafka: a tap on the engine's flow
// events feeding the ClickHouse writer and the Kafka producer. Called before
// the engine is added, so both stop after it and get the rows of the flows
// its Stop ends. It returns the writer (nil without -F) for the historical
// flows REST and the producer (nil without --kafka) for ntop.sendKafkaMessage.
func (a *app) flowExport(opts Options, log *slog.Logger, reg prometheus.Registerer) (*chflows.Writer, *kafka.Producer, error) {
	var sinks []flowexport.Sink
	var writer *chflows.Writer
	var producer *kafka.Producer
	if opts.ClickHouse != "" {
		cfg := chflows.DefaultConfiguration()
		if err := chflows.ParseSpec(opts.ClickHouse, &cfg); err != nil {
			return nil, nil, err
		}
		cfg.DataDir, cfg.Logger, cfg.Metrics = opts.DataDir, log, reg
		w, err := chflows.New(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("-F: %w", err)
		}
		a.add("ClickHouse flow dump", w.Start, w.Stop)
		sinks, writer = append(sinks, w), w
	}
	if opts.Kafka != "" {
		cfg := kafka.DefaultConfiguration()
		brokers, topic, err := kafka.ParseSpec(opts.Kafka)
		if err != nil {
			return nil, nil, err
		}
		cfg.Brokers, cfg.Topic, cfg.Logger, cfg.Metrics = brokers, topic, log, reg
		p, err := kafka.New(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("--kafka: %w", err)
		}
		a.add("Kafka flow bus", p.Start, p.Stop)
		sinks, producer = append(sinks, p), p
	}
	if len(sinks) == 0 {
		return nil, nil, nil
	}
	tcfg := flowexport.DefaultConfiguration()
	tcfg.Instance, tcfg.Metrics = opts.InstanceName, reg
	tap, err := flowexport.New(tcfg, sinks...)
	if err != nil {
		return nil, nil, err
	}
	a.eng.Observe(tap.Observer)
	return writer, producer, nil
}
