package msgcount_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/providerportal/portal/internal/store"
	"github.com/providerportal/portal/internal/store/msgcount"
)

func prefix(param string) string { return `starts_with(destination, ` + param + `)` }

// Each statement uses every one of its arguments' placeholders, and no
// other; a code's budgets name their window once, and a budget of the
// whole window leaves the other budgets' narrowing to their FILTERs.
func TestStatements(t *testing.T) {
	hour := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	sms := func(q store.MessageCount) store.Budget {
		q.Channel, q.Since = store.ChannelSMS, hour
		return store.Budget{Name: "b", Limit: 1, Count: q}
	}
	email := store.Budget{Name: "e", Limit: 1, Count: store.MessageCount{Channel: store.ChannelEmail, Since: hour, To: "ann@example.org"}}
	code := []store.Budget{sms(store.MessageCount{}), sms(store.MessageCount{IP: "192.0.2.1"}), sms(store.MessageCount{Prefix: "+44"})}
	narrowed := []store.Budget{sms(store.MessageCount{IP: "192.0.2.1"}), sms(store.MessageCount{To: "+447546123456", Prefix: "+44"})}
	mixed := []store.Budget{sms(store.MessageCount{IP: "192.0.2.1"}), email}

	type statement struct {
		name, query string
		args        []any
	}
	var all []statement
	add := func(name, query string, args []any) { all = append(all, statement{name, query, args}) }
	q, a := msgcount.Count(store.MessageCount{Channel: store.ChannelSMS, Since: hour, To: "+447546123456", Prefix: "+44", IP: "192.0.2.1"}, prefix)
	add("count", q, a)
	q, a = msgcount.Budgets(code, prefix)
	add("a code's budgets", q, a)
	if strings.Count(q, "channel = ") != 1 || strings.Contains(q, " OR ") || strings.Count(q, "FILTER") != 2 {
		t.Errorf("a code's budgets: %s; want the window once, no OR, a FILTER for each narrowed budget", q)
	}
	q, a = msgcount.Budgets(narrowed, prefix)
	add("narrowed budgets", q, a)
	if strings.Count(q, "channel = ") != 1 || strings.Count(q, " OR ") != 1 {
		t.Errorf("narrowed budgets: %s; want the window once and their narrowing ORed", q)
	}
	q, a = msgcount.Budgets(mixed, prefix)
	add("budgets of two channels", q, a)
	if strings.Count(q, "channel = ") != 4 || strings.Count(q, " OR ") != 1 {
		t.Errorf("budgets of two channels: %s; want each budget's whole condition, in its FILTER and ORed", q)
	}

	placeholder := regexp.MustCompile(`\$(\d+)`)
	for _, s := range all {
		used := map[int]bool{}
		for _, m := range placeholder.FindAllStringSubmatch(s.query, -1) {
			n, _ := strconv.Atoi(m[1])
			used[n] = true
		}
		for n := range used {
			if n < 1 || n > len(s.args) {
				t.Errorf("%s: $%d, with %d arguments: %s", s.name, n, len(s.args), s.query)
			}
		}
		if len(used) != len(s.args) {
			t.Errorf("%s: %d of %d arguments used: %s %v", s.name, len(used), len(s.args), s.query, s.args)
		}
	}
}
