package otp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math"
	"testing"
)

func TestGenerateFormat(t *testing.T) {
	for i := 0; i < 1000; i++ {
		c, err := Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(c); err != nil || len(c) != Digits {
			t.Fatalf("Generate = %q, not six digits", c)
		}
	}
}

// TestGenerateRejectsBiasedDraws feeds draws from the biased top range of
// uint32 first: they must be skipped, not reduced modulo 10^6.
func TestGenerateRejectsBiasedDraws(t *testing.T) {
	src := bytes.NewReader([]byte{
		0xff, 0xff, 0xff, 0xff, // 4294967295: above the last multiple of 10^6, rejected
		0x00, 0x00, 0x00, 0x2a, // 42
	})
	c, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if c != "000042" {
		t.Fatalf("Generate = %q, want 000042 (the biased draw must be rejected)", c)
	}
}

func TestGenerateReadError(t *testing.T) {
	if _, err := Generate(bytes.NewReader(nil)); err == nil {
		t.Fatal("Generate with an empty source succeeded")
	}
}

// TestGenerateUniform is a chi-squared test on the first digit and the last
// digit over many draws; a biased generator (e.g. modulo of a byte) fails.
func TestGenerateUniform(t *testing.T) {
	const n = 50000
	var first, last [10]int
	for i := 0; i < n; i++ {
		c, err := Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		first[c[0]-'0']++
		last[c[5]-'0']++
	}
	for name, counts := range map[string][10]int{"first": first, "last": last} {
		var chi float64
		for _, k := range counts {
			d := float64(k) - n/10
			chi += d * d / (n / 10)
		}
		// 9 degrees of freedom: p = 0.0001 at 33.7.
		if chi > 33.7 || math.IsNaN(chi) {
			t.Errorf("%s digit distribution chi² = %.1f, counts %v", name, chi, counts)
		}
	}
}

func TestHashBinding(t *testing.T) {
	key := []byte("k")
	b := Binding{UserID: 1, Purpose: "login", Destination: "+447546123456", AttemptID: "a"}
	h := Hash(key, b, "123456")
	if !Matches(key, b, "123456", h) {
		t.Fatal("the code does not match its own hash")
	}
	others := []struct {
		name string
		key  []byte
		b    Binding
		code string
	}{
		{"code", key, b, "123457"},
		{"key", []byte("other"), b, "123456"},
		{"user", key, Binding{2, b.Purpose, b.Destination, b.AttemptID}, "123456"},
		{"purpose", key, Binding{1, "change_phone", b.Destination, b.AttemptID}, "123456"},
		{"destination", key, Binding{1, b.Purpose, "+447546123457", b.AttemptID}, "123456"},
		{"attempt", key, Binding{1, b.Purpose, b.Destination, "b"}, "123456"},
		// Shifting bytes between fields must not collide.
		{"field boundary", key, Binding{1, "login+", "447546123456", "a"}, "123456"},
	}
	for _, o := range others {
		if Matches(o.key, o.b, o.code, h) {
			t.Errorf("a different %s matched", o.name)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"123456", "123456", true},
		{" 123456 ", "123456", true},
		{"123 456", "123456", true},
		{"123-456", "123456", true},
		{"１２３４５６", "123456", true},
		{"000000", "000000", true},
		{"12345", "", false},
		{"1234567", "", false},
		{"12345a", "", false},
		{"", "", false},
		{"+123456", "", false},
		{"١٢٣٤٥٦", "", false}, // Arabic-Indic digits are not accepted
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%q) error %v is not ErrFormat", tt.in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "１２３４５６", "abc", "", "12345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Parse(in)
		if err != nil {
			if got != "" {
				t.Fatalf("Parse(%q) returned %q with an error", in, got)
			}
			return
		}
		if len(got) != Digits {
			t.Fatalf("Parse(%q) = %q, not %d long", in, got, Digits)
		}
		for _, r := range got {
			if r < '0' || r > '9' {
				t.Fatalf("Parse(%q) = %q, not ASCII digits", in, got)
			}
		}
		if again, err := Parse(got); err != nil || again != got {
			t.Fatalf("Parse is not idempotent on %q", got)
		}
	})
}
