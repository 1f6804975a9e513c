// Package msgcount builds the statements that count messages, for
// CountMessages and for a code's budgets, in the SQL text both stores run:
// placeholders are numbered ($1, $2, …), which both drivers bind, and
// times are unix milliseconds. Only the test "destination starts with"
// differs between the engines; each passes its own Prefix.
package msgcount

import (
	"strconv"
	"strings"

	"github.com/providerportal/portal/internal/store"
)

// Prefix is an engine's condition that destination starts with the value
// of the placeholder param, compared exactly: case matters and nothing in
// the value is a wildcard.
type Prefix func(param string) string

// Count is the statement that counts the messages q selects, with its
// arguments.
func Count(q store.MessageCount, prefix Prefix) (string, []any) {
	var p params
	return `SELECT count(*) FROM messages WHERE ` + matching(&p, q, prefix), p
}

// Budgets is the statement that counts the messages of each budget, a
// column each in their order, with its arguments. Budgets that share
// their channel and time (a code's) are counted on that one range of
// created_at, each narrowing it in its own FILTER, so that an index on
// (channel, created_at) holding the narrowed columns answers them all;
// others on the rows any of them selects.
func Budgets(budgets []store.Budget, prefix Prefix) (string, []any) {
	var p params
	counts := make([]string, len(budgets))
	if w, ok := sharedWindow(budgets); ok {
		where := matching(&p, w, prefix)
		var narrowed []string
		whole := false // a budget counts the whole range
		for i, b := range budgets {
			n := narrowing(&p, b.Count, prefix)
			if n == "" {
				counts[i], whole = `count(*)`, true
				continue
			}
			counts[i] = `count(*) FILTER (WHERE ` + n + `)`
			narrowed = append(narrowed, `(`+n+`)`)
		}
		if !whole {
			where += ` AND (` + strings.Join(narrowed, ` OR `) + `)`
		}
		return `SELECT ` + strings.Join(counts, `, `) + ` FROM messages WHERE ` + where, p
	}
	matches := make([]string, len(budgets))
	for i, b := range budgets {
		matches[i] = `(` + matching(&p, b.Count, prefix) + `)`
		counts[i] = `count(*) FILTER (WHERE ` + matches[i] + `)`
	}
	return `SELECT ` + strings.Join(counts, `, `) + ` FROM messages WHERE ` + strings.Join(matches, ` OR `), p
}

// Row is one row of a statement's results, as *sql.Row and pgx.Row are.
type Row interface{ Scan(dest ...any) error }

// OverBudget counts budgets in the statement of Budgets, run by query,
// and returns the first that is full (store.FirstFull), or nil.
func OverBudget(budgets []store.Budget, prefix Prefix, query func(sql string, args ...any) Row) (*store.Budget, error) {
	if len(budgets) == 0 {
		return nil, nil
	}
	q, args := Budgets(budgets, prefix)
	n := make([]int, len(budgets))
	dest := make([]any, len(budgets))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := query(q, args...).Scan(dest...); err != nil {
		return nil, err
	}
	return store.FirstFull(budgets, n), nil
}

// sharedWindow returns the channel and time that every one of budgets
// counts from, if they share them (a code's budgets do).
func sharedWindow(budgets []store.Budget) (store.MessageCount, bool) {
	if len(budgets) == 0 {
		return store.MessageCount{}, false
	}
	w := store.MessageCount{Channel: budgets[0].Count.Channel, Since: budgets[0].Count.Since}
	for _, b := range budgets[1:] {
		if b.Count.Channel != w.Channel || !b.Count.Since.Equal(w.Since) {
			return store.MessageCount{}, false
		}
	}
	return w, true
}

// matching is the condition of q, its values added to p.
func matching(p *params, q store.MessageCount, prefix Prefix) string {
	where := `channel = ` + p.add(string(q.Channel)) + ` AND created_at >= ` + p.add(q.Since.UnixMilli())
	if n := narrowing(p, q, prefix); n != "" {
		where += ` AND ` + n
	}
	return where
}

// narrowing is the condition of q's To, Prefix and IP, "" when it has
// none, its values added to p.
func narrowing(p *params, q store.MessageCount, prefix Prefix) string {
	var where []string
	if q.To != "" {
		where = append(where, `destination = `+p.add(q.To))
	}
	if q.Prefix != "" {
		where = append(where, prefix(p.add(q.Prefix)))
	}
	if q.IP != "" {
		where = append(where, `ip = `+p.add(q.IP))
	}
	return strings.Join(where, ` AND `)
}

// params are a statement's arguments; add returns the placeholder of one.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}
