// Package tabletest checks a function against a table of cases: the loop
// that the map-of-cases tests of many packages each wrote for themselves.
package tabletest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
)

// Check calls f on the input of every case and reports each answer that
// is not the one wanted as "name(in) = got, want want". It goes on after
// a wrong answer, so one run shows every case that fails, and it takes the
// cases in the order of their inputs as shown, so the report of a failing
// run reads the same every time.
func Check[In, Out comparable](t testing.TB, name string, f func(In) Out, cases map[In]Out) {
	t.Helper()
	ins := make([]In, 0, len(cases))
	for in := range cases {
		ins = append(ins, in)
	}
	slices.SortFunc(ins, func(a, b In) int { return cmp.Compare(show(a), show(b)) })
	for _, in := range ins {
		if got, want := f(in), cases[in]; got != want {
			t.Errorf("%s(%s) = %s, want %s", name, show(in), show(got), show(want))
		}
	}
}

// show writes a value the way a test report wants it: a string quoted,
// so that spaces and control characters can be seen, a value with a
// String method (a time.Duration) in its own words, anything else as Go
// would write it.
func show(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%#v", v)
}
