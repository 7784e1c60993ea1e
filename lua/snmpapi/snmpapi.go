// Package snmpapi provides the ntop.snmp* functions of docs/ntop-api.md §18 to user
// scripts: synchronous get/getnext/getnextbulk/set, the asynchronous engine
// handles, the batch form and the capability calls, all on the snmp
// package's client code. The functions are registered in lua/api's ntop
// registry at init; the wiring passes the poller and the trap receiver in
// api.Deps.Services (SNMP and Traps, both optional).
//
// Arguments follow ntopng: (host, community, oid, version[, timeout][, more oids])
// where host is "ip" or "ip:port" and version is 0/"1" (v1), 1/"2c" (v2c)
// or 2/3/"3" (v3); timeout is in seconds. For v3 the community argument is a table {user,
// auth_protocol, auth_password, priv_protocol, priv_password, context}.
// Results are tables oid → value (numbers for numeric types, strings
// otherwise), or nil and an error message.
package snmpapi

import (
	"fmt"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"flowgate/lua/api"
	"flowgate/snmp"
)

// MaxEngines bounds the asynchronous engines one Lua state may hold.
const MaxEngines = 32

// registryKey holds the per-Lua-state SNMP state in the state's registry,
// so it lives and dies with the Lua state.
const registryKey = "flowgate.snmpapi"

func init() {
	reg := func(name, status string, f func(s *state, L *lua.LState) int) {
		api.RegisterNtopWith(name, func(d api.Deps) lua.LGFunction {
			return func(L *lua.LState) int { return f(stateOf(L, d), L) }
		}, status)
	}
	impl := func(name string, f func(s *state, L *lua.LState) int) { reg(name, api.StatusImplemented, f) }
	constant := func(v lua.LValue) func(*state, *lua.LState) int {
		return func(_ *state, L *lua.LState) int { L.Push(v); return 1 }
	}
	impl("snmpv3available", constant(lua.LTrue))
	impl("snmpsetavailable", constant(lua.LTrue))
	impl("snmpgetbulkavailable", constant(lua.LTrue))
	impl("snmpMaxNumEngines", constant(lua.LNumber(MaxEngines)))
	impl("snmpSetBulkMaxNumRepetitions", func(s *state, L *lua.LState) int {
		n := L.CheckInt(1)
		if n < 1 || n > 1000 {
			L.ArgError(1, "repetitions must be 1..1000")
		}
		s.mu.Lock()
		s.q.MaxRepetitions = uint32(n)
		s.mu.Unlock()
		return 0
	})
	reg("snmpSetFatMibPollingMode", "partial: accepted and ignored: the poller always reads the system group and ifTable/ifXTable",
		func(*state, *lua.LState) int { return 0 })
	impl("snmpToggleTrapCollection", func(s *state, L *lua.LState) int {
		if s.traps != nil {
			s.traps.SetEnabled(L.ToBool(1))
		}
		return 0
	})
	impl("snmpSetInterfaceRole", func(s *state, L *lua.LState) int {
		if s.poller != nil {
			s.poller.SetInterfaceRole(L.CheckString(1), uint32(L.CheckInt(2)), L.CheckInt(3))
		}
		return 0
	})
	impl("activateSnmpInterfaceRoles", func(s *state, _ *lua.LState) int {
		if s.poller != nil {
			s.poller.ActivateInterfaceRoles()
		}
		return 0
	})
	impl("snmpget", func(s *state, L *lua.LState) int { return s.sync(L, opGet) })
	impl("snmpgetnext", func(s *state, L *lua.LState) int { return s.sync(L, opGetNext) })
	impl("snmpgetnextbulk", func(s *state, L *lua.LState) int { return s.sync(L, opBulk) })
	impl("snmpset", (*state).set)
	impl("snmpallocasnyncengine", (*state).alloc)
	impl("snmpfreeasnycengine", (*state).free)
	impl("snmpgetasync", func(s *state, L *lua.LState) int { return s.async(L, opGet) })
	impl("snmpgetnextasync", func(s *state, L *lua.LState) int { return s.async(L, opGetNext) })
	impl("snmpgetnextbulkasync", func(s *state, L *lua.LState) int { return s.async(L, opBulk) })
	impl("snmpreadasyncrsp", (*state).readAsync)
	impl("snmpGetBatch", (*state).batch)
	impl("snmpReadResponses", (*state).readBatch)
}

type op int

const (
	opGet op = iota
	opGetNext
	opBulk
)

// state is the SNMP side of one Lua state: its request settings, its
// asynchronous engines and its pending batch.
type state struct {
	poller *snmp.Poller
	traps  *snmp.TrapReceiver

	mu      sync.Mutex
	q       snmp.Query
	engines map[int]*engine
	nextID  int

	batchWG sync.WaitGroup
	batchMu sync.Mutex
	batched []result
}

// engine is one asynchronous handle: responses of the requests queued on
// it, read in completion order.
type engine struct {
	mu   sync.Mutex
	done []result
}

type result struct {
	host string
	vbs  []snmp.Varbind
	err  error
}

func stateOf(L *lua.LState, d api.Deps) *state {
	reg := L.G.Registry
	if reg != nil {
		if ud, ok := reg.RawGetString(registryKey).(*lua.LUserData); ok {
			if s, ok := ud.Value.(*state); ok {
				return s
			}
		}
	}
	s := &state{engines: map[int]*engine{}}
	if d.Services != nil {
		s.poller, s.traps = d.Services.SNMP, d.Services.Traps
	}
	if s.poller != nil {
		s.q = s.poller.Query()
	}
	if reg != nil {
		ud := L.NewUserData()
		ud.Value = s
		reg.RawSetString(registryKey, ud)
	}
	return s
}

func v3Creds(d *snmp.DeviceConfig, t *lua.LTable) {
	get := func(k string) string { return lua.LVAsString(t.RawGetString(k)) }
	d.Version = "3"
	d.User, d.AuthProtocol, d.AuthPassword = get("user"), get("auth_protocol"), get("auth_password")
	d.PrivProtocol, d.PrivPassword, d.Context = get("priv_protocol"), get("priv_password"), get("context")
}

// target reads (host, community|v3 table, oid, version[, timeout][, oid...])
// from argument first on; a number after the version is a timeout in
// seconds for this request.
func (s *state) target(L *lua.LState, first int) request {
	d, err := snmp.ParseTarget(L.CheckString(first))
	if err != nil {
		L.ArgError(first, err.Error())
	}
	oids := []string{L.CheckString(first + 2)}
	var timeout time.Duration
	d.Version = versionArg(L.Get(first + 3))
	if t, ok := L.Get(first + 1).(*lua.LTable); ok {
		v3Creds(&d, t)
	} else {
		d.Community = L.CheckString(first + 1)
	}
	for i := first + 4; i <= L.GetTop(); i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			if strings.Contains(string(v), ".") {
				oids = append(oids, string(v))
			}
		case lua.LNumber:
			if i == first+4 && v > 0 && v <= 60 {
				timeout = time.Duration(v) * time.Second
			}
		}
	}
	return request{d, oids, timeout}
}

// request is one SNMP request a script asked for.
type request struct {
	d       snmp.DeviceConfig
	oids    []string
	timeout time.Duration // 0: the poller's
}

func versionArg(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LNumber:
		switch int(x) {
		case 0:
			return "1"
		case 2, 3:
			return "3"
		}
	case lua.LString:
		return string(x)
	}
	return "2c"
}

func (s *state) query() snmp.Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q
}

func (s *state) do(o op, r request) ([]snmp.Varbind, error) {
	q := s.query()
	if r.timeout > 0 {
		q.Timeout = r.timeout
	}
	d, oids := r.d, r.oids
	switch o {
	case opGetNext:
		return q.GetNext(d, oids...)
	case opBulk:
		return q.GetBulk(d, oids...)
	}
	return q.Get(d, oids...)
}

func varbindTable(L *lua.LState, vbs []snmp.Varbind) *lua.LTable {
	t := L.CreateTable(0, len(vbs))
	for _, v := range vbs {
		switch v.Type {
		case "Integer", "Counter32", "Gauge32", "TimeTicks", "Counter64", "Uinteger32":
			var n float64
			if _, err := fmt.Sscan(v.Value, &n); err == nil {
				t.RawSetString(v.OID, lua.LNumber(n))
				continue
			}
		case "NoSuchObject", "NoSuchInstance", "EndOfMibView":
			continue
		}
		t.RawSetString(v.OID, lua.LString(v.Value))
	}
	return t
}

// sync runs one blocking request (bounded by the timeout and retries).
func (s *state) sync(L *lua.LState, o op) int {
	vbs, err := s.do(o, s.target(L, 1))
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(varbindTable(L, vbs))
	return 1
}

// set: (host, community|v3 table, oid, type, value, version) → bool[, err].
func (s *state) set(L *lua.LState) int {
	d, err := snmp.ParseTarget(L.CheckString(1))
	if err != nil {
		L.ArgError(1, err.Error())
	}
	if t, ok := L.Get(2).(*lua.LTable); ok {
		v3Creds(&d, t)
	} else {
		d.Community = L.CheckString(2)
		d.Version = versionArg(L.Get(6))
	}
	if err := s.query().Set(d, L.CheckString(3), L.CheckString(4), L.ToString(5)); err != nil {
		L.Push(lua.LFalse)
		L.Push(lua.LString(err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

func (s *state) alloc(L *lua.LState) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.engines) >= MaxEngines {
		L.Push(lua.LNil)
		return 1
	}
	s.nextID++
	s.engines[s.nextID] = &engine{}
	L.Push(lua.LNumber(s.nextID))
	return 1
}

func (s *state) free(L *lua.LState) int {
	s.mu.Lock()
	delete(s.engines, L.CheckInt(1))
	s.mu.Unlock()
	return 0
}

func (s *state) engine(L *lua.LState) *engine {
	s.mu.Lock()
	e := s.engines[L.CheckInt(1)]
	s.mu.Unlock()
	if e == nil {
		L.ArgError(1, "unknown SNMP engine handle")
	}
	return e
}

// async queues a request on an engine; it runs in its own goroutine, which
// never touches the Lua state (results become tables when read).
func (s *state) async(L *lua.LState, o op) int {
	e := s.engine(L)
	r := s.target(L, 2)
	go func() {
		vbs, err := s.do(o, r)
		e.mu.Lock()
		e.done = append(e.done, result{host: r.d.Key(), vbs: vbs, err: err})
		e.mu.Unlock()
	}()
	return 0
}

func resultTable(L *lua.LState, r result) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("agent_host", lua.LString(r.host))
	if r.err != nil {
		t.RawSetString("error", lua.LString(r.err.Error()))
	} else {
		t.RawSetString("response", varbindTable(L, r.vbs))
	}
	return t
}

// readAsync returns the oldest completed response of the engine, or nil
// when none has completed yet (poll again).
func (s *state) readAsync(L *lua.LState) int {
	e := s.engine(L)
	e.mu.Lock()
	if len(e.done) == 0 {
		e.mu.Unlock()
		L.Push(lua.LNil)
		return 1
	}
	r := e.done[0]
	e.done = e.done[1:]
	e.mu.Unlock()
	L.Push(resultTable(L, r))
	return 1
}

// batch: ({{agent_host=, community=, oid=, version=}, ...}) or one such
// table, or (host, community, oid, version). Requests run concurrently.
func (s *state) batch(L *lua.LState) int {
	var reqs []request
	if t, ok := L.Get(1).(*lua.LTable); ok {
		one := func(r *lua.LTable) {
			d, err := snmp.ParseTarget(lua.LVAsString(r.RawGetString("agent_host")))
			if err != nil {
				L.ArgError(1, err.Error())
			}
			if c, ok := r.RawGetString("community").(*lua.LTable); ok {
				v3Creds(&d, c)
			} else {
				d.Community = lua.LVAsString(r.RawGetString("community"))
				d.Version = versionArg(r.RawGetString("version"))
			}
			var oids []string
			switch o := r.RawGetString("oid").(type) {
			case lua.LString:
				oids = []string{string(o)}
			case *lua.LTable:
				o.ForEach(func(_, v lua.LValue) { oids = append(oids, lua.LVAsString(v)) })
			}
			if len(oids) == 0 {
				L.ArgError(1, "batch request without oid")
			}
			reqs = append(reqs, request{d: d, oids: oids})
		}
		if t.RawGetString("agent_host") != lua.LNil {
			one(t)
		} else {
			t.ForEach(func(_, v lua.LValue) {
				if r, ok := v.(*lua.LTable); ok {
					one(r)
				}
			})
		}
	} else {
		reqs = append(reqs, s.target(L, 1))
	}
	for _, r := range reqs {
		s.batchWG.Add(1)
		go func(r request) {
			defer s.batchWG.Done()
			vbs, err := s.do(opGet, r)
			s.batchMu.Lock()
			s.batched = append(s.batched, result{host: r.d.Key(), vbs: vbs, err: err})
			s.batchMu.Unlock()
		}(r)
	}
	return 0
}

// readBatch waits for the submitted batch requests (each bounded by its
// timeout) and returns their results as a list.
func (s *state) readBatch(L *lua.LState) int {
	s.batchWG.Wait()
	s.batchMu.Lock()
	rs := s.batched
	s.batched = nil
	s.batchMu.Unlock()
	t := L.CreateTable(len(rs), 0)
	for _, r := range rs {
		t.Append(resultTable(L, r))
	}
	L.Push(t)
	return 1
}
