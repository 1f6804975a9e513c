package web

import (
	"net/http"
)

// The console's Overview page, its first: for the last hour, day or week,
// whether codes reach people (by channel, provider and calling code, and
// how fast), and the budget refusals, lockouts and logins, as charts with
// their numbers beside them. Read from the store at each view
// (store.Overview): the day and the week from its hourly tallies, the
// hour from its tables.

// overviewPage is the Overview.
type overviewPage struct {
	chrome
	Overview *overviewView
}

func (s *Server) adminOverviewShow(w http.ResponseWriter, r *http.Request) {
	span := overviewRanges[defaultRange]
	for _, o := range overviewRanges {
		if o.Key == r.URL.Query().Get("range") {
			span = o
		}
	}
	now := s.now()
	q := span.query(now)
	counts, err := s.records.Overview(r.Context(), q)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := &overviewPage{chrome: s.adminChrome("Overview", "overview", sessionOf(r)), Overview: newOverviewView(span, q, counts)}
	s.render(w, r, http.StatusOK, "admin_overview", p)
}
