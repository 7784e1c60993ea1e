package snmp

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"flowgate/internal/ratelog"
)

// IfPoint is one point of one interface of a device.
type IfPoint struct {
	IfIndex uint32
	Point
}

// SeriesStore keeps the interface series in place of the per-device files
// of <data dir>/snmp_series (flowgate's time-series store, through
// history/snmpseries). Deps.Series selects it.
type SeriesStore interface {
	// AppendIfPoints stores one poll's points of a device.
	AppendIfPoints(device string, pts []IfPoint) error
	// IfPoints calls fn with the device's points stamped at or after
	// since, each interface's in time order.
	IfPoints(device string, since int64, fn func(IfPoint)) error
}

// historySeries is the poller's persistence on a SeriesStore. At start it
// moves the points of the per-device files (this release's ".series" and
// the previous one's ".ts") into the store, once, and removes the files;
// then it loads each device's last retention into the rings.
type historySeries struct {
	st        SeriesStore
	files     *seriesStore // the old files' reader; nil without a data dir
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	rlog      *ratelog.Limiter

	records, writeErrs, migrated atomic.Uint64
}

func newHistorySeries(st SeriesStore, dataDir string, retention time.Duration, now func() time.Time, log *slog.Logger) *historySeries {
	h := &historySeries{st: st, retention: retention, now: now, log: log, rlog: ratelog.New(log, 10*time.Second)}
	if dataDir != "" {
		h.files = newSeriesStore(dataDir, retention, 1<<62, now, log)
	}
	return h
}

func (h *historySeries) start(keep []string, sink func(key string, ifIndex uint32, p Point)) error {
	var errs []error
	if err := h.migrate(keep); err != nil {
		errs = append(errs, err)
	}
	since := h.now().Add(-h.retention).Unix()
	for _, k := range keep {
		err := h.st.IfPoints(k, since, func(p IfPoint) { sink(k, p.IfIndex, p.Point) })
		if err != nil {
			h.writeErrs.Add(1)
			errs = append(errs, fmt.Errorf("snmp series of %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// migrate moves the files of the devices in keep into the store and
// removes every series file. A file whose points could not be stored is
// kept (the next start tries again).
func (h *historySeries) migrate(keep []string) error {
	if h.files == nil {
		return nil
	}
	ents, err := os.ReadDir(h.files.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("snmp series: %w", err)
	}
	want := map[string]string{}
	for _, k := range keep {
		base := strings.TrimSuffix(filepath.Base(h.files.pathOf(k)), seriesExt)
		want[base] = k
	}
	var errs []error
	for _, e := range ents {
		n := e.Name()
		base, isSeries := strings.CutSuffix(n, seriesExt)
		if !isSeries {
			base, isSeries = strings.CutSuffix(n, legacyExt)
		}
		if !isSeries {
			continue
		}
		key, ok := want[base]
		if ok {
			delete(want, base) // a device with both files: the first one read converts and reads both
			if err := h.migrateOne(key); err != nil {
				h.writeErrs.Add(1)
				errs = append(errs, err)
				continue
			}
		}
		// Moved, or the file of a device that is not configured any more
		// (dropped, as the file store drops it).
		_ = os.Remove(filepath.Join(h.files.dir, base+seriesExt))
		_ = os.Remove(filepath.Join(h.files.dir, base+legacyExt))
	}
	if rest, err := os.ReadDir(h.files.dir); err == nil {
		for _, e := range rest { // temporaries of interrupted rewrites
			if strings.Contains(e.Name(), ".tmp") {
				_ = os.Remove(filepath.Join(h.files.dir, e.Name()))
			}
		}
		_ = os.Remove(h.files.dir) // only when empty
	}
	return errors.Join(errs...)
}

func (h *historySeries) migrateOne(key string) error {
	var pts []IfPoint
	sf, err := h.files.openFile(h.files.pathOf(key), func(idx uint32, p Point) { pts = append(pts, IfPoint{idx, p}) })
	if err != nil {
		return fmt.Errorf("snmp series: migrating %s: %w", key, err)
	}
	_ = sf.log.Close()
	for len(pts) > 0 {
		n := min(len(pts), 4096)
		if err := h.st.AppendIfPoints(key, pts[:n]); err != nil {
			return fmt.Errorf("snmp series: migrating %s: %w", key, err)
		}
		h.migrated.Add(uint64(n))
		pts = pts[n:]
	}
	h.log.Info("snmp series file moved to the time-series store", "device", key, "points", h.migrated.Load())
	return nil
}

func (h *historySeries) append(key string, recs []byte) {
	if len(recs) == 0 || len(recs)%seriesRecLen != 0 {
		return
	}
	pts := make([]IfPoint, 0, len(recs)/seriesRecLen)
	for i := 0; i < len(recs); i += seriesRecLen {
		if idx, p, ok := decodeRecord(recs[i : i+seriesRecLen]); ok {
			pts = append(pts, IfPoint{idx, p})
		}
	}
	if err := h.st.AppendIfPoints(key, pts); err != nil {
		h.writeErrs.Add(1)
		h.rlog.Warn("series:"+key, "snmp series not written", "device", key, "err", err)
		return
	}
	h.records.Add(uint64(len(pts)))
}
