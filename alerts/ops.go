package alerts

import (
	"context"
	"time"
)

// Operations users run on the history (REST acknowledge/delete, and the
// retention bounds). Engaged alerts are live state: they are neither
// acknowledged nor deleted here, only their history is.

// OpsCounters are the totals of the history operations.
type OpsCounters struct {
	Acknowledged uint64
	Deleted      uint64
	Expired      uint64 // removed by Retain
}

// OpsCounters returns the running totals of Acknowledge, Delete and Retain.
func (s *Store) OpsCounters() OpsCounters {
	return OpsCounters{Acknowledged: s.acked.Load(), Deleted: s.deleted.Load(), Expired: s.expired.Load()}
}

// selects reports whether a historical alert is chosen by q and, when ids
// is not empty, is one of them.
func selects(q *Query, ids map[uint64]bool, a *Alert) bool {
	if len(ids) > 0 && !ids[a.ID] {
		return false
	}
	return q.match(a)
}

func idSet(ids []uint64) map[uint64]bool {
	if len(ids) == 0 {
		return nil
	}
	m := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Acknowledge marks the historical alerts matching q (and ids, when given)
// as acknowledged and returns how many changed.
func (s *Store) Acknowledge(q Query, ids []uint64) int {
	n, _ := s.AcknowledgeLabel(q, ids, "")
	return n
}

// AcknowledgeLabel is Acknowledge with ntopng's user_label and the
// History's error.
func (s *Store) AcknowledgeLabel(q Query, ids []uint64, label string) (int, error) {
	if h := s.cfg.History; h != nil {
		n, err := h.Acknowledge(q, ids, label)
		s.acked.Add(uint64(n))
		return n, err
	}
	set := idSet(ids)
	n := 0
	s.mu.Lock()
	for i := range s.hist {
		if a := &s.hist[i]; !a.Acknowledged && selects(&q, set, a) {
			a.Acknowledged = true
			a.UserLabel = label
			n++
		}
	}
	s.mu.Unlock()
	s.acked.Add(uint64(n))
	return n, nil
}

// Delete removes the historical alerts matching q (and ids, when given)
// and returns how many it removed.
func (s *Store) Delete(q Query, ids []uint64) int {
	n, _ := s.DeleteErr(q, ids)
	return n
}

// DeleteErr is Delete with the History's error.
func (s *Store) DeleteErr(q Query, ids []uint64) (int, error) {
	if h := s.cfg.History; h != nil {
		n, err := h.Delete(q, ids)
		s.deleted.Add(uint64(n))
		return n, err
	}
	set := idSet(ids)
	s.mu.Lock()
	n := s.filterLocked(func(a *Alert) bool { return !selects(&q, set, a) })
	s.mu.Unlock()
	s.deleted.Add(uint64(n))
	return n, nil
}

// Retain drops historical alerts that ended more than maxAge before now
// (0: no age bound) and then the oldest beyond maxCount (0: no count bound
// but the store's HistorySize). It returns how many it removed.
func (s *Store) Retain(now time.Time, maxAge time.Duration, maxCount int) int {
	if h := s.cfg.History; h != nil {
		n, _ := h.Retain(now, maxAge, maxCount)
		s.expired.Add(uint64(n))
		return n
	}
	cut := int64(0)
	if maxAge > 0 {
		cut = now.Add(-maxAge).Unix()
	}
	s.mu.Lock()
	n := s.filterLocked(func(a *Alert) bool { return cut == 0 || a.TstampEnd >= cut })
	if maxCount > 0 {
		if extra := len(s.hist) - maxCount; extra > 0 {
			skip := extra
			n += s.filterLocked(func(*Alert) bool {
				if skip > 0 {
					skip--
					return false
				}
				return true
			})
		}
	}
	s.mu.Unlock()
	s.expired.Add(uint64(n))
	return n
}

// RunRetention calls Retain every period until ctx ends (the wiring starts
// it in a goroutine when a retention bound is configured).
func (s *Store) RunRetention(ctx context.Context, every, maxAge time.Duration, maxCount int) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.Retain(now, maxAge, maxCount)
		}
	}
}

// filterLocked keeps the history entries for which keep is true, oldest
// first, and returns how many it removed. The ring restarts unrotated.
func (s *Store) filterLocked(keep func(*Alert) bool) int {
	ordered := make([]Alert, 0, len(s.hist))
	if s.full {
		ordered = append(append(ordered, s.hist[s.head:]...), s.hist[:s.head]...)
	} else {
		ordered = append(ordered, s.hist...)
	}
	kept := ordered[:0]
	for i := range ordered {
		if keep(&ordered[i]) {
			kept = append(kept, ordered[i])
		}
	}
	removed := len(ordered) - len(kept)
	if removed == 0 {
		return 0
	}
	s.hist = append(make([]Alert, 0, len(kept)), kept...)
	s.head = 0
	s.full = len(s.hist) >= s.cfg.HistorySize
	return removed
}
