package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/providerportal/portal/internal/login"
)

// auditLayout is what the audit table's layout looks like in the browser,
// measured by auditLayoutJS.
type auditLayout struct {
	PageOverflow  int     // how far the page scrolls sideways (px)
	TableOverflow int     // how far the table sticks out of its box (px)
	BrowserShare  float64 // the Browser column's share of the table's width
	Summary       string  // the browser's short name, the disclosure's summary
	FullShown     bool    // the full user-agent string is visible
	FullFits      bool    // the full string, once shown, stays inside its cell
	Detail        string  // the long detail as shown
	DetailLines   int     // lines it takes
	DetailFits    bool    // nothing of it is cut off
	RowDisplay    string  // display of a row: table-row, or block for a card
	HeaderHeight  int     // height of the header row (1 when visually hidden)
	DetailLabel   string  // the label a card shows before the detail
	DateWraps     bool    // some date is cut over two lines
}

// auditLayoutJS measures the audit table around the cell that holds
// marker in its detail.
const auditLayoutJS = `(() => {
	const table = document.querySelector('table.audit');
	const box = table.parentElement;
	const cell = [...table.querySelectorAll('td.detail')].find(td => td.textContent.includes(MARKER));
	const row = cell.parentElement;
	const ua = row.querySelector('td.ua');
	const full = ua.querySelector('details > span');
	const th = [...table.querySelectorAll('th')].find(th => th.textContent === 'Browser');
	const lineHeight = parseFloat(getComputedStyle(cell).lineHeight);
	return JSON.stringify({
		PageOverflow: document.documentElement.scrollWidth - window.innerWidth,
		TableOverflow: box.scrollWidth - box.clientWidth,
		BrowserShare: th.getBoundingClientRect().width / table.getBoundingClientRect().width,
		Summary: ua.querySelector('summary').innerText.trim(),
		FullShown: full.checkVisibility(),
		FullFits: full.checkVisibility() && full.getBoundingClientRect().right <= ua.getBoundingClientRect().right + 1,
		Detail: cell.innerText.trim(),
		DetailLines: Math.round(cell.getBoundingClientRect().height / lineHeight),
		DetailFits: cell.scrollWidth <= cell.clientWidth,
		RowDisplay: getComputedStyle(row).display,
		HeaderHeight: Math.round(table.querySelector('thead').getBoundingClientRect().height),
		DetailLabel: getComputedStyle(cell, '::before').content,
		DateWraps: [...table.querySelectorAll('tbody td:first-child > span:first-child')].some(d => d.getClientRects().length > 1),
	});
})()`

// TestBrowserAuditTables looks at the audit log and a user's recent
// events as issue 17 asked: at a laptop's width (1280 px) the table fits
// without sideways scrolling, the browser column is a short name (the
// full user-agent string on demand) and not most of the width, and a long
// reason is shown in full, wrapping; on a phone (390 px) each event is a
// card, one labelled line per column, and nothing scrolls sideways.
func TestBrowserAuditTables(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	p := startPortal(t)
	adminID := p.createAdmin(t, adminEmail, adminName, adminPhone)
	providerID := p.createUser(t, providerEmail, providerName, providerPhone)

	// An event with a long user agent (an Edge on Windows with many
	// extensions' tokens), an IPv6 address and a long reason, one word of
	// it longer than any column.
	const marker = "Ticket:"
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0" +
		strings.Repeat(" SomeExtension/1.2.3", 12)
	reason := strings.Repeat("The person called from the ward and asked for this change. ", 5) + marker + strings.Repeat("A1", 60)
	p.App.Login.Audit(t.Context(), "admin.sessions_ended", "success", adminID, providerID,
		login.Client{IP: "2001:db8:85a3:1234:5678:8a2e:370:7334", UserAgent: ua}, reason)

	b := newTab(t, browser, p.BaseURL, 2*time.Minute)
	p.logInWithCode(t, b, adminEmail, e2ePassword, adminPhone)
	measure := func(what string) auditLayout {
		t.Helper()
		js, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](strings.Replace(auditLayoutJS, "MARKER", `"`+marker+`"`, 1)))
		if err != nil {
			t.Fatalf("%s: measure the table: %v\n%s", what, err, b.describe())
		}
		var l auditLayout
		if err := json.Unmarshal([]byte(js), &l); err != nil {
			t.Fatalf("%s: %q: %v", what, js, err)
		}
		return l
	}
	for _, page := range []struct{ name, path string }{
		{"audit-log", "/admin/audit"},
		{"user-events", "/admin/users/" + itoa(providerID)},
	} {
		// A laptop, and the narrowest width that still has the table
		// (64rem and below have cards).
		for _, width := range []int64{1280, 1040} {
			b.run("laptop size", chromedp.EmulateViewport(width, 800))
			b.open(page.path)
			b.waitFor("the events", "//table[contains(@class, 'audit')]")
			at := fmt.Sprintf("%s at %d px", page.name, width)
			l := measure(at)
			if l.PageOverflow > 0 || l.TableOverflow > 0 {
				t.Errorf("%s: the page scrolls sideways by %d px, the table by %d px; want neither", at, l.PageOverflow, l.TableOverflow)
			}
			if l.BrowserShare > 0.2 {
				t.Errorf("%s: the Browser column takes %.0f%% of the table's width, want at most 20%%", at, 100*l.BrowserShare)
			}
			if l.Summary != "Edge 131 on Windows" || l.FullShown {
				t.Errorf("%s: the browser shows %q, full string visible %v; want \"Edge 131 on Windows\", the full string hidden", at, l.Summary, l.FullShown)
			}
			if l.Detail != reason || !l.DetailFits || l.DetailLines < 3 {
				t.Errorf("%s: the detail shows %q in %d lines (all of it visible: %v); want all of %q, wrapping", at, l.Detail, l.DetailLines, l.DetailFits, reason)
			}
			if l.RowDisplay != "table-row" || l.DateWraps {
				t.Errorf("%s: rows are shown as %q, a date wraps inside itself: %v; want a table, dates whole", at, l.RowDisplay, l.DateWraps)
			}
			b.screenshot(fmt.Sprintf("audit-%s-%d", page.name, width))
			b.run("open the full user agent", chromedp.Click(`//td[contains(@class, 'detail')][contains(., '`+marker+`')]/..//summary`))
			l = measure(at + ", full user agent shown")
			if !l.FullShown || !l.FullFits || l.PageOverflow > 0 || l.TableOverflow > 0 {
				t.Errorf("%s: the full user agent: shown %v, inside its cell %v; sideways scrolling %d px (page), %d px (table)", at, l.FullShown, l.FullFits, l.PageOverflow, l.TableOverflow)
			}
			if got := b.text(`//td[contains(@class, 'detail')][contains(., '` + marker + `')]/..//details/span`); got != ua {
				t.Errorf("%s: the full user agent reads %q, want %q", at, got, ua)
			}
			b.screenshot(fmt.Sprintf("audit-%s-%d-user-agent", page.name, width))
		}

		// A phone, and a small tablet: cards.
		for _, size := range []struct{ width, height int64 }{{390, 844}, {1000, 800}} {
			b.run("phone size", chromedp.EmulateViewport(size.width, size.height))
			b.open(page.path)
			b.waitFor("the events", "//table[contains(@class, 'audit')]")
			at := fmt.Sprintf("%s at %d px", page.name, size.width)
			l := measure(at)
			if l.PageOverflow > 0 || l.TableOverflow > 0 {
				t.Errorf("%s: the page scrolls sideways by %d px, the table by %d px; want neither", at, l.PageOverflow, l.TableOverflow)
			}
			if l.RowDisplay != "block" || l.HeaderHeight > 1 || l.DetailLabel != `"Detail"` {
				t.Errorf("%s: rows shown as %q, header row %d px high, the detail labelled %s; want cards (block), the header hidden, \"Detail\"", at, l.RowDisplay, l.HeaderHeight, l.DetailLabel)
			}
			if l.Detail != reason || !l.DetailFits || l.DateWraps {
				t.Errorf("%s: the detail shows %q (all of it visible: %v), a date wraps: %v; want all of %q, dates whole", at, l.Detail, l.DetailFits, l.DateWraps, reason)
			}
			b.screenshot(fmt.Sprintf("audit-%s-%d", page.name, size.width))
		}
	}
}
