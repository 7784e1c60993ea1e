package tsdb

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"flowgate/store"
)

// The storage candidates of README.md ("why this storage"): these SQLite
// tables and a record log of package store (one frame per point: series
// u32, t u32, 4 float64). Same points, same machine.

const benchSeries = 10000

func benchOpen(b *testing.B) *DB {
	b.Helper()
	d, err := Open(Config{Path: filepath.Join(b.TempDir(), "ts.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

// BenchmarkWrite is the cost of one point of a 10,000-series round (a
// 300 s host round writes one per host and protocol), per candidate.
func BenchmarkWrite(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		d := benchOpen(b)
		sids := make([]int64, benchSeries)
		for i := range sids {
			s, err := d.Register("host:traffic", fmt.Sprintf("ifid=0,host=10.0.%d.%d", i/256, i%256), 300)
			if err != nil {
				b.Fatal(err)
			}
			sids[i] = s.ID
		}
		pts := make([]Point, benchSeries)
		b.ResetTimer()
		t := int64(1_700_000_000)
		for done := 0; done < b.N; {
			n := min(benchSeries, b.N-done)
			for i := range n {
				pts[i] = Point{SID: sids[i], T: t, V: [MaxMetrics]float64{float64(i), float64(2 * i), math.NaN(), math.NaN(), math.NaN()}}
			}
			if err := d.Write(pts[:n]); err != nil {
				b.Fatal(err)
			}
			done += n
			t += 300
		}
	})
	b.Run("log", func(b *testing.B) {
		l, err := store.OpenLog(filepath.Join(b.TempDir(), "ts.log"), store.LogOptions{Sync: store.SyncBatch, BufferSize: 1 << 16, MaxRecord: 64}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		rec := make([]byte, 40)
		b.ResetTimer()
		t := uint32(1_700_000_000)
		for i := range b.N {
			binary.LittleEndian.PutUint32(rec[0:], uint32(i%benchSeries))
			binary.LittleEndian.PutUint32(rec[4:], t)
			binary.LittleEndian.PutUint64(rec[8:], math.Float64bits(float64(i)))
			binary.LittleEndian.PutUint64(rec[16:], math.Float64bits(float64(2*i)))
			if err := l.Append(rec); err != nil {
				b.Fatal(err)
			}
			if i%benchSeries == benchSeries-1 {
				t += 300
				if err := l.Sync(); err != nil { // one fsync per round, as SQLite's commit
					b.Fatal(err)
				}
			}
		}
	})
}

// consolidate averages rows into n buckets over [begin, end).
func consolidate(rows []Row, begin, end int64, n int) []float64 {
	w := (end - begin + int64(n) - 1) / int64(n)
	sum := make([]float64, n)
	cnt := make([]float64, n)
	for _, r := range rows {
		i := (r.T - begin) / w
		if i < 0 || i >= int64(n) || math.IsNaN(r.V[0]) {
			continue
		}
		sum[i] += r.V[0] * float64(r.Dur)
		cnt[i] += float64(r.Dur)
	}
	for i := range sum {
		if cnt[i] > 0 {
			sum[i] /= cnt[i]
		} else {
			sum[i] = math.NaN()
		}
	}
	return sum
}

// BenchmarkDayQuery is a day of a 1 s series (iface:traffic) consolidated
// to 180 points: SQLite from the 1 min tier (what ts.lua reads for a day),
// SQLite from the raw 1 s tier, and the log candidate scanning its file.
func BenchmarkDayQuery(b *testing.B) {
	const begin = int64(1_700_000_000)
	end := begin + day
	now := time.Unix(end, 0)
	d := benchOpen(b)
	s, err := d.Register("iface:traffic", "ifid=0", 1)
	if err != nil {
		b.Fatal(err)
	}
	pts := make([]Point, 0, 3600)
	for t := begin; t < end; t++ {
		pts = append(pts, Point{SID: s.ID, T: t, V: [MaxMetrics]float64{float64(t % 1000), math.NaN(), math.NaN(), math.NaN(), math.NaN()}})
		if len(pts) == cap(pts) {
			if err := d.Write(pts); err != nil {
				b.Fatal(err)
			}
			pts = pts[:0]
		}
	}
	if err := d.Maintain(context.Background(), now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(b *testing.B, width int64) {
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			t0 := time.Now()
			rows, _, err := d.Read(ctx, s, begin, end, width, now)
			if err != nil || len(rows) == 0 {
				b.Fatal(err, len(rows))
			}
			_ = consolidate(rows, begin, end, 180)
			lat = append(lat, time.Since(t0))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	}
	b.Run("sqlite-1m-tier", func(b *testing.B) { run(b, 480) })
	b.Run("sqlite-raw-tier", func(b *testing.B) { run(b, 1) })
	b.Run("log", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "iface.log")
		l, err := store.OpenLog(path, store.LogOptions{BufferSize: 1 << 16, MaxRecord: 64}, nil)
		if err != nil {
			b.Fatal(err)
		}
		rec := make([]byte, 40)
		for t := begin; t < end; t++ {
			binary.LittleEndian.PutUint32(rec[0:], 1)
			binary.LittleEndian.PutUint32(rec[4:], uint32(t))
			binary.LittleEndian.PutUint64(rec[8:], math.Float64bits(float64(t%1000)))
			if err := l.Append(rec); err != nil {
				b.Fatal(err)
			}
		}
		l.Close()
		b.ResetTimer()
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			t0 := time.Now()
			var rows []Row
			_, err := store.ReadLog(path, 64, func(r []byte) error {
				t := int64(binary.LittleEndian.Uint32(r[4:]))
				if binary.LittleEndian.Uint32(r) == 1 && t >= begin && t < end {
					rows = append(rows, Row{T: t, Dur: 1, V: [MaxMetrics]float64{math.Float64frombits(binary.LittleEndian.Uint64(r[8:]))}})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			_ = consolidate(rows, begin, end, 180)
			lat = append(lat, time.Since(t0))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})
}

// BenchmarkDiskPerHost writes a day of host:traffic and three host:ndpi
// series for 1,000 hosts (ntopng's 300 s step: 288 points each) with the
// day's roll-ups, and reports the database bytes per host.
func BenchmarkDiskPerHost(b *testing.B) {
	diskPerHost(b, 300, 2, func(d *DB, h int) ([]int64, error) {
		var sids []int64
		for _, sc := range []string{"host:traffic", "host:ndpi|HTTP", "host:ndpi|TLS", "host:ndpi|DNS"} {
			s, err := d.Register(sc, fmt.Sprintf("ifid=0,host=10.1.%d.%d", h/256, h%256), 300)
			if err != nil {
				return nil, err
			}
			sids = append(sids, s.ID)
		}
		return sids, nil
	})
}

// BenchmarkDiskPerAMHost writes a day of am_host:val_min for 1,000
// monitored hosts (one measurement a minute: 1,440 points each) with the
// day's roll-ups, and reports the database bytes per monitored host.
func BenchmarkDiskPerAMHost(b *testing.B) {
	diskPerHost(b, 60, 1, func(d *DB, h int) ([]int64, error) {
		s, err := d.Register("am_host:val_min", fmt.Sprintf("ifid=-1,host=192.0.%d.%d,metric=icmp", h/256, h%256), 60)
		if err != nil {
			return nil, err
		}
		return []int64{s.ID}, nil
	})
}

// diskPerHost writes a day of points every step, with metrics values
// each, to the series register gives each of 1,000 hosts, runs the day's
// roll-ups, and reports the database bytes per host.
func diskPerHost(b *testing.B, step int64, metrics int, register func(d *DB, h int) ([]int64, error)) {
	const hosts = 1000
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		d, err := Open(Config{Path: filepath.Join(dir, "ts.db")})
		if err != nil {
			b.Fatal(err)
		}
		var sids []int64
		for h := range hosts {
			s, err := register(d, h)
			if err != nil {
				b.Fatal(err)
			}
			sids = append(sids, s...)
		}
		b.StartTimer()
		begin := int64(1_700_000_000) / day * day
		pts := make([]Point, len(sids))
		for t := begin; t < begin+day; t += step {
			for i, sid := range sids {
				p := Point{SID: sid, T: t, V: [MaxMetrics]float64{float64(i), float64(t % 977), math.NaN(), math.NaN(), math.NaN()}}
				for m := metrics; m < MaxMetrics; m++ {
					p.V[m] = math.NaN()
				}
				pts[i] = p
			}
			if err := d.Write(pts); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Maintain(context.Background(), time.Unix(begin+day+3600, 0)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d.Close()
		var size int64
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil {
				size += fi.Size()
			}
		}
		b.ReportMetric(float64(size)/hosts, "bytes/host/day")
		b.StartTimer()
	}
}

// BenchmarkRollupHour is the hourly roll-up of 100,000 300 s series (an
// hour of raw points: 1.2 M rows) into the 1 h tier, as Maintain runs it
// once an hour; 100,000 local hosts with six series each take six times
// this. It reports the seconds of one roll-up.
func BenchmarkRollupHour(b *testing.B) {
	const series = 100_000
	for range b.N {
		b.StopTimer()
		d := benchOpen(b)
		list := make([]NewSeries, series)
		for i := range list {
			list[i] = NewSeries{Schema: "host:traffic", Tags: fmt.Sprintf("ifid=0,host=10.%d.%d.%d", i>>16, (i>>8)&255, i&255), Step: 300}
		}
		ss, err := d.RegisterMany(list)
		if err != nil {
			b.Fatal(err)
		}
		hour := int64(1_700_000_000) / 3600 * 3600
		pts := make([]Point, series)
		for t := hour + 300; t <= hour+3600; t += 300 {
			for i, s := range ss {
				pts[i] = Point{SID: s.ID, T: t, V: [MaxMetrics]float64{float64(i), 1, math.NaN(), math.NaN(), math.NaN()}}
			}
			if err := d.Write(pts); err != nil {
				b.Fatal(err)
			}
		}
		// The first Maintain sets the watermarks from the oldest point.
		b.StartTimer()
		t0 := time.Now()
		if err := d.Maintain(context.Background(), time.Unix(hour+3600+grace, 0)); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t0).Seconds(), "s/rollup")
		b.StopTimer()
		if n, _ := d.Count(context.Background(), Tier1h); n != series {
			b.Fatalf("1 h tier holds %d points, want %d", n, series)
		}
		b.StartTimer()
	}
}
