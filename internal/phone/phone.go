// Package phone turns the mobile number a care provider types into the
// E.164 form ("+447546123456") that sign-in codes are sent to, refusing
// anything that cannot receive a text message with a sentence that says how
// to fix it, and masks stored numbers for display ("•••• 3456"). Number
// plans come from libphonenumber's metadata (github.com/nyaruka/phonenumbers);
// this package adds the portal's rules on top: a country code is required,
// a trunk prefix typed after it is refused rather than silently dropped, and
// only numbers that can receive SMS are accepted.
package phone

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// GuessRegion is the region assumed when a number is typed without a
// country code, used only to build the suggested fix shown to the user.
// Such a number is never accepted: guessing silently would send codes to a
// stranger's phone whenever the guess is wrong.
const GuessRegion = "GB"

// guessRegionName names GuessRegion in messages; keep the two in step.
const guessRegionName = "the UK"

// maxInputLen bounds what reaches the parser. Real numbers, even generously
// spaced, are far shorter; counted in bytes so the check itself is O(1).
const maxInputLen = 64

// Messages shown to the user. They are plain sentences: no parser jargon.
const (
	msgEmpty         = "Enter your mobile number, for example +447546123456."
	msgTooLong       = "That is too long for a phone number. Enter just your mobile number, for example +447546123456."
	msgDigitsOnly    = "Enter your mobile number using digits only, for example +447546123456."
	msgCountryCode   = "We don't recognise that country code. Check the digits after the + and try again."
	msgIncomplete    = "That doesn't look like a complete phone number. Check the digits and try again."
	msgNotInUse      = "That number is complete, but it is not a number in use: no phone numbers start with those digits. Check it and try again."
	msgTooManyDigits = "That number has too many digits. Check it and try again."
	msgLandline      = "This looks like a landline. Enter a mobile number that can receive text messages."
	msgNotMobile     = "This number can't receive text messages. Enter a mobile number."
	msgAddPlus       = "Put a + in front of the country code: "
)

// Error is a number the portal refuses. Message is a sentence for the
// user; Suggestion is the E.164 number they probably meant, when one can be
// worked out, so the form can offer it, else "".
type Error struct {
	Message    string
	Suggestion string
}

func (e *Error) Error() string { return e.Message }

func refuse(msg string) *Error { return &Error{Message: msg} }

// Normalize turns what a person typed into E.164 ("+447546123456"), or
// returns a *Error whose Message is a plain-words sentence for the user.
//
// Accepted: a leading "+" or "00" and the country code, digits separated by
// spaces, dashes, dots, slashes or parentheses, and the written trunk prefix
// convention "+44 (0)7546 123456". Only mobile-capable numbers pass.
func Normalize(input string) (string, error) {
	if len(input) > maxInputLen {
		return "", refuse(msgTooLong)
	}
	w, err := read(input)
	if err != nil {
		return "", err
	}
	if w.digits == "" {
		return "", refuse(msgEmpty)
	}
	if w.plus {
		return international(w.digits, w.groups)
	}
	if rest, ok := strings.CutPrefix(w.digits, "00"); ok {
		// "00" is the international prefix in most of the world
		// (including the UK); shift the groups to match the digits left.
		groups := make([]group, len(w.groups))
		for i, g := range w.groups {
			groups[i] = group{g.start - 2, g.end - 2}
		}
		return international(rest, groups)
	}
	return "", withoutCountryCode(w.digits)
}

// group is a parenthesised run of digits, as indexes into written.digits.
type group struct{ start, end int }

// written is the input reduced to what matters: whether it started with
// "+", its digits, and where parentheses were (to recognise "(0)").
type written struct {
	plus   bool
	digits string
	groups []group
}

// read checks the characters a person may type and strips the separators.
// Anything else (letters, "ext", "#", "*") is refused here rather than left
// to libphonenumber, which would quietly skip or reinterpret it.
func read(input string) (written, error) {
	var w written
	var digits strings.Builder
	open := -1 // start of the open parenthesis group, -1 if none
	for _, r := range strings.TrimSpace(input) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+':
			if w.plus || digits.Len() > 0 {
				return w, refuse(msgDigitsOnly)
			}
			w.plus = true
		case r == '(':
			if open >= 0 {
				return w, refuse(msgDigitsOnly)
			}
			open = digits.Len()
		case r == ')':
			if open < 0 {
				return w, refuse(msgDigitsOnly)
			}
			w.groups = append(w.groups, group{open, digits.Len()})
			open = -1
		case isSeparator(r):
		default:
			return w, refuse(msgDigitsOnly)
		}
	}
	if open >= 0 {
		return w, refuse(msgDigitsOnly)
	}
	w.digits = digits.String()
	return w, nil
}

// isSeparator reports whether r is something people put between digit
// groups, including the Unicode spaces and dashes that word processors and
// contact cards substitute when a number is copied from them.
func isSeparator(r rune) bool {
	switch r {
	case '-', '.', '/', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return unicode.IsSpace(r)
}

// international handles digits that follow a "+" (or "00"): country code,
// then the national significant number.
func international(digits string, groups []group) (string, error) {
	num, err := phonenumbers.Parse("+"+digits, "ZZ")
	if err != nil {
		return "", parseError(err)
	}
	cc := strconv.Itoa(int(num.GetCountryCode()))
	typed, ok := strings.CutPrefix(digits, cc)
	if !ok {
		// libphonenumber retries odd input such as "+0044…" in ways that
		// do not start from what was typed; refuse rather than guess.
		return "", refuse(msgCountryCode)
	}
	// The national (trunk) prefix, "0" in most of Europe, "1" in North
	// America, "8" in Russia, "06" in Hungary, none in Italy. Taken from
	// the metadata so that a 0 which is part of the number (Italian
	// landlines, +39 06…) is never mistaken for one.
	ndd := phonenumbers.GetNddPrefixForRegion(phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())), true)

	// "+44 (0)7546 123456" is a common written convention: the bracketed
	// trunk prefix is there for domestic callers and is meant to be left
	// out when dialling from abroad, so accept it and leave it out.
	if ndd != "" && bracketedTrunk(digits, len(cc), ndd, groups) {
		typed = typed[len(ndd):]
		if num, err = phonenumbers.Parse("+"+cc+typed, "ZZ"); err != nil {
			return "", parseError(err)
		}
	}

	// libphonenumber strips a national prefix typed after the country
	// code without saying so ("+4407546123456" parses as +447546123456),
	// and keeps it when stripping would leave too few digits. So judge
	// the digits exactly as typed.
	asTyped := num
	if phonenumbers.GetNationalSignificantNumber(num) != typed {
		asTyped = withNationalNumber(num.GetCountryCode(), typed)
	}
	switch {
	case phonenumbers.IsValidNumber(asTyped):
		// A real number exactly as typed: leading digits that look like a
		// trunk prefix belong to it.
		num = asTyped
	case ndd != "" && strings.HasPrefix(typed, ndd):
		// A trunk prefix was typed where it does not belong.
		return "", misplacedTrunk(num, typed, ndd)
	default:
		// Either not a number at all, which mobileCapable reports, or a
		// rewrite the region's plan documents, such as Argentina's
		// domestic "15" mobile token becoming "9": then the library's
		// result is the number meant.
	}
	if err := mobileCapable(num); err != nil {
		return "", err
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// bracketedTrunk reports whether the parenthesised group right after the
// country code (ccLen digits) is the trunk prefix ndd, as in
// "+44 (0)7546 123456".
func bracketedTrunk(digits string, ccLen int, ndd string, groups []group) bool {
	for _, g := range groups {
		if g.start == ccLen && digits[g.start:g.end] == ndd {
			return true
		}
	}
	return false
}

// misplacedTrunk is the refusal of a number whose typed digits after the
// country code begin with the trunk prefix ndd, where it does not belong.
// It shows the fix, so the person learns the stored form; if the fixed
// number would be refused anyway, it says why instead. The fix is the
// digits without the prefix, as the message says; the library's own
// stripping (num) is the fallback, for plans where a carrier code or
// rewrite follows the prefix.
func misplacedTrunk(num *phonenumbers.PhoneNumber, typed, ndd string) error {
	fixed := withNationalNumber(num.GetCountryCode(), typed[len(ndd):])
	if !phonenumbers.IsValidNumber(fixed) {
		fixed = num
	}
	if err := mobileCapable(fixed); err != nil {
		return err
	}
	fix := phonenumbers.Format(fixed, phonenumbers.E164)
	return &Error{Message: dropTrunkMessage(ndd) + fix, Suggestion: fix}
}

// dropTrunkMessage asks for the trunk prefix ndd to be left out.
func dropTrunkMessage(ndd string) string {
	if ndd == "0" {
		return "Drop the leading zero after the country code: "
	}
	return "Drop the " + ndd + " after the country code: "
}

// withNationalNumber builds the number with calling code cc and national
// significant number nsn exactly as given, leading zeros included, which
// phonenumbers.Parse cannot be asked to do.
func withNationalNumber(cc int32, nsn string) *phonenumbers.PhoneNumber {
	n, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return &phonenumbers.PhoneNumber{} // not valid, which is all callers test
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &n}
	if len(nsn) > 1 && nsn[0] == '0' {
		// The same bookkeeping phonenumbers.Parse does for leading zeros.
		zeros := int32(len(nsn) - len(strings.TrimLeft(nsn, "0"))) // #nosec G115 -- nsn is part of an input of at most maxInputLen (64) bytes
		zeros = min(zeros, int32(len(nsn)-1))                      // #nosec G115 -- as above
		italian := true
		num.ItalianLeadingZero = &italian
		num.NumberOfLeadingZeros = &zeros
	}
	return num
}

// mobileCapable refuses numbers that are not valid, or valid but unable to
// receive a text message.
func mobileCapable(num *phonenumbers.PhoneNumber) error {
	if !phonenumbers.IsValidNumber(num) {
		if phonenumbers.IsPossibleNumberWithReason(num) == phonenumbers.TOO_LONG {
			return refuse(msgTooManyDigits)
		}
		if mobileLength(num) {
			// As many digits as the country's mobile numbers have, but
			// starting in a range it has not given out: complete, just
			// not a number anyone has.
			return refuse(msgNotInUse)
		}
		return refuse(msgIncomplete)
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		// FIXED_LINE_OR_MOBILE is how North American numbers come out:
		// the plan does not tell mobiles apart.
		return nil
	case phonenumbers.FIXED_LINE:
		return refuse(msgLandline)
	default:
		// Toll-free, premium, shared-cost, VoIP, personal, pager, UAN,
		// voicemail: none reliably receives SMS.
		return refuse(msgNotMobile)
	}
}

// mobileLength reports whether num has as many digits as a mobile number
// of its country may have (a non-geographic code has none).
func mobileLength(num *phonenumbers.PhoneNumber) bool {
	lengths := mobileLengths()[phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))]
	return slices.Contains(lengths, int32(len(phonenumbers.GetNationalSignificantNumber(num)))) // #nosec G115 -- a national number of at most 17 digits
}

// mobileLengths are the lengths of each region's mobile numbers, read
// once from libphonenumber's metadata (whose own first read is not safe
// for concurrent callers, hence the once). A region whose plan gives no
// lengths for mobiles takes those of all its numbers.
var mobileLengths = sync.OnceValue(func() map[string][]int32 {
	lengths := map[string][]int32{}
	all, err := phonenumbers.MetadataCollection()
	if err != nil {
		return lengths // every short number then reads as incomplete, as before
	}
	for _, md := range all.GetMetadata() {
		l := md.GetMobile().GetPossibleLength()
		if len(l) == 0 || l[0] == -1 {
			l = md.GetGeneralDesc().GetPossibleLength()
		}
		lengths[md.GetId()] = l
	}
	return lengths
})

// withoutCountryCode refuses a number typed without a country code, and
// tries reading it as a GuessRegion number to suggest the fix.
func withoutCountryCode(digits string) error {
	code := "+" + strconv.Itoa(phonenumbers.GetCountryCodeForRegion(GuessRegion))
	ndd := phonenumbers.GetNddPrefixForRegion(GuessRegion, true)
	hasTrunk := ndd != "" && strings.HasPrefix(digits, ndd)

	num, err := phonenumbers.ParseAndKeepRawInput(digits, GuessRegion)
	if err == nil && mobileCapable(num) == nil {
		fix := phonenumbers.Format(num, phonenumbers.E164)
		switch {
		case num.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_NUMBER_WITHOUT_PLUS_SIGN:
			return &Error{Message: msgAddPlus + fix, Suggestion: fix}
		case hasTrunk:
			return &Error{Message: "Include the country code, e.g. " + code + ", and drop the leading zero: " + fix, Suggestion: fix}
		default:
			return &Error{Message: "Include the country code, e.g. " + code + ": " + fix, Suggestion: fix}
		}
	}
	if hasTrunk {
		return refuse("Include the country code (for example " + code + " for " + guessRegionName + ") and drop the leading zero.")
	}
	return refuse("Include the country code, for example " + code + " for " + guessRegionName + ".")
}

// parseError turns a phonenumbers error into a sentence for the user.
func parseError(err error) *Error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return refuse(msgCountryCode)
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return refuse(msgTooManyDigits)
	default:
		return refuse(msgIncomplete)
	}
}

// Mask shows only the last four digits of a number ("•••• 3456"), enough
// for a person to recognise their phone without revealing it to whoever
// sees the screen. Fewer than four digits give "••••".
func Mask(e164 string) string {
	const bullets = "••••"
	var last [4]byte
	n := 0
	for i := 0; i < len(e164); i++ {
		if c := e164[i]; c >= '0' && c <= '9' {
			last[n%4] = c
			n++
		}
	}
	if n < 4 {
		return bullets
	}
	var b strings.Builder
	b.WriteString(bullets + " ")
	for i := range 4 {
		b.WriteByte(last[(n+i)%4])
	}
	return b.String()
}

// parseE164 reads a stored E.164 number; ok is false for anything else.
func parseE164(e164 string) (num *phonenumbers.PhoneNumber, ok bool) {
	digits, ok := strings.CutPrefix(e164, "+")
	if !ok || digits == "" || len(digits) > 15 || strings.TrimLeft(digits, "0123456789") != "" {
		return nil, false
	}
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return nil, false
	}
	return num, true
}

// Region returns the ISO 3166 region code ("GB") of an E.164 number, or ""
// if it is not E.164 or belongs to no single region (such as +800 numbers).
func Region(e164 string) string {
	num, ok := parseE164(e164)
	if !ok {
		return ""
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if len(region) != 2 || region == "ZZ" {
		return "" // "001" is libphonenumber's "world", not a region
	}
	return region
}

// NonGeographic reports whether an E.164 number belongs to no country:
// libphonenumber's "world" (region "001"), the calling codes of satellite
// phones (+881, +870), international networks (+882, +883) and
// international freephone and premium services (+800, +808, +979).
// Normalize accepts the satellite and network mobiles among them; text
// messages to them cost the most, which makes them what SMS pumpers aim
// at, so the portal's rules refuse them unless the operator allows them.
func NonGeographic(e164 string) bool {
	num, ok := parseE164(e164)
	return ok && phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())) == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
}

// CallingCode returns the country calling code of an E.164 number with its
// plus sign ("+44"), or "" if it cannot be read. Numbers sharing it share a
// price list at SMS providers, which is why budgets against SMS pumping
// are kept per calling code.
func CallingCode(e164 string) string {
	num, ok := parseE164(e164)
	if !ok || num.GetCountryCode() == 0 {
		return ""
	}
	return "+" + strconv.Itoa(int(num.GetCountryCode()))
}

// CallingCodeOfPrefix returns the country calling code ("+44") that every
// E.164 number starting with prefix ("+447") has, and the regions sharing
// it ("GB", "GG", "IM", "JE"; "001" for none), or "" and nil when prefix
// holds none. Calling codes have one to three digits and none begins
// another, so the first four characters of a number are enough.
func CallingCodeOfPrefix(prefix string) (string, []string) {
	digits, ok := strings.CutPrefix(prefix, "+")
	if !ok {
		return "", nil
	}
	supported := phonenumbers.GetSupportedCallingCodes()
	for n := 1; n <= 3 && n <= len(digits); n++ {
		cc, err := strconv.Atoi(digits[:n])
		if err != nil || digits[0] == '0' {
			return "", nil
		}
		if supported[cc] {
			return "+" + digits[:n], phonenumbers.GetRegionCodesForCountryCode(cc)
		}
	}
	return "", nil
}
