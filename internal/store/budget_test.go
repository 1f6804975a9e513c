package store_test

import (
	"testing"

	"github.com/providerportal/portal/internal/store"
)

func TestFirstFull(t *testing.T) {
	budgets := []store.Budget{{Name: "portal", Limit: 10}, {Name: "address", Limit: 3}, {Name: "country", Limit: 2}}
	for _, c := range []struct {
		counts []int
		want   string // "" for none
	}{
		{[]int{0, 0, 0}, ""},
		{[]int{9, 2, 1}, ""},        // each one short of its limit
		{[]int{9, 3, 1}, "address"}, // a count at its limit is full
		{[]int{9, 4, 2}, "address"}, // the first full one is named
		{[]int{10, 4, 2}, "portal"},
		{[]int{0, 0, 5}, "country"},
	} {
		got := store.FirstFull(budgets, c.counts)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("FirstFull(%v) = %q, want none", c.counts, got.Name)
		case c.want != "" && (got == nil || got.Name != c.want):
			t.Errorf("FirstFull(%v) = %v, want %q", c.counts, got, c.want)
		}
	}
	if got := store.FirstFull(nil, nil); got != nil {
		t.Errorf("FirstFull of no budgets = %v", got)
	}
}
