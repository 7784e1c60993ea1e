package clickhouse

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"flowgate/flowexport"
	"flowgate/flowexport/clickhouse/chtest"
)

// BenchmarkInsert measures one INSERT of 100,000 flow rows into Debian's
// ClickHouse: "columnar" is the writer's path (typed column slices),
// "rowwise" is clickhouse-go's Append per row over the same rows, the
// choice the writer was measured against (docs/clickhouse.md).
//
//	go test -run XXX -bench Insert -benchtime 10x ./flowexport/clickhouse
func BenchmarkInsert(b *testing.B) {
	srv := chtest.Start(b)
	cfg := DefaultConfiguration()
	cfg.Addr, cfg.Password, cfg.Metrics = srv.Addr, chtest.Password, prometheus.NewRegistry()
	w, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	rows := make([]flowexport.Row, 100000)
	for i := range rows {
		rows[i] = testRows(1, i)[0]
	}
	if err := w.insert(rows[:1]); err != nil { // creates the table
		b.Fatal(err)
	}
	b.Run("columnar", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := w.insert(rows); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("rowwise", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			bt, err := w.conn.PrepareBatch(ctx, insertSQL(cfg.Database, cfg.Table))
			if err != nil {
				b.Fatal(err)
			}
			cols := buildColumns(rows)
			vals := make([]any, len(cols))
			for r := range rows {
				for c := range cols {
					vals[c] = indexAny(cols[c], r)
				}
				if err := bt.Append(vals...); err != nil {
					b.Fatal(err)
				}
			}
			if err := bt.Send(); err != nil {
				b.Fatal(err)
			}
			cancel()
		}
		b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
	})
}

func indexAny(col any, i int) any {
	switch c := col.(type) {
	case []uint8:
		return c[i]
	case []uint16:
		return c[i]
	case []uint32:
		return c[i]
	case []uint64:
		return c[i]
	case []string:
		return c[i]
	case []time.Time:
		return c[i]
	case [][]byte:
		return string(c[i])
	}
	panic("column type")
}
