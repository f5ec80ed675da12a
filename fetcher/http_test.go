package fetcher

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func localClient(opts ClientOptions) *Client {
	opts.AllowPrivate = true // tests talk to loopback servers
	return NewClient(opts)
}

func TestGetConditional(t *testing.T) {
	const etag, lastMod = `"v1"`, "Wed, 14 Jun 2023 10:00:00 GMT"
	var mu sync.Mutex
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "<rss/>")
	}))
	defer srv.Close()
	c := localClient(ClientOptions{UserAgent: "wirefeed-test/1 (+https://example.org)"})
	defer c.CloseIdleConnections()

	tests := []struct {
		name         string
		req          Request
		wantNotMod   bool
		wantINM      string
		wantIMS      string
		wantBodySize int
	}{
		{"first fetch has no validators", Request{URL: srv.URL}, false, "", "", 6},
		{"ETag answered with 304", Request{URL: srv.URL, ETag: etag}, true, etag, "", 0},
		{"Last-Modified answered with 304", Request{URL: srv.URL, LastModified: lastMod}, true, "", lastMod, 0},
		{"stale ETag gets the body", Request{URL: srv.URL, ETag: `"v0"`}, false, `"v0"`, "", 6},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Get(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.NotModified != tt.wantNotMod || len(resp.Body) != tt.wantBodySize {
				t.Errorf("NotModified, len(Body) = %v, %d; want %v, %d", resp.NotModified, len(resp.Body), tt.wantNotMod, tt.wantBodySize)
			}
			if resp.ETag != etag || resp.LastModified != lastMod {
				t.Errorf("validators = %q, %q; want %q, %q", resp.ETag, resp.LastModified, etag, lastMod)
			}
			mu.Lock()
			h := seen[i]
			mu.Unlock()
			if h.Get("If-None-Match") != tt.wantINM || h.Get("If-Modified-Since") != tt.wantIMS {
				t.Errorf("sent If-None-Match %q, If-Modified-Since %q; want %q, %q", h.Get("If-None-Match"), h.Get("If-Modified-Since"), tt.wantINM, tt.wantIMS)
			}
			if ua := h.Get("User-Agent"); ua != "wirefeed-test/1 (+https://example.org)" {
				t.Errorf("User-Agent = %q", ua)
			}
			if ae := h.Get("Accept-Encoding"); ae != "gzip" {
				t.Errorf("Accept-Encoding = %q, want gzip", ae)
			}
		})
	}
}

func TestGetDefaultUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.UserAgent() }))
	defer srv.Close()
	c := localClient(ClientOptions{})
	defer c.CloseIdleConnections()
	if _, err := c.Get(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if ua := <-got; ua != DefaultUserAgent || !strings.Contains(ua, "wirefeed") {
		t.Errorf("User-Agent = %q, want %q", ua, DefaultUserAgent)
	}
}

func compress(t testing.TB, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	if enc == "deflate" {
		w = zlib.NewWriter(&buf)
	} else {
		w = gzip.NewWriter(&buf)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGetDecompressionAndCap(t *testing.T) {
	const maxBody = 4096
	small := []byte("<rss>" + strings.Repeat("a", 1000) + "</rss>")
	big := bytes.Repeat([]byte("a"), maxBody+1)
	tests := []struct {
		name     string
		encoding string
		body     []byte
		want     []byte
		wantErr  error
		errText  string
	}{
		{"identity", "", small, small, nil, ""},
		{"gzip", "gzip", compress(t, "gzip", small), small, nil, ""},
		{"deflate sent unasked", "deflate", compress(t, "deflate", small), small, nil, ""},
		{"exactly the cap", "", big[:maxBody], big[:maxBody], nil, ""},
		{"over the cap", "", big, nil, ErrBodyTooLarge, ""},
		{"over the cap once decompressed", "gzip", compress(t, "gzip", big), nil, ErrBodyTooLarge, ""},
		{"gzip bomb", "gzip", compress(t, "gzip", make([]byte, 50<<20)), nil, ErrBodyTooLarge, ""},
		{"broken gzip", "gzip", []byte("not gzip at all"), nil, nil, "gzip"},
		{"unknown encoding", "br", small, nil, nil, "unsupported Content-Encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				w.Write(tt.body)
			}))
			defer srv.Close()
			c := localClient(ClientOptions{MaxBodyBytes: maxBody})
			defer c.CloseIdleConnections()
			resp, err := c.Get(context.Background(), Request{URL: srv.URL})
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Get error = %v, want %v", err, tt.wantErr)
				}
			case tt.errText != "":
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("Get error = %v, want one mentioning %q", err, tt.errText)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(resp.Body, tt.want) {
					t.Errorf("Body = %d bytes, want %d", len(resp.Body), len(tt.want))
				}
			}
		})
	}
}

func TestGetRedirects(t *testing.T) {
	mux := http.NewServeMux()
	var srvURL string
	for _, code := range []int{301, 302, 307, 308} {
		mux.HandleFunc(fmt.Sprintf("/r%d", code), func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/feed", code)
		})
	}
	mux.HandleFunc("/chain-301-302", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/r302", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/chain-308-301", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/r301", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss/>") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL
	tests := []struct {
		path        string
		wantMovedTo string
		wantErr     error
	}{
		{"/r301", srvURL + "/feed", nil},
		{"/r308", srvURL + "/feed", nil},
		{"/r302", "", nil},
		{"/r307", "", nil},
		{"/chain-301-302", "", nil},
		{"/chain-308-301", srvURL + "/feed", nil},
		{"/feed", "", nil},
		{"/loop", "", ErrTooManyRedirects},
	}
	c := localClient(ClientOptions{MaxRedirects: 3})
	defer c.CloseIdleConnections()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Get(context.Background(), Request{URL: srvURL + tt.path})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Get error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.MovedTo != tt.wantMovedTo {
				t.Errorf("MovedTo = %q, want %q", resp.MovedTo, tt.wantMovedTo)
			}
			if resp.FinalURL != srvURL+"/feed" {
				t.Errorf("FinalURL = %q", resp.FinalURL)
			}
		})
	}
}

func TestGetStatusError(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{404, "", 0},
		{410, "", 0},
		{500, "", 0},
		{429, "120", 2 * time.Minute},
		{503, "30", 30 * time.Second},
		{503, "soon", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.retryAfter), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			c := localClient(ClientOptions{})
			defer c.CloseIdleConnections()
			_, err := c.Get(context.Background(), Request{URL: srv.URL})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("Get error = %v, want a *StatusError", err)
			}
			if se.StatusCode != tt.status || se.RetryAfter != tt.want {
				t.Errorf("StatusError = %d, %v; want %d, %v", se.StatusCode, se.RetryAfter, tt.status, tt.want)
			}
			if !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"90", 90 * time.Second},
		{" 3600 ", time.Hour},
		{"99999999999", 30 * 24 * time.Hour},
		{"Wed, 14 Jun 2023 12:10:00 GMT", 10 * time.Minute},
		{"Wednesday, 14-Jun-23 12:00:30 GMT", 30 * time.Second},
		{"Wed Jun 14 13:00:00 2023", time.Hour},
		{"Wed, 14 Jun 2023 11:00:00 GMT", 0},
		{"tomorrow", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCacheLifetime(t *testing.T) {
	now := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"nothing", nil, 0},
		{"max-age", map[string]string{"Cache-Control": "public, max-age=600"}, 10 * time.Minute},
		{"quoted max-age", map[string]string{"Cache-Control": `max-age="60"`}, time.Minute},
		{"max-age wins over Expires", map[string]string{"Cache-Control": "max-age=60", "Expires": "Wed, 14 Jun 2023 14:00:00 GMT"}, time.Minute},
		{"no-cache", map[string]string{"Cache-Control": "max-age=600, no-cache"}, 0},
		{"no-store", map[string]string{"Cache-Control": "no-store"}, 0},
		{"Expires relative to Date", map[string]string{"Expires": "Wed, 14 Jun 2023 10:30:00 GMT", "Date": "Wed, 14 Jun 2023 10:00:00 GMT"}, 30 * time.Minute},
		{"Expires relative to now", map[string]string{"Expires": "Wed, 14 Jun 2023 12:05:00 GMT"}, 5 * time.Minute},
		{"Expires in the past", map[string]string{"Expires": "Wed, 14 Jun 2023 11:00:00 GMT"}, 0},
		{"Expires 0", map[string]string{"Expires": "0"}, 0},
		{"garbage max-age", map[string]string{"Cache-Control": "max-age=soon"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			if got := cacheLifetime(h, now); got != tt.want {
				t.Errorf("cacheLifetime(%v) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
}
