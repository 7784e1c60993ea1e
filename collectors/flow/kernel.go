package flow

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// kernelDrops sums the "drops" column of /proc/net/udp and /proc/net/udp6
// for the sockets bound to port: datagrams the kernel discarded because
// the receive buffer was full (0 where /proc is not there).
func kernelDrops(port int) uint64 {
	if port == 0 {
		return 0
	}
	want := fmt.Sprintf(":%04X", port)
	var sum uint64
	for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			// sl local rem st tx:rx tr:when retr uid timeout inode ref pointer drops
			if len(fs) < 13 || !strings.HasSuffix(fs[1], want) {
				continue
			}
			if n, err := strconv.ParseUint(fs[len(fs)-1], 10, 64); err == nil {
				sum += n
			}
		}
		f.Close()
	}
	return sum
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// udpLine returns the /proc/net/udp fields of the socket bound to port.
func udpLine(port int) []string {
	want := fmt.Sprintf(":%04X", port)
	for _, p := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			fs := strings.Fields(l)
			if len(fs) >= 13 && strings.HasSuffix(fs[1], want) {
				return fs
			}
		}
	}
	return nil
}
