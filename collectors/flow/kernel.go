package flow

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// udpLines returns the /proc/net/udp{,6} rows (fields: sl local rem st
// tx:rx tr:when retr uid timeout inode ref pointer drops) of the sockets
// bound to port; none where /proc is not there.
func udpLines(port int) [][]string {
	want := fmt.Sprintf(":%04X", port)
	var out [][]string
	for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			fs := strings.Fields(l)
			if len(fs) >= 13 && strings.HasSuffix(fs[1], want) {
				out = append(out, fs)
			}
		}
	}
	return out
}

// kernelDrops sums the drops column of the sockets bound to port (the
// SO_REUSEPORT group): datagrams the kernel discarded because a receive
// buffer was full.
func kernelDrops(port int) uint64 {
	if port == 0 {
		return 0
	}
	var sum uint64
	for _, fs := range udpLines(port) {
		if n, err := strconv.ParseUint(fs[len(fs)-1], 10, 64); err == nil {
			sum += n
		}
	}
	return sum
}

// udpLine returns the first row of udpLines (tests: is the port bound,
// how full is its queue).
func udpLine(port int) []string {
	if l := udpLines(port); len(l) > 0 {
		return l[0]
	}
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
