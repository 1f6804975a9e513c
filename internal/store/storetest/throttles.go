package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

var throttlesTests = []test{
	{"ThrottleMissing", testThrottleMissing},
	{"AddThrottleFailureWindow", testAddThrottleFailureWindow},
	{"AddThrottleFailureLock", testAddThrottleFailureLock},
	{"ClearThrottle", testClearThrottle},
	{"AddThrottleFailureConcurrent", testAddThrottleFailureConcurrent},
	{"AddThrottleFailureUnlessLocked", testAddThrottleFailureUnlessLocked},
	{"AddThrottleFailureUnlessLockedConcurrent", testAddThrottleFailureUnlessLockedConcurrent},
}

const window = 15 * time.Minute

// fail adds a failure at at to key with a fifteen-minute window.
func fail(t *testing.T, s store.Store, key string, at time.Time, lock func(int) time.Time) store.Throttle {
	t.Helper()
	th, err := s.AddThrottleFailure(t.Context(), key, at, at.Add(-window), lock)
	if err != nil {
		t.Fatalf("AddThrottleFailure: %v", err)
	}
	return th
}

// checkThrottle checks the returned counter and the stored one.
func checkThrottle(t *testing.T, s store.Store, got, want store.Throttle) {
	t.Helper()
	checkRecord(t, "returned throttle", got, want)
	stored, err := s.Throttle(t.Context(), want.Key)
	mustNot(t, err, "Throttle")
	checkRecord(t, "stored throttle", stored, want)
}

func testThrottleMissing(t *testing.T, s store.Store) {
	got, err := s.Throttle(t.Context(), "password:ip:192.0.2.1")
	mustNot(t, err, "Throttle")
	checkRecord(t, "missing throttle", got, store.Throttle{Key: "password:ip:192.0.2.1"})
}

func testAddThrottleFailureWindow(t *testing.T, s store.Store) {
	const key = "password:user:42"
	th := fail(t, s, key, t0, nil)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 1, WindowStart: t0})
	th = fail(t, s, key, t0.Add(time.Minute), nil)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 2, WindowStart: t0})

	// A window starting exactly at windowStart still counts.
	th, err := s.AddThrottleFailure(t.Context(), key, t0.Add(window), t0, nil)
	mustNot(t, err, "AddThrottleFailure")
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 3, WindowStart: t0})

	// One that started before windowStart is reset: count from 1.
	at := t0.Add(window + time.Millisecond)
	th = fail(t, s, key, at, nil)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 1, WindowStart: at})

	// Keys are counted apart.
	other := fail(t, s, "password:ip:192.0.2.1", at, nil)
	checkThrottle(t, s, other, store.Throttle{Key: "password:ip:192.0.2.1", Failures: 1, WindowStart: at})
	stored, err := s.Throttle(t.Context(), key)
	mustNot(t, err, "Throttle")
	if stored.Failures != 1 {
		t.Errorf("Failures of %s = %d after a failure of another key, want 1", key, stored.Failures)
	}
}

func testAddThrottleFailureLock(t *testing.T, s store.Store) {
	const key = "password:user:42"
	var lockArgs []int
	lock := func(failures int) time.Time {
		lockArgs = append(lockArgs, failures)
		if failures < 3 {
			return time.Time{}
		}
		return t0.Add(time.Duration(failures) * time.Hour)
	}
	fail(t, s, key, t0, lock)
	th := fail(t, s, key, t0.Add(time.Second), lock)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 2, WindowStart: t0})
	th = fail(t, s, key, t0.Add(2*time.Second), lock)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 3, WindowStart: t0, LockedUntil: t0.Add(3 * time.Hour)})
	if !slices.Equal(lockArgs, []int{1, 2, 3}) {
		t.Errorf("lock called with %v, want [1 2 3]", lockArgs)
	}

	// Without a lock function the lock stays as it is.
	th = fail(t, s, key, t0.Add(3*time.Second), nil)
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 4, WindowStart: t0, LockedUntil: t0.Add(3 * time.Hour)})

	// A zero time from lock means no lock.
	th = fail(t, s, key, t0.Add(4*time.Second), func(int) time.Time { return time.Time{} })
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 5, WindowStart: t0})
}

func testClearThrottle(t *testing.T, s store.Store) {
	ctx := t.Context()
	lock := func(int) time.Time { return t0.Add(time.Hour) }
	fail(t, s, "a", t0, lock)
	fail(t, s, "b", t0, lock)
	mustNot(t, s.ClearThrottle(ctx, "a"), "ClearThrottle")
	got, err := s.Throttle(ctx, "a")
	mustNot(t, err, "Throttle")
	checkRecord(t, "cleared throttle", got, store.Throttle{Key: "a"})
	got, err = s.Throttle(ctx, "b")
	mustNot(t, err, "Throttle")
	checkRecord(t, "other throttle", got, store.Throttle{Key: "b", Failures: 1, WindowStart: t0, LockedUntil: t0.Add(time.Hour)})

	mustNot(t, s.ClearThrottle(ctx, "a"), "ClearThrottle of a missing key")
	th := fail(t, s, "a", t0.Add(time.Minute), nil)
	checkThrottle(t, s, th, store.Throttle{Key: "a", Failures: 1, WindowStart: t0.Add(time.Minute)})
}

func testAddThrottleFailureConcurrent(t *testing.T, s store.Store) {
	const key, n = "password:ip:192.0.2.1", 50
	counts := make([]int, n)
	Concurrently(n, func(i int) {
		th, err := s.AddThrottleFailure(t.Context(), key, t0.Add(time.Duration(i)*time.Millisecond), t0.Add(-window), nil)
		if err != nil {
			t.Errorf("AddThrottleFailure: %v", err)
		}
		counts[i] = th.Failures
	})
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("concurrent AddThrottleFailure returned %v, want 1…%d once each", counts, n)
		}
	}
	got, err := s.Throttle(t.Context(), key)
	mustNot(t, err, "Throttle")
	if got.Failures != n {
		t.Errorf("Failures = %d after %d concurrent failures", got.Failures, n)
	}
}

// lockFrom locks for an hour after the failure that reaches n, and not
// before.
func lockFrom(n int, at time.Time) func(int) time.Time {
	return func(failures int) time.Time {
		if failures < n {
			return time.Time{}
		}
		return at.Add(time.Hour)
	}
}

func testAddThrottleFailureUnlessLocked(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key = "password:account:a@example.org"
	try := func(at time.Time, lock func(int) time.Time) (store.Throttle, bool) {
		t.Helper()
		th, ok, err := s.AddThrottleFailureUnlessLocked(ctx, key, at, at.Add(-window), lock)
		mustNot(t, err, "AddThrottleFailureUnlessLocked")
		return th, ok
	}

	// Unlocked, it counts as AddThrottleFailure does, from a missing key.
	th, ok := try(t0, lockFrom(2, t0))
	if !ok {
		t.Fatal("the first try of a missing key was refused")
	}
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 1, WindowStart: t0})
	th, ok = try(t0.Add(time.Second), lockFrom(2, t0))
	if !ok {
		t.Fatal("a try of an unlocked key was refused")
	}
	locked := store.Throttle{Key: key, Failures: 2, WindowStart: t0, LockedUntil: t0.Add(time.Hour)}
	checkThrottle(t, s, th, locked)

	// Locked: nothing changes, and lock is not called.
	th, ok = try(t0.Add(time.Minute), func(int) time.Time {
		t.Error("lock called for a refused try")
		return time.Time{}
	})
	if ok {
		t.Error("a try of a locked key was counted")
	}
	checkThrottle(t, s, th, locked)
	// Still locked a millisecond before the end, even past the window.
	th, ok = try(t0.Add(time.Hour-time.Millisecond), nil)
	if ok {
		t.Error("a try a millisecond before the lock ends was counted")
	}
	checkThrottle(t, s, th, locked)

	// From the end of the lock on, it counts again: here in a new window.
	th, ok = try(t0.Add(time.Hour), nil)
	if !ok {
		t.Fatal("a try when the lock ended was refused")
	}
	checkThrottle(t, s, th, store.Throttle{Key: key, Failures: 1, WindowStart: t0.Add(time.Hour), LockedUntil: t0.Add(time.Hour)})

	// A lock set by AddThrottleFailure counts too; other keys are not locked.
	fail(t, s, "other", t0, lockFrom(1, t0))
	if _, ok, _ := s.AddThrottleFailureUnlessLocked(ctx, "other", t0.Add(time.Minute), t0, nil); ok {
		t.Error("a key locked by AddThrottleFailure was counted")
	}
	if _, ok, _ := s.AddThrottleFailureUnlessLocked(ctx, "third", t0.Add(time.Minute), t0, nil); !ok {
		t.Error("a try of a missing key was refused while another key is locked")
	}
}

// testAddThrottleFailureUnlessLockedConcurrent: of 50 tries at once, with a
// lock from the fifth failure on, exactly five count; the rest find the
// lock.
func testAddThrottleFailureUnlessLockedConcurrent(t *testing.T, s store.Store) {
	const key, n, lockAt = "password:account:b@example.org", 50, 5
	var mu sync.Mutex
	var counted []int
	Concurrently(n, func(i int) {
		th, ok, err := s.AddThrottleFailureUnlessLocked(t.Context(), key, t0, t0.Add(-window), lockFrom(lockAt, t0))
		if err != nil {
			t.Errorf("AddThrottleFailureUnlessLocked: %v", err)
		}
		if ok {
			mu.Lock()
			counted = append(counted, th.Failures)
			mu.Unlock()
		}
	})
	slices.Sort(counted)
	if !slices.Equal(counted, []int{1, 2, 3, 4, 5}) {
		t.Errorf("of %d concurrent tries with a lock at the %dth failure, these counted: %v, want 1…%d once each", n, lockAt, counted, lockAt)
	}
	got, err := s.Throttle(t.Context(), key)
	mustNot(t, err, "Throttle")
	checkRecord(t, "throttle after the tries", got, store.Throttle{Key: key, Failures: lockAt, WindowStart: t0, LockedUntil: t0.Add(time.Hour)})
}
