package zmtp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadMessage feeds arbitrary bytes to the frame and command parser:
// it must never panic, never return a frame above the limit, and end with
// EOF or a classified error.
func FuzzReadMessage(f *testing.F) {
	f.Add(append(appendFrameHeader(nil, flagMore, 4), "flow\x00\x03abc"...))
	f.Add(append(appendFrameHeader(nil, 0, 300), make([]byte, 300)...))
	f.Add(appendCommand(nil, "SUBSCRIBE", []byte("flow")))
	f.Add(appendCommand(nil, "READY", appendMetadata(nil, "Socket-Type", "PUB")))
	f.Add([]byte{0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x04, 0x05, 0x03, 'B', 'A', 'D', 0})
	lim := limits{maxFrame: 1024, maxFrames: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conn{r: bufio.NewReaderSize(bytes.NewReader(data), 16), rbuf: make([]byte, 0, 16)}
		onCmd := func(name, body []byte) error {
			_, err := parseMetadata(body)
			_ = err
			return nil
		}
		var mb msgBuf // the SUB's path: frames in reused storage
		for i := 0; i < len(data)+1; i++ {
			frames, n, err := c.readMessage(lim, onCmd, &mb)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, errTruncated) &&
					!errors.Is(err, ErrProtocol) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("unclassified error %v", err)
				}
				return
			}
			total := 0
			for _, fr := range frames {
				if uint64(len(fr)) > lim.maxFrame {
					t.Fatalf("frame of %d bytes passed the %d limit", len(fr), lim.maxFrame)
				}
				total += len(fr)
			}
			if total != n || len(frames) == 0 || len(frames) > lim.maxFrames {
				t.Fatalf("%d frames, total %d, reported %d", len(frames), total, n)
			}
		}
	})
}

// FuzzGreeting checks the greeting reader on arbitrary input.
func FuzzGreeting(f *testing.F) {
	f.Add(makeGreeting("CURVE", true))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := readGreeting(bytes.NewReader(data), make([]byte, greetingSize))
		if err == nil && (g.major < 3 || len(g.mechanism) > 20) {
			t.Fatalf("accepted %+v", g)
		}
	})
}
