package fetcher

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/redact"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestRunnerKeepsFeedSecretsInside: a feed URL's credentials and secret
// parameters are sent to its server, and appear in no error, recorded last
// error, skip reason or log line.
func TestRunnerKeepsFeedSecretsInside(t *testing.T) {
	const user, pass, token = "alice", "S3cret-Passw0rd", "T0ken-Value-42"
	var mu sync.Mutex
	var gotAuth, gotToken []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		u, p, _ := r.BasicAuth()
		gotAuth = append(gotAuth, u+":"+p)
		gotToken = append(gotToken, r.URL.Query().Get("token"))
		mu.Unlock()
		switch r.URL.Path {
		case "/ok":
			w.Write(rssDoc("Private", "private", 2))
		case "/loop":
			// Redirects that carry the credentials onward, until the
			// client gives up: net/http's error quotes the last URL.
			http.Redirect(w, r, "http://"+user+":"+pass+"@"+r.Host+"/loop?token="+token+"&n="+r.URL.Query().Get("n")+"x", http.StatusFound)
		default:
			http.Error(w, "nope", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	feeds := []wirefeed.Feed{
		{Name: "Private OK", URL: "http://" + user + ":" + pass + "@" + host + "/ok?token=" + token},
		{Name: "Private 500", URL: "http://" + user + ":" + pass + "@" + host + "/fail?token=" + token + "&lang=en"},
		{Name: "Private loop", URL: "http://" + user + ":" + pass + "@" + host + "/loop?token=" + token},
	}
	urls := []string{feeds[0].URL, feeds[1].URL, feeds[2].URL}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := wirefeedtest.NewStore(nil)
	client := NewClient(ClientOptions{AllowPrivate: true, MaxRedirects: 3})
	defer client.CloseIdleConnections()
	r := NewRunner(client, st, RunnerOptions{Logger: logger, Redact: redact.New(nil, urls...), Rand: func() float64 { return 0 }})
	rep, err := r.Run(context.Background(), feeds, false)
	if err != nil {
		t.Fatal(err)
	}
	if res := resultOf(t, rep, "Private OK"); res.Status != Fetched || res.New != 2 {
		t.Errorf("Private OK: %+v, want fetched", res)
	}
	mu.Lock()
	for i := range gotAuth {
		if gotAuth[i] != user+":"+pass || gotToken[i] != token {
			t.Errorf("request %d carried auth %q and token %q: the real URL is for fetching", i, gotAuth[i], gotToken[i])
		}
	}
	mu.Unlock()
	// A second run skips the failing feeds with their last error.
	rep2, err := r.Run(context.Background(), feeds, false)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, res := range append(rep.Results, rep2.Results...) {
		if res.Err != nil {
			shown = append(shown, res.Err.Error())
		}
		shown = append(shown, res.Reason)
	}
	for _, fs := range feedStates(t, st) {
		shown = append(shown, fs.LastError)
	}
	shown = append(shown, logs.String())
	all := strings.Join(shown, "\n")
	for _, secret := range []string{pass, token, user + ":"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked:\n%s", secret, all)
		}
	}
	for _, want := range []string{"token=REDACTED", "HTTP 500", "too many redirects"} {
		if !strings.Contains(all, want) {
			t.Errorf("the errors and logs do not say %q:\n%s", want, all)
		}
	}
}
