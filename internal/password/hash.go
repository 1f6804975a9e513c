package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// Hasher hashes and verifies passwords with argon2id. The zero value uses
// DefaultParams and crypto/rand.
type Hasher struct {
	Params Params    // zero means DefaultParams
	Rand   io.Reader // source of salts; nil means crypto/rand
}

func (h *Hasher) params() Params {
	if h.Params == (Params{}) {
		return DefaultParams
	}
	return h.Params
}

// Hash returns the argon2id hash of password (NFKC-normalised) as a PHC
// string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, both in unpadded base64.
func (h *Hasher) Hash(password string) (string, error) {
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
// stored hash is cheaper than h.Params in memory, passes, hash or salt
// length, so the caller should store a fresh Hash while it has the
// password. err wraps ErrMalformed if phc cannot be read or asks for
// absurd costs.
func (h *Hasher) Verify(password, phc string) (ok, needsRehash bool, err error) {
	stored, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(Normalize(password)), salt, stored.Time, stored.Memory, stored.Threads, stored.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, stored.weakerThan(h.params()), nil
}

// DummyVerify costs what Verify of a hash made with h.Params costs, and is
// called when a sign-in names an unknown email, so that response time does
// not reveal which emails have accounts.
func (h *Hasher) DummyVerify(password string) {
	p := h.params()
	if p.check() != nil {
		return // Hash fails too; there is no real hash to imitate
	}
	salt := make([]byte, p.SaltLen)
	got := argon2.IDKey([]byte(Normalize(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(got, make([]byte, p.KeyLen))
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
