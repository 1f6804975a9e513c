package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// Helpers for tests that walk through the portal over plain HTTP, as a
// browser would but without one.

// formRequest is a request to u as a page of the portal sends it: a form,
// if there is one, goes URL-encoded in the body, marked as the same-origin
// form post (Sec-Fetch-Site) that the portal's cross-site check wants.
func formRequest(method, u string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return req, nil
}

// browserClient is an HTTP client standing in for a browser: cookies in a
// jar of its own, no redirect followed (the test reads each), and every
// answer within timeout.
func browserClient(timeout time.Duration) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
