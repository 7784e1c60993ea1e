package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"flowgate/collectors/zmq/emulator"
	"flowgate/internal/testwait"
)

// writeCityDB builds a GeoLite2-City database mapping each CIDR to a country.
func writeCityDB(t *testing.T, dir string, countries map[string]string) {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, cc := range countries {
		_, n, _ := net.ParseCIDR(cidr)
		if err := w.Insert(n, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(filepath.Join(dir, "GeoLite2-City.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

// TestSeedSuspiciousCountries runs the suspicious-countries flow script of
// the project's first examples (testdata/seeds) with --geoip-dir:
// flows with a peer in "China" (a test database maps 10.1.0.0/28 there)
// print "From China", once per such flow.
func TestSeedSuspiciousCountries(t *testing.T) {
	data := t.TempDir()
	geo := t.TempDir()
	writeCityDB(t, geo, map[string]string{"10.1.0.0/28": "CN", "10.1.0.16/28": "FR"})
	flowDir := filepath.Join(data, "scripts", "callbacks", "interface", "flow")
	os.MkdirAll(flowDir, 0o755)
	src, _ := os.ReadFile("testdata/seeds/suspicious_countries.lua")
	os.WriteFile(filepath.Join(flowDir, "suspicious_countries.lua"), src, 0o644)

	// tprint writes to standard output (file descriptor 1, which the Lua io
	// library holds): point that descriptor at a pipe for the test.
	r, w, _ := os.Pipe()
	saved, err := syscall.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(w.Fd()), 1); err != nil {
		t.Fatal(err)
	}
	defer syscall.Dup2(saved, 1)
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	zport := freePort(t)
	opts, err := parseArgs([]string{"-i", fmt.Sprintf("tcp://127.0.0.1:%dc", zport), "-w", "127.0.0.1:0",
		"-d", data, "--geoip-dir", geo, "--disable-login"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	// 20 hosts 10.1.0.0-19: flow i has client i%20 and server (i+1+(i/20)%19)%20.
	rep, err := emulator.Run(context.Background(), emulator.Config{
		Endpoint: fmt.Sprintf("tcp://127.0.0.1:%d", zport), ProbeMode: true, Header: 3, TLV: true,
		Batch: 40, Total: 200, Hosts: 20, Flows: 200,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := 0; i < int(rep.DistinctFlows); i++ {
		cli, srv := i%20, (i%20+1+(i/20)%19)%20
		if cli < 16 || srv < 16 {
			want++
		}
	}
	got := 0
	timeout := time.After(testwait.Timeout)
	for got < want {
		select {
		case l := <-lines:
			if strings.Contains(l, "From China") {
				got++
			}
		case <-timeout:
			t.Fatalf("%d flows printed \"From China\", want %d", got, want)
		}
	}
	// Nothing more than that.
	select {
	case l := <-lines:
		if strings.Contains(l, "From China") {
			t.Errorf("more flows than expected printed %q", l)
		}
	case <-time.After(300 * time.Millisecond):
	}
}
