package engine

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain runs every test twice: with one owner goroutine per interface,
// and with two shards (shard.go), whose results must be the same.
// Benchmarks (-bench) run once: they choose their shard counts.
func TestMain(m *testing.M) {
	for _, n := range []int{1, 2} {
		testShards = n
		if code := m.Run(); code != 0 {
			fmt.Fprintf(os.Stderr, "engine tests failed with %d shard(s)\n", n)
			os.Exit(code)
		}
		if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
			break
		}
	}
	os.Exit(0)
}
