package snmp

import (
	"testing"

	"flowgate/snmp/snmptest"
)

const (
	testV3User = snmptest.V3User
	testV3Auth = snmptest.V3Auth
	testV3Priv = snmptest.V3Priv
)

type agent struct{ *snmptest.Agent }

func (a agent) pause(testing.TB)  { a.Pause() }
func (a agent) resume(testing.TB) { a.Resume() }

func startAgent(t testing.TB, extra string) agent {
	return agent{snmptest.StartAgent(t, extra)}
}
