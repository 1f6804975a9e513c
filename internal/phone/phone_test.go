package phone

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/providerportal/portal/internal/tabletest"
)

func TestNormalizeAccepts(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"GB spaced", "+44 7546 123456", "+447546123456"},
		{"GB compact", "+447546123456", "+447546123456"},
		{"GB bracketed trunk zero", "+44 (0)7546 123456", "+447546123456"},
		{"GB bracketed trunk zero, spaced", "+44 (0) 7546 123456", "+447546123456"},
		{"GB bracketed trunk zero, compact", "+44(0)7546123456", "+447546123456"},
		{"GB dashes", "+44-7546-123456", "+447546123456"},
		{"GB dots", "+44.7546.123.456", "+447546123456"},
		{"GB 00 prefix", "00447546123456", "+447546123456"},
		{"GB 00 prefix and bracketed zero", "0044 (0)7546 123456", "+447546123456"},
		{"GB bracketed country code", "(+44) 7546 123456", "+447546123456"},
		{"surrounding space", "  +44 7546 123456\n", "+447546123456"},
		{"no-break and thin spaces", "+44\u00a07546\u2009123456", "+447546123456"},
		{"en dash", "+44 7546\u2013123456", "+447546123456"},
		{"Isle of Man mobile", "+44 7624 123456", "+447624123456"},
		{"IE mobile", "+353 85 123 4567", "+353851234567"},
		{"IE mobile bracketed zero", "+353 (0)85 123 4567", "+353851234567"},
		{"US fixed line or mobile", "+1 (415) 555-2671", "+14155552671"},
		{"CA fixed line or mobile", "+1 204 234 5678", "+12042345678"},
		{"DE mobile", "+49 1512 3456789", "+4915123456789"},
		{"DE mobile with slash", "+49 (0)151/23456789", "+4915123456789"},
		{"FR mobile", "+33 6 12 34 56 78", "+33612345678"},
		{"FR mobile bracketed zero", "+33 (0)6 12 34 56 78", "+33612345678"},
		{"AU mobile", "+61 412 345 678", "+61412345678"},
		{"IT mobile", "+39 347 123 4567", "+393471234567"},
		{"HU bracketed 06 trunk prefix", "+36 (06) 20 123 4567", "+36201234567"},
		// A region rewrite from the plan, not a trunk prefix: Argentina's
		// domestic "15" mobile token becomes the international "9".
		{"AR mobile token rewritten", "+54 11 15 1234 5678", "+5491112345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.input)
			if err != nil {
				t.Fatalf("Normalize(%q) error = %v", tt.input, err)
			}
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	tests := []struct {
		name, input string
		message     string
		suggestion  string
	}{
		{"empty", "", msgEmpty, ""},
		{"only spaces", "   ", msgEmpty, ""},
		{"only plus", "+", msgEmpty, ""},
		{"overlong", "+44 7546 123456" + strings.Repeat(" ", 50), msgTooLong, ""},
		{"letters", "+44 7546 12345a", msgDigitsOnly, ""},
		{"extension", "+44 7546 123456 ext 12", msgDigitsOnly, ""},
		{"hash", "+44 7546 123456#", msgDigitsOnly, ""},
		{"second plus", "+44 +7546 123456", msgDigitsOnly, ""},
		{"plus after digits", "44+7546123456", msgDigitsOnly, ""},
		{"unclosed parenthesis", "+44 (0 7546 123456", msgDigitsOnly, ""},
		{"unopened parenthesis", "+44 0) 7546 123456", msgDigitsOnly, ""},
		{"nested parentheses", "+44 ((0)) 7546 123456", msgDigitsOnly, ""},
		{"tel URI", "tel:+447546123456", msgDigitsOnly, ""},
		{"fullwidth digits", "+４４7546123456", msgDigitsOnly, ""},

		{"GB national with trunk zero", "07546123456",
			"Include the country code, e.g. +44, and drop the leading zero: +447546123456", "+447546123456"},
		{"GB national spaced", "07546 123 456",
			"Include the country code, e.g. +44, and drop the leading zero: +447546123456", "+447546123456"},
		{"GB national without trunk zero", "7546123456",
			"Include the country code, e.g. +44: +447546123456", "+447546123456"},
		{"country code without plus", "447546123456",
			"Put a + in front of the country code: +447546123456", "+447546123456"},
		{"national, not a GB mobile", "0612345678",
			"Include the country code (for example +44 for the UK) and drop the leading zero.", ""},
		{"national GB landline gets no suggestion", "020 7946 0018",
			"Include the country code (for example +44 for the UK) and drop the leading zero.", ""},
		{"national, no trunk zero, not GB", "612345678",
			"Include the country code, for example +44 for the UK.", ""},

		{"GB trunk zero kept", "+4407546123456",
			"Drop the leading zero after the country code: +447546123456", "+447546123456"},
		{"GB trunk zero kept, spaced", "+44 07546 123456",
			"Drop the leading zero after the country code: +447546123456", "+447546123456"},
		{"GB trunk zero kept after 00", "0044 07546 123456",
			"Drop the leading zero after the country code: +447546123456", "+447546123456"},
		{"GB trunk zero bracketed and kept", "+44 (0) 07546 123456",
			"Drop the leading zero after the country code: +447546123456", "+447546123456"},
		{"IE trunk zero kept", "+353 085 123 4567",
			"Drop the leading zero after the country code: +353851234567", "+353851234567"},
		{"DE trunk zero kept", "+49 01512 3456789",
			"Drop the leading zero after the country code: +4915123456789", "+4915123456789"},
		{"FR trunk zero kept", "+33 06 12 34 56 78",
			"Drop the leading zero after the country code: +33612345678", "+33612345678"},
		{"AU trunk zero kept", "+61 0412 345 678",
			"Drop the leading zero after the country code: +61412345678", "+61412345678"},
		{"US trunk 1 kept", "+1 1 415 555 2671",
			"Drop the 1 after the country code: +14155552671", "+14155552671"},
		{"GB trunk zero kept on a landline", "+44 020 7946 0018", msgLandline, ""},
		// Italy has no trunk prefix: the 0 of a landline is part of the
		// number, so this is refused as a landline, not for its zero.
		{"IT landline keeps its zero", "+39 06 4991 1234", msgLandline, ""},
		{"IT mobile with a stray zero", "+39 0347 123 4567", msgIncomplete, ""},

		{"too short", "+44 1234", msgIncomplete, ""},
		{"GB unallocated range", "+44 7700 900123", msgNotInUse, ""},
		{"GB unallocated range, national", "+44 1000 000000", msgNotInUse, ""},
		{"US unallocated area code", "+1 199 555 2671", msgNotInUse, ""},
		{"GB one digit short", "+44 7546 12345", msgIncomplete, ""},
		{"too many digits", "+44 7546 123456 789", msgTooManyDigits, ""},
		{"far too many digits", "+44 7546 123456 789 123 456", msgTooManyDigits, ""},
		{"unknown country code", "+999 123456", msgCountryCode, ""},
		{"country code starting with zero", "+0044 7546 123456", msgCountryCode, ""},

		{"GB landline", "+44 20 7946 0018", msgLandline, ""},
		{"IE landline", "+353 1 234 5678", msgLandline, ""},
		{"DE landline", "+49 30 12345678", msgLandline, ""},
		{"FR landline", "+33 1 23 45 67 89", msgLandline, ""},
		{"AU landline", "+61 2 9374 4000", msgLandline, ""},
		{"GB toll-free", "+44 800 123 4567", msgNotMobile, ""},
		{"GB premium rate", "+44 909 876 5432", msgNotMobile, ""},
		{"GB personal number", "+44 70 1234 5678", msgNotMobile, ""},
		{"GB VoIP", "+44 56 1234 5678", msgNotMobile, ""},
		{"US toll-free", "+1 800 234 5678", msgNotMobile, ""},
		{"DE shared cost", "+49 180 1234567", msgNotMobile, ""},
		{"AU shared cost", "+61 1300 123 456", msgNotMobile, ""},
		{"FR premium rate", "+33 8 99 12 34 56", msgNotMobile, ""},
		{"IT toll-free", "+39 800 123456", msgNotMobile, ""},
		{"international freephone", "+800 1234 5678", msgNotMobile, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.input)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Normalize(%q) = %q, %v; want *Error", tt.input, got, err)
			}
			if got != "" {
				t.Errorf("Normalize(%q) returned %q alongside an error", tt.input, got)
			}
			if perr.Message != tt.message {
				t.Errorf("Normalize(%q) message = %q, want %q", tt.input, perr.Message, tt.message)
			}
			if perr.Suggestion != tt.suggestion {
				t.Errorf("Normalize(%q) suggestion = %q, want %q", tt.input, perr.Suggestion, tt.suggestion)
			}
			if perr.Error() != perr.Message {
				t.Errorf("Error() = %q, want the message", perr.Error())
			}
		})
	}
}

// A suggestion is only worth showing if taking it works.
func TestSuggestionsAreAccepted(t *testing.T) {
	for _, input := range []string{"07546123456", "7546123456", "447546123456", "+4407546123456", "+1 1 415 555 2671", "+353 085 123 4567"} {
		_, err := Normalize(input)
		var perr *Error
		if !errors.As(err, &perr) || perr.Suggestion == "" {
			t.Fatalf("Normalize(%q) = %v, want an error with a suggestion", input, err)
		}
		if got, err := Normalize(perr.Suggestion); err != nil || got != perr.Suggestion {
			t.Errorf("Normalize(suggestion %q) = %q, %v; want it accepted unchanged", perr.Suggestion, got, err)
		}
	}
}

func TestMask(t *testing.T) {
	tabletest.Check(t, "Mask", Mask, map[string]string{
		"+447546123456":   "•••• 3456",
		"+14155552671":    "•••• 2671",
		"+3531":           "•••• 3531",
		"+123":            "••••",
		"":                "••••",
		"+44 7546 123456": "•••• 3456", // formatted input still shows digits only
	})
}

func TestRegion(t *testing.T) {
	tabletest.Check(t, "Region", Region, map[string]string{
		"+447546123456":   "GB",
		"+447624123456":   "IM", // +44 is shared with the Crown Dependencies
		"+353851234567":   "IE",
		"+14155552671":    "US",
		"+12042345678":    "CA",
		"+4915123456789":  "DE",
		"+33612345678":    "FR",
		"+61412345678":    "AU",
		"+393471234567":   "IT",
		"+80012345678":    "", // international freephone: no region
		"+999123456":      "",
		"447546123456":    "",
		"+44 7546 123456": "",
		"+":               "",
		"":                "",
	})
}

func TestNonGeographic(t *testing.T) {
	tabletest.Check(t, "NonGeographic", NonGeographic, map[string]bool{
		"+881612345678":  true, // Iridium, a satellite phone: accepted by Normalize
		"+870301234567":  true, // Inmarsat: accepted by Normalize
		"+8823421234":    true, // an international network's mobile: accepted by Normalize
		"+883510012345":  true,
		"+80012345678":   true, // international freephone
		"+979123456789":  true, // international premium rate
		"+447546123456":  false,
		"+14155552671":   false,
		"+8613812345678": false, // China's +86 is a country's, not +886/+881
		"+85291234567":   false, // Hong Kong, +852
		"881612345678":   false, // not E.164
		"+881 612345678": false,
		"+":              false,
		"":               false,
	})
	// Normalize accepts the satellite and network mobiles (the rules
	// refuse them); each has no region.
	for _, in := range []string{"+881612345678", "+870301234567", "+8823421234"} {
		got, err := Normalize(in)
		if err != nil || got != in || Region(got) != "" || !NonGeographic(got) {
			t.Errorf("Normalize(%q) = %q, %v; Region %q, NonGeographic %v", in, got, err, Region(got), NonGeographic(got))
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"+44 7546 123456", "+44 (0)7546 123456", "+44-7546-123456", "00447546123456",
		"07546123456", "7546123456", "+4407546123456", "+44 1234", "+44 20 7946 0018",
		"+39 06 4991 1234", "+1 (415) 555-2671", "+54 11 15 1234 5678", "+36 (06) 20 123 4567",
		"(+44) 7546 123456", "+0044 7546 123456", "", "+", "()", "abc",
		"+881612345678", "+881 6 1234 5678", "00870301234567", "+870 (0)301234567", "+8823421234",
		"+883510012345", "+800 1234 5678", "+979 123456789", "+8816", "+88216123456",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		got, err := Normalize(input)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Normalize(%q) error %T %v, want *Error", input, err, err)
			}
			if perr.Message == "" {
				t.Fatalf("Normalize(%q) gave an empty message", input)
			}
			lower := strings.ToLower(perr.Message)
			for _, jargon := range []string{"phonenumbers", "invalid", "parse", "nsn"} {
				if strings.Contains(lower, jargon) {
					t.Fatalf("Normalize(%q) message %q contains %q", input, perr.Message, jargon)
				}
			}
			if perr.Suggestion != "" {
				if again, err := Normalize(perr.Suggestion); err != nil || again != perr.Suggestion {
					t.Fatalf("Normalize(%q) suggested %q, which normalises to %q, %v", input, perr.Suggestion, again, err)
				}
			}
			return
		}
		if len(got) < 2 || got[0] != '+' || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("Normalize(%q) = %q, not E.164", input, got)
		}
		if again, err := Normalize(got); err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", input, got, got, again, err)
		}
		// An accepted number belongs to a country or, when it is a
		// satellite or network mobile, to none: never to neither.
		if (Region(got) == "") != NonGeographic(got) {
			t.Fatalf("Normalize(%q) = %q with region %q, but NonGeographic = %v", input, got, Region(got), NonGeographic(got))
		}
		if m := Mask(got); !strings.HasSuffix(m, got[len(got)-4:]) {
			t.Fatalf("Mask(%q) = %q, does not end with the last four digits", got, m)
		}
	})
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"+447546123456", "+123", "", "1234", "+44 7546 123456", "\xff\xfe12345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		got := Mask(input)
		if !utf8.ValidString(got) || !strings.HasPrefix(got, "••••") {
			t.Fatalf("Mask(%q) = %q, want it to start with four bullets", input, got)
		}
		var digits []byte
		for i := 0; i < len(input); i++ {
			if input[i] >= '0' && input[i] <= '9' {
				digits = append(digits, input[i])
			}
		}
		want := "••••"
		if len(digits) >= 4 {
			want += " " + string(digits[len(digits)-4:])
		}
		if got != want {
			t.Fatalf("Mask(%q) = %q, want %q", input, got, want)
		}
	})
}

// Every mobile number in libphonenumber's own examples, for every region,
// must come through unchanged, be refused with itself as the suggestion when
// typed with the region's trunk prefix after the country code, and be
// accepted with the prefix in brackets. This catches plans where a real
// number begins with the trunk prefix's digits, or where the library strips
// more than the prefix.
func TestExampleMobilesEveryRegion(t *testing.T) {
	checked := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE} {
			num := phonenumbers.GetExampleNumberForType(region, typ)
			if num == nil || phonenumbers.GetNumberType(num) != typ {
				continue
			}
			checked++
			e164 := phonenumbers.Format(num, phonenumbers.E164)
			if got, err := Normalize(e164); err != nil || got != e164 {
				t.Errorf("%s example %s: Normalize = %q, %v", region, e164, got, err)
			}
			ndd := phonenumbers.GetNddPrefixForRegion(region, true)
			if ndd == "" {
				continue
			}
			cc := "+" + strconv.Itoa(int(num.GetCountryCode()))
			nsn := phonenumbers.GetNationalSignificantNumber(num)
			typed := cc + " " + ndd + nsn
			var perr *Error
			if _, err := Normalize(typed); !errors.As(err, &perr) || perr.Suggestion != e164 {
				t.Errorf("%s: Normalize(%q) = %v, want refused with suggestion %s", region, typed, err, e164)
			}
			bracketed := cc + " (" + ndd + ") " + nsn
			if got, err := Normalize(bracketed); err != nil || got != e164 {
				t.Errorf("%s: Normalize(%q) = %q, %v; want %s", region, bracketed, got, err, e164)
			}
		}
	}
	if checked < 200 {
		t.Errorf("checked only %d example numbers; has the metadata changed?", checked)
	}
}

func TestCallingCode(t *testing.T) {
	tabletest.Check(t, "CallingCode", CallingCode, map[string]string{
		"+447546123456": "+44",
		"+12025550123":  "+1",
		"+353851234567": "+353",
		"07546123456":   "",
		"+":             "",
		"+44abc":        "",
	})
}

func TestCallingCodeOfPrefix(t *testing.T) {
	tabletest.Check(t, "CallingCodeOfPrefix", codeAndFirstRegion, map[string][2]string{
		"+447": {"+44", "GB"},
		"+155": {"+1", "US"},
		"+491": {"+49", "DE"},
		"+353": {"+353", "IE"},
		"+882": {"+882", "001"},
		"+44":  {"+44", "GB"},
		"+":    {"", ""},
		"":     {"", ""},
		"447":  {"", ""},
		"+044": {"", ""},
		"+x44": {"", ""},
		"ann@": {"", ""},
	})
}

// codeAndFirstRegion is the calling code CallingCodeOfPrefix finds for a
// prefix and the first of its regions, "" where it has none.
func codeAndFirstRegion(prefix string) [2]string {
	code, regions := CallingCodeOfPrefix(prefix)
	if len(regions) == 0 {
		return [2]string{code, ""}
	}
	return [2]string{code, regions[0]}
}
