package web

import (
	"context"
	"net/http"
)

// The console's Overview page, its first: for the last hour, day or week,
// whether codes reach people (by channel, provider and calling code, and
// how fast), and the budget refusals, lockouts and logins, as charts with
// their numbers beside them. Read from the tables the portal keeps
// (store.Overview); nothing is kept for it.

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
	counts, err := s.overviewCounts.Overview(r.Context(), q, now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p := &overviewPage{chrome: s.adminChrome("Overview", "overview", sessionOf(r)), Overview: newOverviewView(span, q, counts)}
	s.render(w, r, http.StatusOK, "admin_overview", p)
}

// WarmOverview counts the Overview's last week once, for `portal serve` to
// run in the background at start-up: the settled hours are kept, so the
// first administrator to open the page does not wait for a week of
// messages to be read.
func (s *Server) WarmOverview(ctx context.Context) {
	now := s.now()
	week := overviewRanges[len(overviewRanges)-1]
	if _, err := s.overviewCounts.Overview(ctx, week.query(now), now); err != nil && ctx.Err() == nil {
		s.log.Warn("count the Overview's last week", "err", err)
	}
}
