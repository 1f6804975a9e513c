package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		password   string
		userInputs []string
		want       string // message, "" for accepted
	}{
		{"empty", "", nil, msgTooShort},
		{"eleven characters", "violet oce4", nil, msgTooShort},
		// 11 runes but 33 bytes: length is counted in characters.
		{"eleven multibyte characters", "緑の海と青い山の小さな", nil, msgTooShort},
		{"twelve multibyte characters", "緑の海と青い山の小さな川", nil, ""},
		{"twelve characters with accents", "žluťoučký kň", nil, ""},
		{"1,025 bytes", strings.Repeat("violet tractor ocean pebble ", 40)[:1025], nil, msgTooLong},
		{"1,024 bytes", strings.Repeat("violet tractor ocean pebble ", 40)[:1024], nil, ""},
		{"full-width letters normalise to a common password", "ｐａｓｓｗｏｒｄ１２３４", nil, msgCommon},
		{"invalid UTF-8", "violet tractor \xff ocean", nil, msgUnreadable},

		{"common", "password1234", nil, msgCommon},
		{"common keyboard walk", "qwertyuiop123", nil, msgCommon},
		{"common, capitalised", "Password1234", nil, msgCommon},
		{"common, upper case", "QWERTYUIOP123", nil, msgCommon},
		{"common, leet", "L3@v3M3@l0n3", nil, msgCommon},
		{"common, leet with a one for an i", "f1n@lf@nt@sy", nil, msgCommon},
		{"common, reversed", "4321drowssap", nil, msgCommon},
		{"common pattern", "1qaz2wsx3edc", nil, msgCommon},

		{"breached, repeated character", "aaaaaaaaaaaa", nil, msgCommon},
		{"breached, sequence", "abcdefghijklmnop", nil, msgCommon},

		{"repeated character", "7777777777777777777", nil, msgGuessable},
		{"sequence", "hijklmnopqrstu", nil, msgGuessable},
		{"repeated word", "monkeymonkeymonkey", nil, msgGuessable},
		{"word and year", "Liverpool2024", nil, msgGuessable},
		{"own email", "jane.doe@example.com", []string{"jane.doe@example.com", "Jane Doe"}, msgGuessable},
		{"own name and digits", "JaneDoe12345", []string{"jane.doe@example.com", "Jane Doe"}, msgGuessable},
		{"own name run together", "janedoe12345", []string{"Jane Doe"}, msgGuessable},
		{"own name, without user inputs", "janedoe12345", nil, ""},
		// A long password is judged on its start only (see zxcvbnMaxBytes):
		// a weak start is refused however strong the rest.
		{"weak start, strong end", strings.Repeat("a", zxcvbnMaxBytes) + "violet tractor ocean pebble", nil, msgGuessable},

		{"passphrase", "violet tractor ocean pebble", nil, ""},
		{"passphrase, no spaces", "VioletTractorOceanPebble", nil, ""},
		{"classic passphrase", "correct horse battery staple", nil, ""},
		{"random characters", "x9K#m2$Lq7!v", nil, ""},
		{"no digits or symbols needed", "marmalade harbour kestrel", nil, ""},
		{"user inputs do not spoil a strong password", "violet tractor ocean pebble", []string{"jane.doe@example.com", "Jane Doe"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.password, tt.userInputs...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tt.password, err)
				}
				return
			}
			var perr *PolicyError
			if !errors.As(err, &perr) {
				t.Fatalf("Check(%q) = %v, want *PolicyError", tt.password, err)
			}
			if perr.Message != tt.want {
				t.Errorf("Check(%q) message = %q, want %q", tt.password, perr.Message, tt.want)
			}
			if perr.Error() != perr.Message {
				t.Errorf("Error() = %q, want the message", perr.Error())
			}
		})
	}
}

// isCommon skips passwords longer than commonMaxRunes, so it must be at
// least the length of the longest listed password.
func TestCommonMaxRunes(t *testing.T) {
	longest := 0
	for _, p := range frequency.FrequencyLists["passwords"] {
		longest = max(longest, utf8.RuneCountInString(p))
	}
	if longest != commonMaxRunes {
		t.Errorf("longest listed password has %d characters, commonMaxRunes is %d", longest, commonMaxRunes)
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 40, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // never cuts a character in half
		{"aé", 3, "aé"},
		{"日本", 4, "日"},
	}
	for _, tt := range tests {
		if got := prefix(tt.s, tt.n); got != tt.want {
			t.Errorf("prefix(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
		if !utf8.ValidString(prefix(tt.s, tt.n)) {
			t.Errorf("prefix(%q, %d) is not valid UTF-8", tt.s, tt.n)
		}
	}
}

// BenchmarkCheckWorstCase measures the slowest input found for zxcvbn, a
// maximum-length password dense in leet substitutions; see zxcvbnMaxBytes.
func BenchmarkCheckWorstCase(b *testing.B) {
	pw := strings.Repeat("4@$1|!0(<{[%+7389625", 52)[:MaxBytes]
	for b.Loop() {
		_ = Check(pw, "jane.doe@example.com", "Jane Doe")
	}
}

func TestNormalizedHashing(t *testing.T) {
	h := &Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}
	composed, decomposed := "caf\u00e9 tractor ocean", "cafe\u0301 tractor ocean"
	phc, err := h.Hash(context.Background(), composed)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(context.Background(), decomposed, phc); err != nil || !ok {
		t.Fatalf("the decomposed spelling of the same password did not verify: %v %v", ok, err)
	}
	// No truncation: a long password differs from its first kilobyte less one byte.
	long := strings.Repeat("violet tractor ocean pebble ", 40)[:MaxBytes]
	phc, _ = h.Hash(context.Background(), long)
	if ok, _, _ := h.Verify(context.Background(), long[:MaxBytes-1], phc); ok {
		t.Fatal("a password one byte shorter verified: it was truncated")
	}
	if ok, _, _ := h.Verify(context.Background(), long, phc); !ok {
		t.Fatal("a 1,024-byte password did not verify")
	}
}

// FuzzCheck: Check never panics, refuses only with one of its messages,
// and what it accepts meets every rule it states; Normalize is idempotent.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"", "password1234", "Findaupair007", "violet tractor ocean pebble", "ｐａｓｓｗｏｒｄ１２３４",
		"violet tractor \xff ocean", "cafe\u0301 tractor ocean", "\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0",
		"ﬀﬀﬀﬀﬀﬀ", strings.Repeat("é", 600), "4@$1|!0(<{[%+7389625",
	} {
		f.Add(s, "jane.doe@example.com")
	}
	messages := map[string]bool{msgTooShort: true, msgTooLong: true, msgUnreadable: true, msgCommon: true, msgGuessable: true}
	f.Fuzz(func(t *testing.T, pw, userInput string) {
		if len(pw) > 2*MaxBytes {
			return // refused by length before any work; keeps the fuzzer on interesting sizes
		}
		n := Normalize(pw)
		if Normalize(n) != n {
			t.Fatalf("Normalize is not idempotent on %q", pw)
		}
		err := Check(pw, userInput)
		if err != nil {
			var perr *PolicyError
			if !errors.As(err, &perr) || !messages[perr.Message] {
				t.Fatalf("Check(%q) = %v, not one of the policy's messages", pw, err)
			}
			return
		}
		if !utf8.ValidString(pw) || len(pw) > MaxBytes || utf8.RuneCountInString(n) < MinLength {
			t.Fatalf("Check accepted %q, which breaks a length or encoding rule", pw)
		}
		if isBreached(n) || isCommon(n) {
			t.Fatalf("Check accepted the listed password %q", pw)
		}
		// Accepted in one spelling, accepted in every spelling of it.
		if Check(n, userInput) != nil {
			t.Fatalf("Check accepted %q but refused its normal form %q", pw, n)
		}
	})
}
