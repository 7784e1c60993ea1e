package engine

import "time"

// FlowEvent is a flow lifecycle event delivered to observers (the Lua runtime).
// For one flow they arrive in this order: FlowNew, FlowProtocolDetected,
// FlowPeriodicUpdate (n times) interleaved with FlowStatusChanged, FlowEnd.
type FlowEvent uint8

const (
	FlowNew FlowEvent = iota
	FlowProtocolDetected
	FlowPeriodicUpdate
	FlowStatusChanged
	FlowEnd
)

var flowEventNames = [...]string{"new", "protocolDetected", "periodicUpdate", "statusChanged", "end"}

func (e FlowEvent) String() string {
	if int(e) < len(flowEventNames) {
		return flowEventNames[e]
	}
	return "unknown"
}

// FlowObserver receives lifecycle events in the goroutine that owns the flow.
// f and t are valid only during the call.
type FlowObserver interface {
	OnFlow(ev FlowEvent, f *Flow, now time.Time, t *Tables)
}

// ObserverFactory builds the observer of one interface; it is called once by
// the interface goroutine, which then owns the result.
type ObserverFactory func(i *Interface) FlowObserver

type multiObserver []FlowObserver

func (m multiObserver) OnFlow(ev FlowEvent, f *Flow, now time.Time, t *Tables) {
	for _, o := range m {
		o.OnFlow(ev, f, now, t)
	}
}
