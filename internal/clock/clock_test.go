package clock

import (
	"testing"
	"time"
)

func TestNow(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	if got := Clock(func() time.Time { return at }).Now(); !got.Equal(at) || got.Location() != time.UTC {
		t.Fatalf("Now() = %v, want %v in UTC", got, at)
	}
	var wall Clock
	if got := wall.Now(); time.Since(got) > time.Minute || got.Location() != time.UTC {
		t.Fatalf("the wall clock says %v", got)
	}
}
