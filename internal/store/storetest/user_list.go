package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
)

// The administrators' list of users.
var userListTests = []test{
	{"ListUsersEmpty", testListUsersEmpty},
	{"ListUsersOrder", testListUsersOrder},
	{"ListUsersLimit", testListUsersLimit},
	{"ListUsersAfter", testListUsersAfter},
	{"ListUsersSearchName", testListUsersSearchName},
	{"ListUsersSearchEmail", testListUsersSearchEmail},
	{"ListUsersSearchPhone", testListUsersSearchPhone},
	{"ListUsersSearchWildcards", testListUsersSearchWildcards},
	{"ListUsersSearchPages", testListUsersSearchPages},
	{"ListUsersMatchesModel", testListUsersMatchesModel},
}

// addUser creates a user with the email, name and phone.
func addUser(t *testing.T, s store.Store, email, name, phone string) *store.User {
	t.Helper()
	u := &store.User{Email: email, Name: name, Phone: phone, CreatedAt: t0}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}

func listUsers(t *testing.T, s store.Store, q store.UserQuery) []store.User {
	t.Helper()
	return mustList(t, "ListUsers", s.ListUsers, q)
}

func emails(users []store.User) []string {
	return each(users, func(u store.User) string { return u.Email })
}

// wantEmails checks that ListUsers(q) returns the users with these emails,
// in this order.
func wantEmails(t *testing.T, s store.Store, q store.UserQuery, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := emails(listUsers(t, s, q)); !slices.Equal(got, want) {
		t.Errorf("ListUsers(%+v) = %q, want %q", q, got, want)
	}
}

func testListUsersEmpty(t *testing.T, s store.Store) {
	wantEmails(t, s, store.UserQuery{})
	wantEmails(t, s, store.UserQuery{Search: "ann"})
}

func testListUsersOrder(t *testing.T, s store.Store) {
	// Created out of order; one email with capitals, which sort with
	// their lower-case letters.
	carol := addUser(t, s, "carol@example.org", "Carol", "")
	ann := &store.User{ // #nosec G101 -- a test user whose PasswordHash is the placeholder "$argon2id$x"
		Email: "ann@example.org", Name: "Ann Example", PasswordHash: "$argon2id$x", Admin: true,
		Phone: "+447546123456", MFA: store.MFARequired, MFADisabledUntil: t0.Add(time.Hour),
		CodeFailures: 2, CodeLockedUntil: t0.Add(time.Minute), Deactivated: true,
		CreatedAt: t0, LastLoginAt: t0.Add(-time.Hour),
	}
	mustNot(t, s.CreateUser(t.Context(), ann), "CreateUser")
	bob := addUser(t, s, "Bob@example.org", "Bob", "")

	got := listUsers(t, s, store.UserQuery{})
	if want := []string{"ann@example.org", "Bob@example.org", "carol@example.org"}; !slices.Equal(emails(got), want) {
		t.Fatalf("ListUsers = %q, want %q", emails(got), want)
	}
	// Whole records.
	for i, want := range []*store.User{ann, bob, carol} {
		checkRecord(t, "listed user", got[i], *want)
	}
}

func testListUsersLimit(t *testing.T, s store.Store) {
	const n = 55
	var all []string
	for i := range n {
		all = append(all, addUser(t, s, fmt.Sprintf("user%02d@example.org", i), "", "").Email)
	}
	wantEmails(t, s, store.UserQuery{}, all[:50]...) // 0: 50
	wantEmails(t, s, store.UserQuery{Limit: 3}, all[:3]...)
	wantEmails(t, s, store.UserQuery{Limit: 100}, all...)
}

func testListUsersAfter(t *testing.T, s store.Store) {
	for _, e := range []string{"dan@example.org", "ann@example.org", "Bob@example.org", "carol@example.org", "eve@example.org"} {
		addUser(t, s, e, "", "")
	}
	all := []string{"ann@example.org", "Bob@example.org", "carol@example.org", "dan@example.org", "eve@example.org"}

	// Pages of two follow on without gaps or repeats.
	var paged []string
	after := ""
	for range len(all) {
		page := emails(listUsers(t, s, store.UserQuery{After: after, Limit: 2}))
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1]
	}
	if !slices.Equal(paged, all) {
		t.Errorf("pages of 2 = %q, want %q", paged, all)
	}

	// Strictly after, compared without regard to case; the email need
	// not exist.
	wantEmails(t, s, store.UserQuery{After: "bob@example.org"}, all[2:]...)
	wantEmails(t, s, store.UserQuery{After: "BOB@EXAMPLE.ORG"}, all[2:]...)
	wantEmails(t, s, store.UserQuery{After: "Carol@example.org", Limit: 1}, "dan@example.org")
	wantEmails(t, s, store.UserQuery{After: "b"}, all[1:]...)
	wantEmails(t, s, store.UserQuery{After: "eve@example.org"})
	wantEmails(t, s, store.UserQuery{After: "zz"})
}

func testListUsersSearchName(t *testing.T, s store.Store) {
	addUser(t, s, "a@example.org", "Ann Example", "")
	addUser(t, s, "b@example.org", "Joanna Smith", "")
	addUser(t, s, "c@example.org", "Bob Jones", "")
	wantEmails(t, s, store.UserQuery{Search: "ann"}, "a@example.org", "b@example.org")
	wantEmails(t, s, store.UserQuery{Search: "ANN"}, "a@example.org", "b@example.org")
	wantEmails(t, s, store.UserQuery{Search: "n ex"}, "a@example.org")
	wantEmails(t, s, store.UserQuery{Search: "bob jones"}, "c@example.org")
	wantEmails(t, s, store.UserQuery{Search: "Ann Example"}, "a@example.org")
	wantEmails(t, s, store.UserQuery{Search: "Ann Examples"})
	wantEmails(t, s, store.UserQuery{Search: "smithers"})
}

func testListUsersSearchEmail(t *testing.T, s store.Store) {
	addUser(t, s, "ann.smith@nhs.example", "Ann", "")
	addUser(t, s, "bob@carehome.example", "Bob", "")
	addUser(t, s, "Carol@NHS.example", "Carol", "")
	wantEmails(t, s, store.UserQuery{Search: "nhs.example"}, "ann.smith@nhs.example", "Carol@NHS.example")
	wantEmails(t, s, store.UserQuery{Search: "CAREHOME"}, "bob@carehome.example")
	wantEmails(t, s, store.UserQuery{Search: "smith@"}, "ann.smith@nhs.example")
	wantEmails(t, s, store.UserQuery{Search: "@"}, "ann.smith@nhs.example", "bob@carehome.example", "Carol@NHS.example")
}

func testListUsersSearchPhone(t *testing.T, s store.Store) {
	addUser(t, s, "ann@example.org", "Ann", "+447546123456")
	addUser(t, s, "bob@example.org", "Bob", "+15555550100")
	addUser(t, s, "carol@example.org", "Carol", "") // no phone yet
	for _, search := range []string{"7546 123", "+44 7546 123456", "447546123456", "(7546) 12-34", "546",
		"07546 123456", "0044 7546 123456", "07546"} { // as typed at home or from abroad

		wantEmails(t, s, store.UserQuery{Search: search}, "ann@example.org")
	}
	wantEmails(t, s, store.UserQuery{Search: "555"}, "bob@example.org")
	wantEmails(t, s, store.UserQuery{Search: "+"}) // no digits: not a phone search
	// Fewer than three digits do not search the phone.
	wantEmails(t, s, store.UserQuery{Search: "54"})
	wantEmails(t, s, store.UserQuery{Search: "7 5"})
	wantEmails(t, s, store.UserQuery{Search: "0054"}) // leading zeros are a prefix, not digits of the number
	// Digits that are not in the number.
	wantEmails(t, s, store.UserQuery{Search: "7546 999"})
}

func testListUsersSearchWildcards(t *testing.T, s store.Store) {
	addUser(t, s, "percent@example.org", "100% Care", "")
	addUser(t, s, "a_b@example.org", "Under Score", "")
	addUser(t, s, "axb@example.org", "Ax B", "")
	addUser(t, s, "slash@example.org", `Back\Slash`, "")
	addUser(t, s, "plain@example.org", "Plain", "")
	// % and _ match themselves, not any text or any character.
	wantEmails(t, s, store.UserQuery{Search: "%"}, "percent@example.org")
	wantEmails(t, s, store.UserQuery{Search: "0% c"}, "percent@example.org")
	wantEmails(t, s, store.UserQuery{Search: "_"}, "a_b@example.org")
	wantEmails(t, s, store.UserQuery{Search: "a_b"}, "a_b@example.org")
	wantEmails(t, s, store.UserQuery{Search: "pl%n"})
	wantEmails(t, s, store.UserQuery{Search: "pl_in"})
	wantEmails(t, s, store.UserQuery{Search: `\`}, "slash@example.org")
	wantEmails(t, s, store.UserQuery{Search: `k\s`}, "slash@example.org")
	wantEmails(t, s, store.UserQuery{Search: `\%`})
	wantEmails(t, s, store.UserQuery{Search: `'`})
}

func testListUsersSearchPages(t *testing.T, s store.Store) {
	var want []string
	for i := range 7 {
		want = append(want, addUser(t, s, fmt.Sprintf("smith%d@example.org", i), "Smith", "").Email)
		addUser(t, s, fmt.Sprintf("jones%d@example.org", i), "Jones", "")
	}
	var got []string
	q := store.UserQuery{Search: "smith", Limit: 3}
	for range 10 {
		page := emails(listUsers(t, s, q))
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		q.After = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of a search = %q, want %q", got, want)
	}
}

// testListUsersMatchesModel compares pages of random searches with what a
// plain reading of the contract gives.
func testListUsersMatchesModel(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- a fixed seed on purpose: the same random searches every run
	// Names have LIKE's wildcards in them; emails only letters and digits
	// before a common domain, whose order no collation disputes.
	var users []store.User
	for i := range 120 {
		phone := ""
		if r.IntN(4) > 0 {
			phone = fmt.Sprintf("+44%010d", r.Int64N(1e10))
		}
		u := addUser(t, s, fmt.Sprintf("%s%03d@example.org", randomWord(r, "abAB", 3), i), randomWord(r, "abAB .-_%", 6), phone)
		users = append(users, *u)
	}
	slices.SortFunc(users, func(a, b store.User) int {
		return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
	})

	for range 60 {
		var search string
		switch r.IntN(4) {
		case 0:
		case 1:
			u := users[r.IntN(len(users))]
			if u.Phone == "" {
				continue
			}
			i := 3 + r.IntN(len(u.Phone)-6)
			search = u.Phone[i:i+2] + " " + u.Phone[i+2:i+4]
		default:
			search = randomWord(r, "abAB .-_%@0", 1+r.IntN(2))
		}
		var want []string
		for _, u := range users {
			if matchesModel(u, search) {
				want = append(want, u.Email)
			}
		}
		q := store.UserQuery{Search: search, Limit: []int{0, 3, 5, 8}[r.IntN(4)]}
		if got := allPages(t, s, q, len(users)); !slices.Equal(got, want) {
			t.Fatalf("pages of ListUsers(search %q, limit %d) = %q, want %q", search, q.Limit, got, want)
		}
	}
}

// randomWord is n letters drawn from letters by r.
func randomWord(r *rand.Rand, letters string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// matchesModel is the contract of a search, read plainly: part of the name
// or email, letter case aside, or part of the phone number: the search's
// digits, three or more once leading zeros (a trunk or international
// prefix) are dropped.
func matchesModel(u store.User, search string) bool {
	if search == "" {
		return true
	}
	lower := strings.ToLower(search)
	if strings.Contains(strings.ToLower(u.Name), lower) || strings.Contains(strings.ToLower(u.Email), lower) {
		return true
	}
	var digits []rune
	for _, c := range search {
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	for len(digits) > 0 && digits[0] == '0' { // a trunk or international prefix
		digits = digits[1:]
	}
	return len(digits) >= 3 && strings.Contains(u.Phone, string(digits))
}

// allPages is the emails of every page of q, each after the last of the
// one before, until a page is short; at most n+1 pages.
func allPages(t *testing.T, s store.Store, q store.UserQuery, n int) []string {
	var got []string
	for range n + 1 {
		page := emails(listUsers(t, s, q))
		if len(page) > limitOr50(q.Limit) {
			t.Fatalf("ListUsers(%+v) returned %d users", q, len(page))
		}
		got = append(got, page...)
		if len(page) < limitOr50(q.Limit) {
			break
		}
		q.After = page[len(page)-1]
	}
	return got
}

// limitOr50 is the page size a Limit asks for.
func limitOr50(limit int) int {
	if limit <= 0 {
		return 50
	}
	return limit
}
