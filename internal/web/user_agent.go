package web

import "strings"

// shortBrowser names the browser and system of a user-agent string in a
// few words ("Chrome 156 on Linux") for the audit table, whose full
// string stays on demand. It only ever returns words of its own and the
// browser's major version (digits), never other text from the header,
// which a client writes as it likes; "" for an empty header.
func shortBrowser(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return ""
	}
	name, version := browserOf(ua)
	s := name
	if version != "" {
		s += " " + version
	}
	if sys := systemOf(ua); sys != "" {
		s += " on " + sys
	}
	return s
}

// browsers are tried in order: most browsers' strings also name Chrome,
// Safari or Mozilla, so the particular ones come before the general ones.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"},
	{"curl/", "curl"}, {"Wget/", "Wget"}, {"Go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
}

func browserOf(ua string) (name, version string) {
	for _, b := range browsers {
		if i := strings.Index(ua, b.token); i >= 0 {
			return b.name, majorVersion(ua[i+len(b.token):])
		}
	}
	if strings.Contains(ua, "Safari/") {
		if i := strings.Index(ua, "Version/"); i >= 0 {
			return "Safari", majorVersion(ua[i+len("Version/"):])
		}
		return "Safari", ""
	}
	return "Unknown browser", ""
}

// majorVersion is the leading digits of s, at most six of them.
func majorVersion(s string) string {
	n := 0
	for n < len(s) && n < 6 && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return s[:n]
}

// systems are tried in order, as browsers are: Android's strings name
// Linux, iOS's name Mac OS X.
var systems = []struct{ token, name string }{
	{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
	{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
	{"Ubuntu", "Linux"}, {"Linux", "Linux"}, {"FreeBSD", "FreeBSD"}, {"OpenBSD", "OpenBSD"},
}

func systemOf(ua string) string {
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			return s.name
		}
	}
	return ""
}
