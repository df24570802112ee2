package icsfeed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Fetcher.
const (
	// DefaultMaxBytes caps a calendar's size. Google Calendar feeds of
	// busy calendars run to a few hundred kilobytes.
	DefaultMaxBytes = 5 << 20
	// DefaultTimeout bounds one fetch, redirects included.
	DefaultTimeout = 20 * time.Second
)

// Kind says what went wrong with a feed.
type Kind int

// The kinds of Error.
const (
	BadURL      Kind = iota + 1 // not an http(s)/webcal URL
	Unreachable                 // DNS, connection or TLS failure
	Timeout                     // no complete answer in time
	HTTPStatus                  // an answer other than 200 or 304
	TooLarge                    // more than the size cap
	NotCalendar                 // an answer that is not an ICS calendar
)

// Error is a failure to fetch or read a feed. Msg is a sentence for the
// person who attached it; neither Msg nor Err contains the URL, which is
// a secret, so both can be logged and shown.
type Error struct {
	Kind Kind
	Msg  string
	// Status is the HTTP status of an HTTPStatus error.
	Status int
	Err    error
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NormalizeURL checks a calendar address a person pasted and returns it in
// the form to fetch: webcal:// (what "subscribe" links use) becomes
// https://. The error is an *Error of kind BadURL.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	bad := func(msg string) (string, error) { return "", &Error{Kind: BadURL, Msg: msg} }
	if raw == "" {
		return bad("Paste the calendar's address.")
	}
	if len(raw) > 2000 {
		return bad("That address is too long for a calendar address.")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("That is not a web address.")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "webcal", "webcals":
		u.Scheme = "https"
	default:
		return bad("A calendar address starts with https:// (or webcal://).")
	}
	if u.Hostname() == "" {
		return bad("That address has no host name.")
	}
	u.Fragment = ""
	return u.String(), nil
}

// Host returns the host of a calendar address: the only part of it toban
// shows or logs.
func Host(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return "unknown host"
	}
	return u.Hostname()
}

// Validators are the HTTP cache validators of an earlier answer.
type Validators struct {
	ETag, LastModified string
}

// Response is a feed's answer.
type Response struct {
	// Body is the calendar; nil when NotModified.
	Body []byte
	// NotModified is set when the server answered 304 to the validators.
	NotModified bool
	Validators
}

// Fetcher reads calendar feeds over HTTP(S). The zero value is ready to use.
type Fetcher struct {
	// Client defaults to one that refuses link-local, multicast and
	// unspecified addresses (cloud metadata services live there) and
	// follows at most 5 redirects, to http(s) only.
	Client *http.Client
	// MaxBytes defaults to DefaultMaxBytes; Timeout to DefaultTimeout.
	MaxBytes int64
	Timeout  time.Duration
}

var defaultClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, Control: refuseSpecial}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
	},
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errors.New("redirect to a non-http address")
		}
		return nil
	},
}

// refuseSpecial is the dialer's last word on an address, after DNS: a
// calendar is never on a link-local, multicast or unspecified address.
// Loopback and private addresses stay allowed, for calendars on the
// intranet.
func refuseSpecial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused address %q", address)
	}
	ip := ap.Addr().Unmap()
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("refused to connect to %s (a link-local, multicast or unspecified address)", ip)
	}
	return nil
}

// Fetch reads the calendar at rawURL (as NormalizeURL returns it), sending
// the validators of the previous answer so that an unchanged calendar costs
// a 304. Every error is an *Error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, prev Validators) (Response, error) {
	timeout, maxBytes, client := f.Timeout, f.MaxBytes, f.Client
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if client == nil {
		client = defaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return Response{}, &Error{Kind: BadURL, Msg: "That is not a calendar address I can fetch."}
	}
	req.Header.Set("Accept", "text/calendar, text/plain;q=0.5, */*;q=0.1")
	req.Header.Set("User-Agent", "toban (calendar feed; +https://github.com/tobanbot/toban)")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, transportError(ctx, err, Host(rawURL))
	}
	defer resp.Body.Close()
	got := Response{Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}
	switch {
	case resp.StatusCode == http.StatusNotModified && (prev.ETag != "" || prev.LastModified != ""):
		got.NotModified = true
		if got.ETag == "" && got.LastModified == "" {
			got.Validators = prev
		}
		return got, nil
	case resp.StatusCode != http.StatusOK:
		return Response{}, statusError(resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return Response{}, transportError(ctx, err, Host(rawURL))
	}
	if int64(len(body)) > maxBytes {
		return Response{}, &Error{Kind: TooLarge, Msg: fmt.Sprintf("The calendar is larger than %d MiB; toban reads smaller ones.", maxBytes>>20)}
	}
	got.Body = body
	return got, nil
}

func statusError(code int) error {
	e := &Error{Kind: HTTPStatus, Status: code}
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Msg = fmt.Sprintf("The calendar server refused access (HTTP %d). Use the calendar's secret iCal address, which needs no login.", code)
	case code == http.StatusNotFound || code == http.StatusGone:
		e.Msg = fmt.Sprintf("There is no calendar at that address (HTTP %d). It may have been reset or deleted.", code)
	case code >= 500:
		e.Msg = fmt.Sprintf("The calendar server is failing (HTTP %d).", code)
	default:
		e.Msg = fmt.Sprintf("The calendar server answered HTTP %d instead of the calendar.", code)
	}
	return e
}

// transportError describes a failed request without its URL: url.Error
// carries the whole address, secret included, so only its cause is kept.
func transportError(ctx context.Context, err error, host string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || isTimeout(err):
		return &Error{Kind: Timeout, Msg: fmt.Sprintf("%s did not answer in time.", host), Err: err}
	case errors.As(err, &dns):
		return &Error{Kind: Unreachable, Msg: fmt.Sprintf("There is no host called %s.", host), Err: err}
	}
	return &Error{Kind: Unreachable, Msg: fmt.Sprintf("toban cannot reach %s: %s.", host, shortCause(err)), Err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// shortCause is the last part of a network error ("connection refused").
func shortCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
