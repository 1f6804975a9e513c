// Package password decides which passwords care providers may choose and
// stores them safely: Check applies the portal's policy, which follows NIST
// SP 800-63B (a minimum length, a check against lists of breached and
// common passwords and one for easily guessed ones, no composition rules
// such as "must contain a digit"),
// and Hasher turns a password into an argon2id hash in PHC string form and
// verifies it at sign-in.
package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/matching"
	"golang.org/x/text/unicode/norm"
)

// Password length limits. The minimum is counted in characters (runes,
// after NFKC normalisation) so that a password in, say, Greek or Japanese
// is not held to a different rule; the maximum in bytes, generous enough
// for any passphrase (NIST SP 800-63B asks for at least 64 characters) and
// never truncated.
const (
	MinLength = 12
	MaxBytes  = 1024
)

// Normalize is the form in which passwords are checked and hashed: Unicode
// NFKC, so that the same password typed on different keyboards (composed
// or decomposed accents, full-width digits) is the same password.
func Normalize(password string) string {
	return norm.NFKC.String(password)
}

// minScore is the lowest zxcvbn score accepted: 3 means "safely
// unguessable", about 10^8 guesses or more.
const minScore = 3

// zxcvbnMaxBytes bounds how much of a password zxcvbn reads. Its matching
// grows with the square of the length times the leet substitutions found:
// measured here, 256 characters took 0.2 s for ordinary text and 0.5–0.8 s
// for leet-heavy input such as "4@$1|!0(<{[%+7…", far too slow for a form
// anyone can post to; 100 characters still took up to 45 ms, 40 bytes up to
// 55 ms under load. At 32 bytes the worst input found takes 20–40 ms
// (BenchmarkCheckWorstCase). Judging only the start can wrongly refuse a
// long password whose first 32 bytes are weak, but never wrongly accept
// one: more characters do not make the start easier to guess.
const zxcvbnMaxBytes = 32

// commonMaxRunes is the length of the longest password in zxcvbn's list;
// a test keeps it in step with the list.
const commonMaxRunes = 20

// Messages shown to the user. Each says what is wrong with this password,
// not the rule again: the pages show the rule as the field's hint (At
// least 12 characters. A few unrelated words …), beside the message.
const (
	msgTooShort   = "This password is too short: use at least 12 characters."
	msgTooLong    = "Use at most 1,024 bytes (about 1,000 letters, fewer in some scripts)."
	msgUnreadable = "This password contains characters that can't be used. Type it again."
	msgCommon     = "This password is on a list of commonly used passwords. Choose another one."
	msgGuessable  = "This password is too easy to guess. Try a longer phrase of unrelated words."
)

// PolicyError is a password the policy refuses; Message is a sentence to
// show the person choosing it.
type PolicyError struct{ Message string }

func (e *PolicyError) Error() string { return e.Message }

// Check applies the password policy and returns a *PolicyError saying what
// to change, or nil. userInputs are things an attacker would try first for
// this account, such as the email address and name.
func Check(password string, userInputs ...string) error {
	if !utf8.ValidString(password) {
		return &PolicyError{Message: msgUnreadable}
	}
	if len(password) > MaxBytes {
		return &PolicyError{Message: msgTooLong}
	}
	password = Normalize(password)
	if utf8.RuneCountInString(password) < MinLength {
		return &PolicyError{Message: msgTooShort}
	}

	if isBreached(password) || isCommon(password) {
		return &PolicyError{Message: msgCommon}
	}
	result := zxcvbn.PasswordStrength(prefix(password, zxcvbnMaxBytes), expand(userInputs))
	if result.Score < minScore {
		return &PolicyError{Message: msgGuessable}
	}
	return nil
}

// isCommon reports whether the whole password is one in zxcvbn's list of
// common passwords, in any letter case, reversed or with leet substitutions
// ("L3@v3M3@l0n3"). zxcvbn's score alone misses some: it rates
// "Password1234" as "Password" + "1234", merely weak. Only passwords no
// longer than the longest listed one can match, which also keeps this second
// run of the matchers cheap.
func isCommon(password string) bool {
	if utf8.RuneCountInString(password) > commonMaxRunes {
		return false
	}
	for _, m := range matching.Omnimatch(password, nil) {
		if m.Pattern == "dictionary" && m.DictionaryName == "passwords" && m.Token == password {
			return true
		}
	}
	return false
}

// prefix returns the longest start of s of at most n bytes that ends on a
// character boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// expand adds the words inside each user input, and those words run
// together, so that "Jane Doe" or "jane.doe@nhs.net" also make "jane",
// "doe" and "janedoe" count as guessable; zxcvbn only matches inputs whole.
func expand(inputs []string) []string {
	var out []string
	for _, in := range inputs {
		if in == "" {
			continue
		}
		out = append(out, in)
		words := strings.FieldsFunc(in, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		if len(words) > 1 {
			out = append(out, strings.Join(words, ""))
		}
		for _, word := range words {
			if utf8.RuneCountInString(word) >= 3 && word != in {
				out = append(out, word)
			}
		}
	}
	return out
}
