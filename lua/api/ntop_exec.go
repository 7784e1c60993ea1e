package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	"os/exec"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// docs/ntop-api.md §33: execCmd (only when the operator allows it), sendMail over
// SMTP, and §25's getHostInformation.

const (
	execTimeout   = 30 * time.Second
	execMaxOutput = 1 << 20
	maxAsyncCmds  = 16
)

type asyncCmd struct {
	done chan struct{}
	out  string
}

func init() {
	register("ntop", []luaFn{
		fn("execCmd", func(b *binding, L *lua.LState) int {
			cmd := argKey(L, "execCmd", 1, "command")
			if !b.execAllowed("execCmd") {
				L.Push(lua.LNil)
				return 1
			}
			out, _ := runShell(cmd)
			L.Push(lua.LString(out))
			return 1
		}),
		fn("execCmdAsync", func(b *binding, L *lua.LState) int {
			cmd := argKey(L, "execCmdAsync", 1, "command")
			if !b.execAllowed("execCmdAsync") {
				L.Push(lua.LNil)
				return 1
			}
			if b.asyncCmds == nil {
				b.asyncCmds = map[int64]*asyncCmd{}
			}
			if len(b.asyncCmds) >= maxAsyncCmds {
				L.RaiseError("ntop.execCmdAsync: %d commands already pending: read their results first", maxAsyncCmds)
			}
			b.nextCmd++
			a := &asyncCmd{done: make(chan struct{})}
			b.asyncCmds[b.nextCmd] = a
			go func() {
				a.out, _ = runShell(cmd)
				close(a.done)
			}()
			b.pushI(L, b.nextCmd)
			return 1
		}),
		fn("readResultCmdAsync", func(b *binding, L *lua.LState) int {
			h := argInt(L, "readResultCmdAsync", 1, "handle", 0)
			a, ok := b.asyncCmds[h]
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			select {
			case <-a.done:
				delete(b.asyncCmds, h)
				L.Push(lua.LString(a.out))
			default:
				L.Push(lua.LNil) // still running
			}
			return 1
		}),
		fn("sendMail", ntopSendMail),
		fn("getHostInformation", func(b *binding, L *lua.LState) int {
			a := argAddr(L, "getHostInformation", 1)
			g := b.deps.GeoIP.Lookup(a)
			t := L.CreateTable(0, 10)
			t.RawSetString("ip", lua.LString(a.String()))
			t.RawSetString("country", lua.LString(g.Country))
			t.RawSetString("continent", lua.LString(g.Continent))
			t.RawSetString("city", lua.LString(g.City))
			t.RawSetString("latitude", lua.LNumber(g.Latitude))
			t.RawSetString("longitude", lua.LNumber(g.Longitude))
			t.RawSetString("asn", lua.LNumber(g.ASN))
			t.RawSetString("asname", lua.LString(g.ASName))
			id, local := b.localNetwork(a)
			t.RawSetString("is_local", lua.LBool(local))
			if local {
				t.RawSetString("local_network_id", lua.LNumber(id))
				t.RawSetString("local_network_name", lua.LString(b.networks()[id].String()))
			}
			if name, ok := b.resolver().get(a.String()); ok {
				t.RawSetString("name", lua.LString(name))
			}
			L.Push(t)
			return 1
		}),
	})
}

func (b *binding) execAllowed(name string) bool {
	if b.deps.AllowExec {
		return true
	}
	if !b.warned[name] {
		b.warned[name] = true
		b.log(slog.LevelWarn, "ntop."+name+" is disabled: start flowgate with --allow-lua-exec to let scripts run commands")
	}
	return false
}

// runShell runs cmd with /bin/sh -c, bounded in time and output.
func runShell(cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	var out limitedBuffer
	c.Stdout, c.Stderr = &out, nil
	err := c.Run()
	return out.String(), err
}

type limitedBuffer struct{ bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := execMaxOutput - l.Len(); room > 0 {
		if len(p) > room {
			l.Buffer.Write(p[:room])
		} else {
			l.Buffer.Write(p)
		}
	}
	return len(p), nil // drain the rest so the command is not blocked
}

// ntopSendMail is sendMail(params) with from, to (comma-separated or a
// list), subject, msg (or message / body), smtp_server ("smtp://host:port",
// "host:port" or "host"), username, password; or 4.2's positional
// sendMail(from, to, msg, smtp_server[, username, password]). It answers
// true, or false and the error text.
func ntopSendMail(b *binding, L *lua.LState) int {
	var from, subject, body, server, user, pwd string
	var to []string
	if p, ok := L.Get(1).(*lua.LTable); ok {
		from, subject, server = optStr(p.RawGetString("from")), optStr(p.RawGetString("subject")), optStr(p.RawGetString("smtp_server"))
		user, pwd = optStr(p.RawGetString("username")), optStr(p.RawGetString("password"))
		for _, k := range []string{"msg", "message", "body"} {
			if body == "" {
				body = optStr(p.RawGetString(k))
			}
		}
		switch v := p.RawGetString("to").(type) {
		case lua.LString:
			to = splitList(string(v))
		case *lua.LTable:
			v.ForEach(func(_, x lua.LValue) { to = append(to, x.String()) })
		}
	} else {
		from, to = argKey(L, "sendMail", 1, "from"), splitList(argKey(L, "sendMail", 2, "to"))
		body, server = argKey(L, "sendMail", 3, "msg"), argKey(L, "sendMail", 4, "smtp_server")
		user, pwd = optStr(L.Get(5)), optStr(L.Get(6))
	}
	if from == "" || len(to) == 0 || server == "" {
		L.RaiseError("ntop.sendMail: from, to and smtp_server are required")
	}
	addr := strings.TrimPrefix(strings.TrimPrefix(server, "smtp://"), "smtps://")
	addr = strings.TrimSuffix(addr, "/")
	if !strings.Contains(addr, ":") {
		addr += ":25"
	}
	var msg bytes.Buffer
	if !strings.Contains(body, "\r\n\r\n") && !strings.HasPrefix(body, "From:") {
		fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
			from, strings.Join(to, ", "), subject, time.Now().Format(time.RFC1123Z))
	}
	msg.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	var auth smtp.Auth
	if user != "" {
		host, _, _ := strings.Cut(addr, ":")
		auth = smtp.PlainAuth("", user, pwd, host)
	}
	if err := smtp.SendMail(addr, auth, from, to, msg.Bytes()); err != nil {
		b.log(slog.LevelWarn, "ntop.sendMail via "+addr+": "+err.Error())
		L.Push(lua.LFalse)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}
