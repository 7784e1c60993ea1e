package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flowgate/flowexport/clickhouse/chtest"
	"flowgate/internal/testpeer"
	"flowgate/internal/testwait"
	"flowgate/store/kv/kvtest"
)

// instance is one flowgate child process of TestInstancesShareBackends.
type instance struct {
	name    string
	c       *client
	netflow int // its netflow:// UDP port
}

// startInstance runs flowgate in a child process (the test binary re-run
// as TestAlertStoreChildProcess) with the shared back ends.
func startInstance(t *testing.T, name, redis, influxURL, clickhouse, scripts string) *instance {
	t.Helper()
	port := freeUDPPort(t)
	args := []string{
		"-i", fmt.Sprintf("netflow://127.0.0.1:%d", port),
		"-w", "127.0.0.1:0", "-d", t.TempDir(), "--disable-login", "-m", "10.0.0.0/8",
		"-r", redis, "--ts-influxdb", influxURL, "-F", clickhouse, "--scripts-dir", scripts, "--instance-name", name,
		"--flow-idle-timeout", "1", // flows end (and reach ClickHouse) soon after the last record
	}
	_, c := startChild(t, args)
	return &instance{name: name, c: c, netflow: port}
}

// v9Export is a NetFlow v9 template and one data datagram of n records
// (source 10.<net>.0.i, 100 bytes and 2 packets each).
func v9Export(net byte, n int) (template, data []byte) {
	fields := [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}}
	header := func(seq uint32, sets ...[]byte) []byte {
		p := binary.BigEndian.AppendUint16(nil, 9)
		p = binary.BigEndian.AppendUint16(p, uint16(len(sets)))
		p = binary.BigEndian.AppendUint32(p, 60000)
		p = binary.BigEndian.AppendUint32(p, 1700000000)
		p = binary.BigEndian.AppendUint32(p, seq)
		p = binary.BigEndian.AppendUint32(p, 1)
		for _, s := range sets {
			p = append(p, s...)
		}
		return p
	}
	set := func(id uint16, body []byte) []byte {
		s := binary.BigEndian.AppendUint16(nil, id)
		s = binary.BigEndian.AppendUint16(s, uint16(4+len(body)))
		return append(s, body...)
	}
	tb := binary.BigEndian.AppendUint16(nil, 256)
	tb = binary.BigEndian.AppendUint16(tb, uint16(len(fields)))
	for _, f := range fields {
		tb = binary.BigEndian.AppendUint16(tb, f[0])
		tb = binary.BigEndian.AppendUint16(tb, f[1])
	}
	var db []byte
	for i := 0; i < n; i++ {
		db = append(db, 10, net, 0, byte(1+i), 10, net, 1, 1)
		db = binary.BigEndian.AppendUint16(db, uint16(40000+i))
		db = binary.BigEndian.AppendUint16(db, 443)
		db = append(db, 6)
		db = binary.BigEndian.AppendUint32(db, 100)
		db = binary.BigEndian.AppendUint32(db, 2)
	}
	return header(0, set(0, tb)), header(1, set(256, db))
}

// TestInstancesShareBackends: two flowgate processes named site-a and
// site-b share one Redis (-r), one InfluxDB (--ts-influxdb) and one
// ClickHouse (-F), each fed its own NetFlow exporter. Each publishes its
// interface totals through ntop.setCache; each reads the other's through
// ntop.getCache; InfluxDB holds each instance's iface:traffic series under
// its instance tag, equal to that instance's own REST totals; the flows
// table holds each instance's ended flows under NTOPNG_INSTANCE_NAME.
func TestInstancesShareBackends(t *testing.T) {
	redis := kvtest.StartRedis(t, "")
	influxd := testpeer.StartInfluxd(t)
	if _, err := influxd.Query("", "CREATE DATABASE flowgate"); err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Abs("testdata/instances")
	if err != nil {
		t.Fatal(err)
	}
	influxURL := "http://" + influxd.Addr + "/flowgate"
	ch := chtest.Start(t)
	chHost, chPort, _ := net.SplitHostPort(ch.Addr)
	chSpec := fmt.Sprintf("clickhouse;%s@%s;ntopng;default;%s", chHost, chPort, chtest.Password)
	a := startInstance(t, "site-a", redis, influxURL, chSpec, scripts)
	b := startInstance(t, "site-b", redis, influxURL, chSpec, scripts)

	// Different flows: 3 records to site-a, 5 to site-b.
	want := map[*instance]uint64{a: 3 * 100, b: 5 * 100}
	for inst, n := range map[*instance]int{a: 3, b: 5} {
		tmpl, data := v9Export(byte(len(inst.name)+int(n)), n)
		conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", inst.netflow))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range [][]byte{tmpl, data} {
			if _, err := conn.Write(p); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close()
	}
	for _, inst := range []*instance{a, b} {
		testwait.ForState(t, inst.name+" REST interface bytes", func() (any, bool) {
			env, code := inst.c.get("/lua/rest/v2/get/interface/data.lua?ifid=0")
			if code != 200 {
				return code, false
			}
			rsp, _ := env["rsp"].(map[string]any)
			got := num(rsp["bytes"])
			return got, got == want[inst]
		})
		if env, code := inst.c.get("/lua/rest/v2/get/test/instance.lua?publish=" + inst.name); code != 200 {
			t.Fatalf("%s publish: %d %v", inst.name, code, env)
		}
	}
	// Each instance reads the other's totals from the shared Redis.
	for _, pair := range [][2]*instance{{a, b}, {b, a}} {
		reader, other := pair[0], pair[1]
		env, code := reader.c.get("/lua/rest/v2/get/test/instance.lua?name=" + other.name)
		rsp, _ := env["rsp"].(map[string]any)
		if code != 200 || num(rsp["bytes"]) != want[other] || num(rsp["packets"]) != want[other]/50 {
			t.Fatalf("%s reading %s's totals: %d %v (want %d bytes)", reader.name, other.name, code, env, want[other])
		}
	}
	if env, code := a.c.get("/lua/rest/v2/get/test/instance.lua?name=bad%20name"); code != 400 {
		t.Fatalf("bad name: %d %v", code, env)
	}
	// InfluxDB: one iface:traffic series per instance tag, each reaching
	// that instance's own byte total.
	for _, inst := range []*instance{a, b} {
		q := fmt.Sprintf(`SELECT max("bytes") FROM "iface:traffic" WHERE "instance" = '%s' AND "ifid" = '0'`, inst.name)
		testwait.ForState(t, inst.name+" bytes in InfluxDB", func() (any, bool) {
			series, err := influxd.Query("flowgate", q)
			if err != nil {
				return err.Error(), false
			}
			if len(series) != 1 || len(series[0].Values) != 1 || len(series[0].Values[0]) != 2 {
				return series, false
			}
			got, _ := series[0].Values[0][1].(float64)
			return got, uint64(got) == want[inst]
		})
	}
	series, err := influxd.Query("flowgate", `SHOW TAG VALUES FROM "iface:traffic" WITH KEY = "instance"`)
	if err != nil || len(series) != 1 || len(series[0].Values) != 2 {
		t.Fatalf("instance tag values: %v %+v", err, series)
	}
	// ClickHouse: each instance's ended flows under its name.
	conn := ch.Conn(t)
	testwait.ForState(t, "ended flows of both instances in ClickHouse", func() (any, bool) {
		rows, err := conn.Query(context.Background(), "SELECT NTOPNG_INSTANCE_NAME, count(), sum(SRC2DST_BYTES) FROM ntopng.flows GROUP BY NTOPNG_INSTANCE_NAME ORDER BY NTOPNG_INSTANCE_NAME")
		if err != nil {
			return err.Error(), false
		}
		defer rows.Close()
		got := map[string][2]uint64{}
		for rows.Next() {
			var name string
			var n, bytes uint64
			if err := rows.Scan(&name, &n, &bytes); err != nil {
				return err.Error(), false
			}
			got[name] = [2]uint64{n, bytes}
		}
		return got, got[a.name] == [2]uint64{3, want[a]} && got[b.name] == [2]uint64{5, want[b]} && len(got) == 2
	})
}

// TestInstanceNameOption: --instance-name defaults to the host name and
// refuses empty, overlong and control-character names.
func TestInstanceNameOption(t *testing.T) {
	host, _ := os.Hostname()
	if host == "" {
		host = "flowgate"
	}
	for _, c := range []struct {
		args []string
		want string // "" : refused
	}{
		{nil, host},
		{[]string{"--instance-name", "site-a"}, "site-a"},
		{[]string{"--instance-name", " paris dc1 "}, "paris dc1"},
		{[]string{"--instance-name", ""}, ""},
		{[]string{"--instance-name", strings.Repeat("x", 65)}, ""},
		{[]string{"--instance-name", "a\nb"}, ""},
	} {
		opts, err := parseArgs(c.args)
		if c.want == "" {
			if err == nil || !strings.Contains(err.Error(), "instance-name") {
				t.Errorf("%q: accepted or unclear error: %v", c.args, err)
			}
			continue
		}
		if err != nil || opts.InstanceName != c.want {
			t.Errorf("%q: %q, %v; want %q", c.args, opts.InstanceName, err, c.want)
		}
	}
}
