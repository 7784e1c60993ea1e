package rrd

import "testing"

// DERIVE as rrdtool documents it and ntopng's RRD driver uses it (minimum
// 0): the rate of an update is (value - previous) / seconds since the
// previous update, a negative rate (a counter reset) is below the minimum
// and unknown, and a primary data point is the time-weighted average of
// the known rates over its step, unknown when more than half of it is.
// Updates fall between the 60 s step boundaries, so each point mixes two
// rates or a rate and an unknown interval.
func TestDeriveMinZeroBetweenSteps(t *testing.T) {
	r, err := Create(60, 1200, []string{"DS:bytes:DERIVE:120:0:U", "RRA:AVERAGE:0.5:1:10", "RRA:MAX:0.5:1:10"})
	if err != nil {
		t.Fatal(err)
	}
	update(t, r, "1230:100")  // the first value: no rate, (1200, 1230] unknown
	update(t, r, "1290:700")  // (1230, 1290] at 600/60 = 10/s
	update(t, r, "1350:400")  // the counter went down: -5/s < 0, (1290, 1350] unknown
	update(t, r, "1410:1600") // (1350, 1410] at 1200/60 = 20/s
	update(t, r, "1470:1900") // (1410, 1470] at 300/60 = 5/s
	update(t, r, "1630:2000") // 160 s > heartbeat 120: (1470, 1630] unknown
	update(t, r, "1650:2400") // (1630, 1650] at 20/s
	update(t, r, "1700:2700") // (1650, 1700] at 6/s
	f, err := r.Fetch(Average, 1200, 1680, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The steps end at multiples of 60. PDP 1260: 30 s unknown, 30 s at 10
	// (half unknown: known); 1320: 30 s at 10, 30 s unknown; 1380: 30 s
	// unknown, 30 s at 20; 1440: 30 s at 20, 30 s at 5 = 12.5; 1500, 1560,
	// 1620: unknown, 1500 too although its first 30 s were at 5: the
	// update that completes it (1630) spans more than the heartbeat, and
	// rrdtool's rrd_update then makes every PDP it completes unknown; 1680:
	// 10 s unknown, 20 s at 20, 30 s at 6 = (400 + 180) / 50 = 11.6.
	want := []float64{10, 10, 20, 12.5, nan, nan, nan, 11.6}
	checkSeries(t, "DERIVE min 0", column(t, f, 0), want)
	fm, err := r.Fetch(Max, 1200, 1680, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, "DERIVE min 0, MAX of one PDP", column(t, fm, 0), want)
}
