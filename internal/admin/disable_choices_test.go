package admin_test

import (
	"slices"
	"testing"

	"github.com/providerportal/portal/internal/admin"
)

// TestDisableChoicesWithinLimits: every length the console offers is one
// DisableMFA accepts, from the shortest to the longest, the default among
// them.
func TestDisableChoicesWithinLimits(t *testing.T) {
	t.Parallel()
	c := admin.DisableChoices
	if len(c) == 0 || c[0] != admin.MinDisable || c[len(c)-1] != admin.MaxDisable || !slices.IsSorted(c) {
		t.Fatalf("choices %v, limits %v to %v", c, admin.MinDisable, admin.MaxDisable)
	}
	if !slices.Contains(c, admin.DefaultDisable) {
		t.Fatalf("default %v not among %v", admin.DefaultDisable, c)
	}
}
