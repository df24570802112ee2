package incidents

import (
	"encoding/json"
	"testing"

	"github.com/tobanbot/toban/domain"
)

// BenchmarkRenderCard renders an incident card and encodes it as
// chat.update sends it.
func BenchmarkRenderCard(b *testing.B) {
	v := cardFixture(domain.StatusAcknowledged)
	b.ReportAllocs()
	for b.Loop() {
		msg := renderCard(v)
		if _, err := json.Marshal(msg.Blocks); err != nil {
			b.Fatal(err)
		}
	}
}
