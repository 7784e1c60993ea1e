package zmq

import "testing"

// TestFixturesSharded reruns the fixture tests (decoding, bad input and its
// counters, msg_id accounting, topics) with the interface split over two
// engine shards: the totals must be the same.
func TestFixturesSharded(t *testing.T) {
	fixtureShards = 2
	defer func() { fixtureShards = 1 }()
	for name, fn := range map[string]func(*testing.T){
		"SharedVectors":   TestSharedVectors,
		"MalformedInput":  TestMalformedInput,
		"MsgIDAccounting": TestMsgIDAccounting,
		"Topics":          TestTopics,
	} {
		t.Run(name, fn)
	}
}
