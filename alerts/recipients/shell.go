package recipients

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// shellEndpoint runs a script per batch with the formatted alerts on its
// standard input, one per line; exit status 0 accepts the batch. It exists
// only when the operator enabled shell recipients.
type shellEndpoint struct {
	path    string
	timeout time.Duration
	m       *Manager
}

func newShell(sp *Spec, m *Manager) (*shellEndpoint, error) {
	return &shellEndpoint{path: sp.URL.Path, timeout: sp.duration("timeout", 30*time.Second), m: m}, nil
}

func (e *shellEndpoint) batch() int            { return 100 }
func (e *shellEndpoint) linger() time.Duration { return 0 }

func (e *shellEndpoint) send(ctx context.Context, batch []*Event, f formatter) error {
	var in []byte
	for _, ev := range batch {
		in = f(in, ev, &e.m.fctx)
		in = append(in, '\n')
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.path)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(cmd.Environ(), "FLOWGATE_ALERTS="+strconv.Itoa(len(batch)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("shell %s: %w: %s", e.path, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (e *shellEndpoint) close() error { return nil }
