package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	KeyLen  uint32 // bytes of hash
	SaltLen uint32 // bytes of salt
}

// DefaultParams is the OWASP Password Storage Cheat Sheet's minimum for
// argon2id (m=19 MiB, t=2, p=1). A test fails if they are lowered.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Limits on parameters, for PHC strings read back from storage as much as
// for a Hasher's own settings. They are far above any sensible setting; what
// they stop is a corrupt or tampered row making one sign-in allocate
// gigabytes or run for minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 100
	maxThreads = 64
	// maxWork bounds memory × passes, since each is allowed on its own at
	// a size that together would still take minutes: 4 GiB-passes.
	maxWork    = 4 << 20
	minKeyLen  = 16
	maxKeyLen  = 128
	minSaltLen = 8
	maxSaltLen = 64
	// maxPHCLen is well above the longest string the limits allow.
	maxPHCLen = 512
)

// ErrMalformed is wrapped by the error Verify returns for a stored hash it
// cannot read or will not run.
var ErrMalformed = errors.New("malformed password hash")

// Hasher hashes and verifies passwords with argon2id, a bounded number
// at a time: each hash holds a Slot, and the only way to hash or verify is
// with one (Hasher's own Hash, Verify and DummyVerify take one for the
// call). argon2id takes 19 MiB and tens of milliseconds of a core per
// hash, so without the bound any form that takes a password (login,
// set-up, a reset, re-authentication) would be a memory and CPU sink;
// with it, a flood waits briefly and is then told the portal is busy
// (ErrBusy). The zero value uses DefaultParams, crypto/rand and one slot
// per CPU; set the fields before the first use.
type Hasher struct {
	Params Params    // zero means DefaultParams
	Rand   io.Reader // source of salts; nil means crypto/rand
	// Slots is how many hashes may run at once; 0: one per CPU. Read at
	// the first hash.
	Slots int
	// Wait is how long a hash waits for a free slot before ErrBusy;
	// 0: DefaultWait.
	Wait time.Duration
	// Gauges, if set, is told how many slots there are, are taken and
	// are waited for (the portal's metrics).
	Gauges Gauges

	slotsOnce sync.Once
	slots     chan struct{}
}

// DefaultWait is how long a hash waits for a slot by default.
const DefaultWait = 2 * time.Second

// ErrBusy is returned when every hashing slot stayed taken for the
// Hasher's Wait: the portal is very busy; try again in a moment.
var ErrBusy = errors.New("password: every hashing slot is taken")

// errReleased is returned by a Slot used after Release: a hash must not
// run outside the bound.
var errReleased = errors.New("password: hashing slot used after release")

// Gauges is what a Hasher reports about its slots.
type Gauges interface {
	HashSlots(n int)       // how many hashes may run at once
	HashInUse(delta int)   // a slot taken (1) or freed (-1)
	HashWaiting(delta int) // a hash began (1) or stopped (-1) waiting for a slot
	HashShed()             // a hash turned away with ErrBusy
}

type noGauges struct{}

func (noGauges) HashSlots(int)   {}
func (noGauges) HashInUse(int)   {}
func (noGauges) HashWaiting(int) {}
func (noGauges) HashShed()       {}

func (h *Hasher) gauges() Gauges {
	if h.Gauges == nil {
		return noGauges{}
	}
	return h.Gauges
}

func (h *Hasher) params() Params {
	if h.Params == (Params{}) {
		return DefaultParams
	}
	return h.Params
}

// Slot is the right to run argon2id, one hash at a time, until Release.
// It belongs to one goroutine.
type Slot struct {
	h        *Hasher
	released bool
}

// Acquire waits for a free slot: at most the Hasher's Wait, then ErrBusy;
// or until ctx ends, then ctx's error.
func (h *Hasher) Acquire(ctx context.Context) (*Slot, error) {
	h.slotsOnce.Do(func() {
		n := h.Slots
		if n <= 0 {
			n = runtime.NumCPU()
		}
		h.slots = make(chan struct{}, n)
		h.gauges().HashSlots(n)
	})
	g := h.gauges()
	select {
	case h.slots <- struct{}{}:
		g.HashInUse(1)
		return &Slot{h: h}, nil
	default:
	}
	// Every slot is taken: wait in line, which the gauges show.
	g.HashWaiting(1)
	defer g.HashWaiting(-1)
	wait := h.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		g.HashInUse(1)
		return &Slot{h: h}, nil
	case <-t.C:
		g.HashShed()
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Release frees the slot; it may be called again (a deferred Release
// after an early one).
func (s *Slot) Release() {
	if s.released {
		return
	}
	s.released = true
	<-s.h.slots
	s.h.gauges().HashInUse(-1)
}

// Hash is Slot.Hash with a slot of its own.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	s, err := h.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer s.Release()
	return s.Hash(password)
}

// Verify is Slot.Verify with a slot of its own.
func (h *Hasher) Verify(ctx context.Context, password, phc string) (ok, needsRehash bool, err error) {
	s, err := h.Acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer s.Release()
	return s.Verify(password, phc)
}

// DummyVerify is Slot.DummyVerify with a slot of its own.
func (h *Hasher) DummyVerify(ctx context.Context, password string) error {
	s, err := h.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.Release()
	return s.DummyVerify(password)
}

// Hash returns the argon2id hash of password (NFKC-normalised) as a PHC
// string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, both in unpadded base64.
func (s *Slot) Hash(password string) (string, error) {
	if s.released {
		return "", errReleased
	}
	h := s.h
	p := h.params()
	if err := p.check(); err != nil {
		return "", fmt.Errorf("password hasher: %w", err)
	}
	r := h.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(Normalize(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string phc, comparing in
// constant time. needsRehash is true when the password matched but the
// stored hash is cheaper than the Hasher's Params in memory, passes, hash
// or salt length, so the caller should store a fresh Hash while it has the
// password. err wraps ErrMalformed if phc cannot be read or asks for
// absurd costs.
func (s *Slot) Verify(password, phc string) (ok, needsRehash bool, err error) {
	if s.released {
		return false, false, errReleased
	}
	stored, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(Normalize(password)), salt, stored.Time, stored.Memory, stored.Threads, stored.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, stored.weakerThan(s.h.params()), nil
}

// DummyVerify costs what Verify of a hash made with the Hasher's Params
// costs, and is called when a sign-in names an unknown email, so that
// response time does not reveal which emails have accounts.
func (s *Slot) DummyVerify(password string) error {
	if s.released {
		return errReleased
	}
	p := s.h.params()
	if p.check() != nil {
		return nil // Hash fails too; there is no real hash to imitate
	}
	salt := make([]byte, p.SaltLen)
	got := argon2.IDKey([]byte(Normalize(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(got, make([]byte, p.KeyLen))
	return nil
}

// check refuses parameters argon2 cannot run, or that cost absurdly much.
func (p Params) check() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("parallelism %d outside 1–%d", p.Threads, maxThreads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("passes %d outside 1–%d", p.Time, maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB outside %d–%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case uint64(p.Memory)*uint64(p.Time) > maxWork:
		return fmt.Errorf("memory × passes %d above %d", uint64(p.Memory)*uint64(p.Time), maxWork)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("hash length %d outside %d–%d", p.KeyLen, minKeyLen, maxKeyLen)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d outside %d–%d", p.SaltLen, minSaltLen, maxSaltLen)
	}
	return nil
}

// weakerThan reports whether any cost in p is below the one in want.
// Threads are left out: they change the hash, not its strength.
func (p Params) weakerThan(want Params) bool {
	return p.Memory < want.Memory || p.Time < want.Time ||
		p.KeyLen < want.KeyLen || p.SaltLen < want.SaltLen
}

// parsePHC reads $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>, strictly: one
// spelling per hash, so that nothing unexpected in a stored row is run.
func parsePHC(s string) (Params, []byte, []byte, error) {
	malformed := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	if len(s) > maxPHCLen {
		return malformed("too long")
	}
	fields := strings.Split(s, "$")
	if len(fields) != 6 || fields[0] != "" {
		return malformed("not a PHC string")
	}
	if fields[1] != "argon2id" {
		return malformed("algorithm is not argon2id")
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return malformed("unsupported argon2 version")
	}
	var p Params
	costs := strings.Split(fields[3], ",")
	if len(costs) != 3 {
		return malformed("want m, t and p")
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(costs[i], name)
		if !ok || v == "" || (v[0] == '0' && v != "0") {
			return malformed("want m, t and p in that order")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return malformed("cost is not a number")
		}
		switch i {
		case 0:
			p.Memory = uint32(n)
		case 1:
			p.Time = uint32(n)
		case 2:
			if n > maxThreads {
				return malformed("parallelism too high")
			}
			p.Threads = uint8(n)
		}
	}
	salt, err := decodeBase64(fields[4])
	if err != nil {
		return malformed("salt is not unpadded base64")
	}
	key, err := decodeBase64(fields[5])
	if err != nil {
		return malformed("hash is not unpadded base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key)) // #nosec G115 -- s is at most maxPHCLen bytes, so both fit
	if err := p.check(); err != nil {
		return malformed(err.Error())
	}
	return p, salt, key, nil
}

// decodeBase64 decodes unpadded standard base64, refusing the line breaks
// and non-zero trailing bits the decoder would otherwise let through.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, errors.New("not canonical")
	}
	return b, nil
}
