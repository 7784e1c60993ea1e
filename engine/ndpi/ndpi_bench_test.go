package ndpi

import "testing"

var (
	benchStr string
	benchID  ProtoID
)

func BenchmarkName(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		benchStr = Name(ProtoID(i % int(MaxID()+1)))
	}
}

func BenchmarkFullNameCommon(b *testing.B) {
	for b.Loop() {
		benchStr = FullName(91, 126)
	}
}

func BenchmarkFullNameUncommon(b *testing.B) {
	for b.Loop() {
		benchStr = FullName(92, 126)
	}
}

func BenchmarkID(b *testing.B) {
	for b.Loop() {
		benchID, _ = ID("YouTube")
	}
}

func BenchmarkGuess(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		benchID = Guess(6+11*uint8(i&1), 51000, uint16(i))
	}
}
