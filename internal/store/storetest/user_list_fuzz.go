package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/providerportal/portal/internal/store"
)

// FuzzListUsers checks the administrators' user list against a plain
// reading of its contract for any search and cursor a person could type
// into /admin/users (?q=, ?after=): never an error, every match and only
// matches, in email order after the cursor. Text that is not readable
// (invalid UTF-8, control characters) never gets this far: the web refuses
// it first, and PostgreSQL could not compare it.
//
// Each engine's tests call it from a FuzzListUsers of their own, with a
// fresh, empty store.
func FuzzListUsers(f *testing.F, s store.Store) {
	users := createFuzzUsers(f, s)
	for _, s := range [][2]string{
		{"", ""}, {"ann", ""}, {"AN", "ann010@example.org"}, {"%", ""}, {"_", ""}, {`\`, ""}, {"o'b", ""},
		{"7546 12", ""}, {"+44", ""}, {"zoë", ""}, {"ZOË", ""}, {"STRASSE", ""}, {"李", ""}, {"", "zzz"}, {"", "É"},
		{"a%b", "b"}, {"example.org", "car"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, search, after string) {
		checkListed(t, s, users, search, after)
	})
}

// createFuzzUsers creates the 40 users of FuzzListUsers and returns them
// in email order.
func createFuzzUsers(f *testing.F, s store.Store) []store.User {
	// Names hold LIKE's wildcards and letters that are not ASCII, whose
	// case the engines fold differently; emails, letters and digits
	// before a common domain, all of one length so that no collation
	// disputes their order.
	names := []string{"Ann Example", "bob_o'brien", "100% Carol", `back\slash`, "Zoë Kraus", "Straße", "李 Wei", "a.b-c", "ANN", "_%_"}
	var users []store.User
	for i := range 40 {
		phone := ""
		if i%3 > 0 {
			phone = fmt.Sprintf("+44754612%04d", i*37)
		}
		u := store.User{
			Email: fmt.Sprintf("%s%03d@example.org", []string{"ann", "Bob", "car", "ZOE", "sTr"}[i%5], i),
			Name:  names[i%len(names)], Phone: phone, CreatedAt: t0,
		}
		if err := s.CreateUser(f.Context(), &u); err != nil {
			f.Fatalf("CreateUser: %v", err)
		}
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b store.User) int { return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)) })

	return users
}

// checkListed checks one page of ListUsers for search after the cursor
// against users, all there are.
func checkListed(t *testing.T, s store.Store, users []store.User, search, after string) {
	if !readableText(search) || !readableText(after) {
		return
	}
	got, err := s.ListUsers(t.Context(), store.UserQuery{Search: search, After: after, Limit: 100})
	if err != nil {
		t.Fatalf("ListUsers(q=%q, after=%q): %v", search, after, err)
	}
	ascii := isASCII(search) && isASCII(after)
	var want []string
	for _, u := range users {
		if listed(u, search, after, asciiLower) {
			want = append(want, u.Email)
		}
	}
	gotEmails := make([]string, len(got))
	for i, u := range got {
		gotEmails[i] = u.Email
		// Text that is not ASCII is folded as each engine folds it
		// (SQLite: ASCII letters only); a listed user must match in
		// one of the two ways.
		if !listed(u, search, after, asciiLower) && !listed(u, search, after, strings.ToLower) {
			t.Fatalf("ListUsers(q=%q, after=%q) lists %s (%q), which does not match", search, after, u.Email, u.Name)
		}
		if i > 0 && strings.ToLower(got[i-1].Email) >= strings.ToLower(u.Email) {
			t.Fatalf("ListUsers(q=%q, after=%q) = %q: not in email order", search, after, gotEmails)
		}
	}
	if ascii && !slices.Equal(gotEmails, want) {
		t.Fatalf("ListUsers(q=%q, after=%q) = %q, want %q", search, after, gotEmails, want)
	}
}

// listed reports whether u is on the page for search after the cursor,
// with letter case folded by lower.
func listed(u store.User, search, after string, lower func(string) string) bool {
	if after != "" && lower(u.Email) <= lower(after) {
		return false
	}
	if search == "" {
		return true
	}
	if strings.Contains(lower(u.Name), lower(search)) || strings.Contains(lower(u.Email), lower(search)) {
		return true
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, search)
	return len(digits) >= 3 && strings.Contains(u.Phone, digits)
}

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func isASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII })
}

// readableText is what the web lets through (web.readable).
func readableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
	})
}
