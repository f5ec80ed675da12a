package feedout

import (
	"net/http"
	"regexp"
	"strings"
)

// requestHost is a Host header we are willing to write into a feed: a DNS
// name or an IP literal, with an optional port. Anything else (a header
// with spaces, quotes, a path) is not echoed.
var requestHost = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$`)

// requestBase returns the server's base URL as the request reached it
// ("https://news.example:8080/"), for feeds rendered without
// server.base_url: RSS requires a channel link, and the request host is
// the address the reader used. The scheme is https when the connection is
// TLS or a proxy says so in X-Forwarded-Proto. It returns "" for a host
// that is not a plain host name.
func requestBase(r *http.Request) string {
	host := strings.ToLower(r.Host)
	if !requestHost.MatchString(host) {
		return ""
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		scheme = "https"
	}
	return scheme + "://" + host + "/"
}
