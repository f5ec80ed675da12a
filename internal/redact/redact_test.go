package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	r := New([]string{"Session"})
	tests := []struct{ in, want string }{
		{"https://feeds.example.com/world.xml", "https://feeds.example.com/world.xml"},
		{"https://user:pa55word@feeds.example.com/world.xml", "https://feeds.example.com/world.xml"},
		{"https://apikeyonly@feeds.example.com/x", "https://feeds.example.com/x"},
		{"https://u:p@ss:word@feeds.example.com:8443/x", "https://feeds.example.com:8443/x"},
		{"http://@feeds.example.com/x", "http://feeds.example.com/x"},
		{"https://e.example/f?api_key=abc123&page=2", "https://e.example/f?api_key=REDACTED&page=2"},
		{"https://e.example/f?page=2&TOKEN=abc&Key=k1", "https://e.example/f?page=2&TOKEN=REDACTED&Key=REDACTED"},
		{"https://e.example/f?apikey=a;sig=b;signature=c;auth=d", "https://e.example/f?apikey=REDACTED;sig=REDACTED;signature=REDACTED;auth=REDACTED"},
		{"https://e.example/f?access_token=x&password=y&lang=en", "https://e.example/f?access_token=REDACTED&password=REDACTED&lang=en"},
		{"https://e.example/f?api%5Fkey=x", "https://e.example/f?api%5Fkey=REDACTED"},
		{"https://e.example/f?session=s3&sessions=keep", "https://e.example/f?session=REDACTED&sessions=keep"},
		{"https://e.example/f?token", "https://e.example/f?token"},
		{"https://e.example/f?token=", "https://e.example/f?token=REDACTED"},
		{"https://e.example/f?q=1#access_token=zzz&x=1", "https://e.example/f?q=1#access_token=REDACTED&x=1"},
		{"https://e.example/f#section", "https://e.example/f#section"},
		{"not a url", "not a url"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := r.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNilRedactorUsesDefaults(t *testing.T) {
	var r *Redactor
	if got, want := r.URL("https://u:p@e.example/f?token=t&session=s"), "https://e.example/f?token=REDACTED&session=s"; got != want {
		t.Errorf("nil URL = %q, want %q", got, want)
	}
	if got := r.Text("x"); got != "x" {
		t.Errorf("nil Text = %q", got)
	}
}

func TestLinkKeepsParamsButNotUserinfo(t *testing.T) {
	r := New(nil, "https://feeds.example.com/f?api_key=K3y-Of-The-Feed")
	tests := []struct{ in, want string }{
		{"https://news.example/story?key=1234", "https://news.example/story?key=1234"},
		{"https://reader:hunter2@news.example/story", "https://news.example/story"},
		// The feed's own secret, echoed into its links, is masked.
		{"https://news.example/story?id=9&k=K3y-Of-The-Feed", "https://news.example/story?id=9&k=REDACTED"},
	}
	for _, tt := range tests {
		if got := r.Link(tt.in); got != tt.want {
			t.Errorf("Link(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	feed := "https://alice:S3cr3t%21pw@feeds.example.com/world.xml?token=T0ken-42&lang=en"
	r := New(nil, feed)
	tests := []struct{ in, want string }{
		{`fetcher: Get "https://alice:***@feeds.example.com/world.xml?token=T0ken-42&lang=en": EOF`,
			`fetcher: Get "https://feeds.example.com/world.xml?token=REDACTED&lang=en": EOF`},
		{`feed "World": fetcher: ` + feed + `: HTTP 500`, `feed "World": fetcher: https://feeds.example.com/world.xml?token=REDACTED&lang=en: HTTP 500`},
		{"redirected to http://x.example/a?sig=1 and https://y.example/?auth=2.", "redirected to http://x.example/a?sig=REDACTED and https://y.example/?auth=REDACTED"},
		// Known secrets are masked wherever they appear, decoded or not.
		{"server said: bad token T0ken-42", "server said: bad token REDACTED"},
		{"password S3cr3t!pw and S3cr3t%21pw", "password REDACTED and REDACTED"},
		{`quoted \"https://u:p@h.example/x?token=1\"`, `quoted \"https://h.example/x?token=REDACTED\"`},
		{"no url here: a://", "no url here: a://"},
		{"://lonely", "://lonely"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := r.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestShortValuesAreNotScrubbedFromText(t *testing.T) {
	r := New(nil, "https://e.example/f?token=en")
	if got := r.Text("lang en"); got != "lang en" {
		t.Errorf("Text = %q: a two-letter secret must not mangle text", got)
	}
	if got := r.URL("https://e.example/f?token=en"); got != "https://e.example/f?token=REDACTED" {
		t.Errorf("URL = %q: in a URL the parameter is masked whatever its length", got)
	}
}

func TestError(t *testing.T) {
	r := New(nil, "https://u:pw-secret@e.example/f")
	base := fmt.Errorf("feed %q: %w", "F", &fs.PathError{Op: "open", Path: "https://u:pw-secret@e.example/f", Err: fs.ErrNotExist})
	err := r.Error(base)
	if strings.Contains(err.Error(), "pw-secret") || !strings.Contains(err.Error(), "https://e.example/f") {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is lost the wrapped error")
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Error("errors.As lost the wrapped error")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/x?token=a&b=c#d", "http://@/", "a://b@c@d?e=f;token=g#token=h", "%zz://"} {
		f.Add(s)
	}
	r := New([]string{"session"}, "https://u:fuzzpass@h.example/?token=fuzztoken")
	f.Fuzz(func(t *testing.T, s string) {
		out := r.URL(s)
		p := split(out)
		if p.prefix != "" && p.userinfo != "" {
			t.Fatalf("URL(%q) = %q keeps userinfo %q", s, out, p.userinfo)
		}
		if txt := r.Text("see " + s + " now"); strings.Contains(txt, "fuzzpass") || strings.Contains(txt, "fuzztoken") {
			t.Fatalf("Text kept a known secret: %q", txt)
		}
	})
}
