package password

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testParams keep tests fast; only TestDefaultParamsEndToEnd and
// BenchmarkHash pay for DefaultParams.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}

// These are the OWASP Password Storage Cheat Sheet minimums for argon2id
// and the usual salt and hash sizes. Lowering DefaultParams below them
// fails the build's tests on purpose.
func TestDefaultParamsMeetMinimum(t *testing.T) {
	p := DefaultParams
	if p.Memory < 19456 || p.Time < 2 || p.Threads < 1 || p.KeyLen < 32 || p.SaltLen < 16 {
		t.Errorf("DefaultParams = %+v, below m=19456 KiB, t=2, p=1, 32-byte hash, 16-byte salt", p)
	}
	if err := p.check(); err != nil {
		t.Errorf("DefaultParams = %+v: %v", p, err)
	}
}

func TestDefaultParamsEndToEnd(t *testing.T) {
	var h Hasher // the zero value uses DefaultParams and crypto/rand
	phc, err := h.Hash(context.Background(), "violet tractor ocean pebble")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", DefaultParams.Memory, DefaultParams.Time, DefaultParams.Threads)
	if !strings.HasPrefix(phc, want) {
		t.Errorf("Hash = %q, want prefix %q", phc, want)
	}
	fields := strings.Split(phc, "$")
	salt, _ := base64.RawStdEncoding.DecodeString(fields[4])
	key, _ := base64.RawStdEncoding.DecodeString(fields[5])
	if len(salt) != int(DefaultParams.SaltLen) || len(key) != int(DefaultParams.KeyLen) {
		t.Errorf("salt %d bytes, hash %d bytes; want %d and %d", len(salt), len(key), DefaultParams.SaltLen, DefaultParams.KeyLen)
	}
	ok, rehash, err := h.Verify(context.Background(), "violet tractor ocean pebble", phc)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, err := h.Verify(context.Background(), "violet tractor ocean pebbles", phc); ok || err != nil {
		t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
}

// The reference implementation's output (phc-winner-argon2 CLI, as used in
// golang.org/x/crypto/argon2's test vectors) for password "password", salt
// "somesalt", t=2, m=64 KiB, p=1, 24-byte hash: proves the PHC string is
// spelled the way other argon2 libraries read and write it.
const referencePHC = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$Bo1ismRVk2qm6+YAYLCmWHDb+j3fjUH3"

func TestHashMatchesReference(t *testing.T) {
	h := Hasher{
		Params: Params{Memory: 64, Time: 2, Threads: 1, KeyLen: 24, SaltLen: 8},
		Rand:   strings.NewReader("somesalt"),
	}
	got, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	if got != referencePHC {
		t.Errorf("Hash = %q, want %q", got, referencePHC)
	}
	if ok, _, err := h.Verify(context.Background(), "password", referencePHC); !ok || err != nil {
		t.Errorf("Verify(reference) = %v, %v; want true, nil", ok, err)
	}
}

func TestHashVerify(t *testing.T) {
	h := Hasher{Params: testParams}
	for _, pw := range []string{"violet tractor ocean pebble", "", "緑の海と青い山の小さな川", strings.Repeat("x", MaxBytes*4)} {
		phc, err := h.Hash(context.Background(), pw)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash, err := h.Verify(context.Background(), pw, phc); !ok || rehash || err != nil {
			t.Errorf("Verify(%.20q) = %v, %v, %v; want true, false, nil", pw, ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(context.Background(), pw+"x", phc); ok || rehash || err != nil {
			t.Errorf("Verify(wrong %.20q) = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := Hasher{Params: testParams}
	a, _ := h.Hash(context.Background(), "violet tractor ocean pebble")
	b, _ := h.Hash(context.Background(), "violet tractor ocean pebble")
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestHashFailures(t *testing.T) {
	tests := []struct {
		name string
		h    *Hasher
	}{
		{"salt source fails", &Hasher{Params: testParams, Rand: bytes.NewReader([]byte{1, 2, 3})}},
		{"no threads", &Hasher{Params: Params{Memory: 64, Time: 1, KeyLen: 16, SaltLen: 8}}},
		{"no passes", &Hasher{Params: Params{Memory: 64, Threads: 1, KeyLen: 16, SaltLen: 8}}},
		{"tiny hash", &Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 4, SaltLen: 8}}},
		{"no salt", &Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 16}}},
		{"absurd memory", &Hasher{Params: Params{Memory: 2 << 20, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}}},
	}
	for _, tt := range tests {
		if phc, err := tt.h.Hash(context.Background(), "violet tractor ocean pebble"); err == nil {
			t.Errorf("%s: Hash = %q, want an error", tt.name, phc)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	strong := Params{Memory: 128, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}
	tests := []struct {
		name   string
		stored Params
		want   bool
	}{
		{"same", strong, false},
		{"stronger", Params{Memory: 256, Time: 3, Threads: 1, KeyLen: 32, SaltLen: 16}, false},
		{"more threads only", Params{Memory: 128, Time: 2, Threads: 2, KeyLen: 32, SaltLen: 16}, false},
		{"less memory", Params{Memory: 64, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"fewer passes", Params{Memory: 128, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"shorter hash", Params{Memory: 128, Time: 2, Threads: 1, KeyLen: 16, SaltLen: 16}, true},
		{"shorter salt", Params{Memory: 128, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 8}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := Hasher{Params: tt.stored}
			phc, err := old.Hash(context.Background(), "violet tractor ocean pebble")
			if err != nil {
				t.Fatal(err)
			}
			current := Hasher{Params: strong}
			ok, rehash, err := current.Verify(context.Background(), "violet tractor ocean pebble", phc)
			if !ok || err != nil || rehash != tt.want {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash: there is no
			// password to rehash.
			if _, rehash, _ := current.Verify(context.Background(), "wrong", phc); rehash {
				t.Error("Verify(wrong password) asked for a rehash")
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("somesalt"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	phc := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }
	type malformed struct{ name, phc string }
	tests := []malformed{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", phc("m=64,t=1,p=1") + "$" + key},
		{"leading text", "x" + phc("m=64,t=1,p=1")},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "=$" + key},
		{"salt with a line break", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:4] + "\n" + salt[4:] + "$" + key},
		{"URL base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 22)},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("salt")) + "$" + key},
		{"short hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString([]byte("hash"))},
		{"huge hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 200))},
	}
	// Strings well formed but for their parameters, given as just those.
	for _, p := range []struct{ name, params string }{
		{"params out of order", "t=1,m=64,p=1"},
		{"missing param", "m=64,t=1"},
		{"extra param", "m=64,t=1,p=1,k=2"},
		{"spaces", "m=64, t=1, p=1"},
		{"negative", "m=-64,t=1,p=1"},
		{"plus sign", "m=+64,t=1,p=1"},
		{"leading zero", "m=064,t=1,p=1"},
		{"not a number", "m=sixty,t=1,p=1"},
		{"overflow", "m=4294967296,t=1,p=1"},

		// Absurd costs: a corrupt row must not tie up the server.
		{"memory over 1 GiB", "m=1048577,t=1,p=1"},
		{"memory too small for threads", "m=8,t=1,p=4"},
		{"zero memory", "m=0,t=1,p=1"},
		{"zero passes", "m=64,t=0,p=1"},
		{"over 100 passes", "m=64,t=101,p=1"},
		{"1 GiB for 100 passes", "m=1048576,t=100,p=1"},
		{"zero threads", "m=64,t=1,p=0"},
		{"over 64 threads", "m=1024,t=1,p=65"},
		{"threads overflow uint8", "m=64,t=1,p=257"},
	} {
		tests = append(tests, malformed{p.name, phc(p.params)})
	}
	h := Hasher{Params: testParams}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "password", tt.phc)
			if ok || rehash || !errors.Is(err, ErrMalformed) {
				t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformed", tt.phc, ok, rehash, err)
			}
		})
	}
}

// DummyVerify must do the work Verify does. Time is too noisy to test, so
// test memory instead: argon2 allocates its whole memory cost every call.
func TestDummyVerifyDoesTheWork(t *testing.T) {
	h := Hasher{Params: Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}}
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	phc, err := h.Hash(context.Background(), "violet tractor ocean pebble")
	if err != nil {
		t.Fatal(err)
	}
	verify := allocated(func() { h.Verify(context.Background(), "wrong password", phc) })
	dummy := allocated(func() { h.DummyVerify(context.Background(), "wrong password") })
	if dummy < verify*9/10 || dummy < uint64(h.Params.Memory)*1024 {
		t.Errorf("DummyVerify allocated %d bytes, Verify %d; want about the same, at least %d KiB", dummy, verify, h.Params.Memory)
	}
}

func FuzzVerifyPHC(f *testing.F) {
	h := Hasher{Params: testParams}
	good, err := h.Hash(context.Background(), "violet tractor ocean pebble")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		good, referencePHC, "", "$", "$$$$$",
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=1048577,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	} {
		f.Add("password", s)
	}
	f.Fuzz(func(t *testing.T, password, phc string) {
		// parsePHC bounds the costs, but a fuzz loop cannot afford even a
		// sane production setting on every input.
		if p, _, _, err := parsePHC(phc); err == nil && uint64(p.Memory)*uint64(p.Time) > 4096 {
			t.Skip("well-formed but too costly for a fuzz loop")
		}
		ok, rehash, err := h.Verify(context.Background(), password, phc)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Verify(%q) error %v does not wrap ErrMalformed", phc, err)
		}
		if err != nil && (ok || rehash) {
			t.Fatalf("Verify(%q) = %v, %v with error %v", phc, ok, rehash, err)
		}
		if ok && phc != good && phc != referencePHC {
			t.Fatalf("Verify(%q, %q) accepted a string the fuzzer made up", password, phc)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := Hasher{Params: DefaultParams}
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "violet tractor ocean pebble"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSlotsBoundHashing: no hash runs without a slot. With every slot
// taken, Hash, Verify and DummyVerify wait at most Wait and return
// ErrBusy, having done no work; a freed slot serves the next; a slot
// hashes nothing once released.
func TestSlotsBoundHashing(t *testing.T) {
	ctx := context.Background()
	g := &countingGauges{}
	h := &Hasher{Params: Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}, Slots: 1, Wait: 20 * time.Millisecond, Gauges: g}
	phc, err := h.Hash(ctx, "violet tractor ocean pebble")
	if err != nil {
		t.Fatal(err)
	}
	held, err := h.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, hashErr := h.Hash(ctx, "violet tractor ocean pebble")
	_, _, verifyErr := h.Verify(ctx, "violet tractor ocean pebble", phc)
	dummyErr := h.DummyVerify(ctx, "violet tractor ocean pebble")
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	for name, err := range map[string]error{"Hash": hashErr, "Verify": verifyErr, "DummyVerify": dummyErr} {
		if !errors.Is(err, ErrBusy) {
			t.Errorf("%s with the only slot taken: %v, want ErrBusy", name, err)
		}
	}
	if took < 3*h.Wait || took > 3*h.Wait+2*time.Second {
		t.Errorf("three tries with no slot free took %v; want each to wait %v", took, h.Wait)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc >= uint64(h.Params.Memory)*1024 {
		t.Errorf("tries turned away allocated %d bytes: they hashed", alloc)
	}
	if got := g.get(); got != [4]int{1, 1, 0, 3} {
		t.Errorf("gauges (slots, in use, waiting, shed): %v; want 1 slot, 1 in use, 0 waiting, 3 shed", got)
	}

	// A waiting hash gets the slot when it is freed.
	done := make(chan error)
	h.Wait = 5 * time.Second
	go func() {
		_, _, err := (&Hasher{}).Verify(ctx, "x", "not a hash") // another hasher's slots are its own
		if !errors.Is(err, ErrMalformed) {
			done <- fmt.Errorf("another hasher: %v, want ErrMalformed", err)
			return
		}
		_, _, err = h.Verify(ctx, "violet tractor ocean pebble", phc)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	held.Release()
	held.Release() // twice is once
	if err := <-done; err != nil {
		t.Fatalf("a hash waiting for the freed slot: %v", err)
	}
	if _, err := held.Hash("violet tractor ocean pebble"); err == nil {
		t.Error("a released slot hashed")
	}
	if _, _, err := held.Verify("violet tractor ocean pebble", phc); err == nil {
		t.Error("a released slot verified")
	}
	if err := held.DummyVerify("violet tractor ocean pebble"); err == nil {
		t.Error("a released slot ran the dummy check")
	}
	if got := g.get(); got[1] != 0 {
		t.Errorf("%d slots in use after all were released", got[1])
	}

	// A caller that gives up stops waiting.
	held, _ = h.Acquire(ctx)
	defer held.Release()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Hash(cancelled, "violet tractor ocean pebble"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with a cancelled context and no slot free: %v, want context.Canceled", err)
	}
}

type countingGauges struct {
	mu                          sync.Mutex
	slots, inUse, waiting, shed int
}

func (g *countingGauges) HashSlots(n int)       { g.mu.Lock(); g.slots = n; g.mu.Unlock() }
func (g *countingGauges) HashInUse(delta int)   { g.mu.Lock(); g.inUse += delta; g.mu.Unlock() }
func (g *countingGauges) HashWaiting(delta int) { g.mu.Lock(); g.waiting += delta; g.mu.Unlock() }
func (g *countingGauges) HashShed()             { g.mu.Lock(); g.shed++; g.mu.Unlock() }

func (g *countingGauges) get() [4]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return [4]int{g.slots, g.inUse, g.waiting, g.shed}
}
