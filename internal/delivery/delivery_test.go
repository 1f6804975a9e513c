package delivery_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/delivery"
)

type hinted time.Duration

func (h hinted) Error() string             { return "busy" }
func (h hinted) RetryAfter() time.Duration { return time.Duration(h) }

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want time.Duration
		ok   bool
	}{
		{"nil", nil, 0, false},
		{"no hint", errors.New("boom"), 0, false},
		{"hint", hinted(3 * time.Second), 3 * time.Second, true},
		{"wrapped hint", fmt.Errorf("sending: %w", hinted(time.Minute)), time.Minute, true},
		{"joined", errors.Join(errors.New("first"), hinted(time.Second)), time.Second, true},
		{"zero hint", hinted(0), 0, false},
		{"negative hint", hinted(-time.Second), 0, false},
	}
	for _, tt := range tests {
		d, ok := delivery.RetryAfter(tt.err)
		if ok != tt.ok || d != tt.want {
			t.Errorf("%s: RetryAfter = %v, %v; want %v, %v", tt.name, d, ok, tt.want, tt.ok)
		}
	}
}
