package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/hostile"
	"github.com/wirefeed/wirefeed/store"
)

// hostileWorld serves every payload of the hostile corpus as a feed, gzip-
// encoded where the payload says so, next to two well-behaved outlets that
// share a story. A payload whose feed URL carries credentials is served
// only to a request that presents them.
type hostileWorld struct {
	srv      *httptest.Server
	payloads []hostile.Payload
	bodies   map[string][]byte // path -> bytes as served
	gzipped  map[string]bool
	mu       sync.Mutex
	denied   int // requests for a private payload without its credentials
}

func newHostileWorld(t *testing.T) *hostileWorld {
	t.Helper()
	all, err := hostile.All()
	if err != nil {
		t.Fatal(err)
	}
	w := &hostileWorld{payloads: all, bodies: map[string][]byte{}, gzipped: map[string]bool{}}
	for _, p := range all {
		body := p.Body()
		if p.Gzip {
			body = hostile.Gzipped(body)
			w.gzipped["/p/"+p.Name] = true
		}
		w.bodies["/p/"+p.Name] = body
	}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	for path, file := range map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "e2e", file))
		if err != nil {
			t.Fatal(err)
		}
		w.bodies[path] = bytes.ReplaceAll(raw, []byte("{{BASE}}"), []byte(w.srv.URL))
	}
	return w
}

func (w *hostileWorld) serve(rw http.ResponseWriter, r *http.Request) {
	for _, p := range w.payloads {
		if r.URL.Path != "/p/"+p.Name || p.Userinfo == "" {
			continue
		}
		user, pass, _ := strings.Cut(p.Userinfo, ":")
		if u, pw, ok := r.BasicAuth(); !ok || u != user || pw != pass || r.URL.RawQuery != p.Query {
			w.mu.Lock()
			w.denied++
			w.mu.Unlock()
			http.Error(rw, "credentials required", http.StatusUnauthorized)
			return
		}
	}
	body, ok := w.bodies[r.URL.Path]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	if w.gzipped[r.URL.Path] {
		rw.Header().Set("Content-Encoding", "gzip")
	}
	rw.Write(body)
}

// feedURL is where a payload's feed lives, with its credentials.
func (w *hostileWorld) feedURL(p hostile.Payload) string {
	u := w.srv.URL + "/p/" + p.Name
	if p.Userinfo != "" {
		u = strings.Replace(u, "http://", "http://"+p.Userinfo+"@", 1)
	}
	if p.Query != "" {
		u += "?" + p.Query
	}
	return u
}

func feedName(p hostile.Payload) string { return "Hostile " + p.Name }

// secrets are the strings no output may carry.
func (w *hostileWorld) secrets() []string {
	var s []string
	for _, p := range w.payloads {
		s = append(s, p.Secrets...)
	}
	return s
}

// config writes a config with every payload's feed and the two outlets.
func (w *hostileWorld) config(t *testing.T, only func(hostile.Payload) bool) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir = %q\nallow_private_addresses = true\nlog_level = \"info\"\n", filepath.Join(dir, "data"))
	b.WriteString(storeTable(t))
	b.WriteString("[server]\nlisten = \"127.0.0.1:0\"\ntitle = \"wirefeed hostile\"\n")
	fmt.Fprintf(&b, "[[feeds]]\nname = \"Outlet A\"\nurl = %q\n[[feeds]]\nname = \"Outlet B\"\nurl = %q\n", w.srv.URL+"/a/feed.rss", w.srv.URL+"/b/feed.atom")
	for _, p := range w.payloads {
		if only == nil || only(p) {
			fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", feedName(p), w.feedURL(p))
		}
	}
	cfgPath = filepath.Join(dir, "wirefeed.toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

// child runs the wirefeed command line in a child process (the test
// binary standing in for wirefeed), so a fatal error kills the child and
// not the test. It returns the exit code, the outputs and the child's peak
// resident memory in MB (0 where /proc is missing).
func child(t *testing.T, args ...string) (code int, stdout, stderr string, maxRSS int64) {
	t.Helper()
	peak := filepath.Join(t.TempDir(), "peak")
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1", "WIREFEED_PEAK_FILE="+peak)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("wirefeed %v: %v", args, err)
	}
	if b, err := os.ReadFile(peak); err == nil {
		var kb int64
		fmt.Sscanf(string(b), "%d kB", &kb)
		maxRSS = kb / 1024
	}
	if strings.Contains(errb.String(), "fatal error") || strings.Contains(errb.String(), "goroutine ") {
		t.Fatalf("wirefeed %v crashed (exit %d):\n%s", args, cmd.ProcessState.ExitCode(), tailOf(errb.String(), 3000))
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String(), maxRSS
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// spoofing reports a character that lets a text read as something else:
// a bidirectional embedding, override or isolate, or a noncharacter.
func spoofing(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

// checkShown checks a text that leaves the process: no secret, no
// spoofing character, nothing that a reader would run.
func checkShown(t *testing.T, what, s string, secrets []string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			i := strings.Index(s, sec)
			t.Errorf("%s carries the secret %q: …%s…", what, sec, s[max(0, i-80):min(len(s), i+len(sec)+20)])
		}
	}
	if i := strings.IndexFunc(s, spoofing); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		t.Errorf("%s carries %U: …%q…", what, r, s[max(0, i-60):min(len(s), i+20)])
	}
}

// checkFeed checks one rendered merged feed: well-formed, every entry's
// title plain and safe, content without active parts.
func checkFeed(t *testing.T, what string, body []byte, secrets []string) {
	t.Helper()
	checkShown(t, what, string(body), secrets)
	if strings.HasSuffix(what, ".json") {
		if !json.Valid(body) {
			t.Fatalf("%s: not valid JSON", what)
		}
	} else {
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed XML: %v", what, err)
			}
		}
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: gofeed cannot read it: %v", what, err)
	}
	for _, it := range f.Items {
		content := strings.ToLower(it.Content + it.Description)
		for _, bad := range []string{"<script", "javascript:", "onerror=", "onclick=", "<iframe", "<object", "<form"} {
			if strings.Contains(content, bad) {
				t.Errorf("%s: entry %q carries %q", what, it.Title, bad)
			}
		}
		if utf8.RuneCountInString(it.Title) > 1100 {
			t.Errorf("%s: an entry's title has %d characters", what, utf8.RuneCountInString(it.Title))
		}
	}
}

// TestHostileCorpusThroughFetchAndEveryOutput runs `wirefeed fetch` (in a
// child process, which the nesting payload used to kill with a fatal stack
// overflow and exit status 2) over every payload of the hostile corpus
// next to two healthy outlets: each rejected payload fails alone, with a
// clear error, recorded and backed off; the outlets and the stored
// payloads are stored; every output (three formats, static files, OPML,
// export, the status page), the summary and the logs are well-formed and
// carry no secret and no spoofing character. A second run, as after a
// restart, skips the failing feeds (backing off) and does not crash.
func TestHostileCorpusThroughFetchAndEveryOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches 60 MB of hostile documents in a child process")
	}
	if raceEnabled {
		t.Skip("bounds, not concurrency: runs without -race (see race_on_test.go)")
	}
	w := newHostileWorld(t)
	cfgPath, dir := w.config(t, nil)
	static := filepath.Join(dir, "static")
	secrets := w.secrets()

	code, out, errOut, rss := child(t, "fetch", "-config", cfgPath, "--out", static)
	t.Logf("fetch over %d hostile feeds: exit %d, peak RSS %d MB\n%s", len(w.payloads), code, rss, out)
	if code != exitFailure {
		t.Fatalf("fetch: exit %d, want %d (some feeds failed)\nstdout:\n%s\nstderr:\n%s", code, exitFailure, out, tailOf(errOut, 3000))
	}
	if rss > 1024 {
		t.Errorf("fetch peaked at %d MB of resident memory", rss)
	}
	checkShown(t, "fetch's summary", out, secrets)
	checkShown(t, "fetch's log", errOut, secrets)
	if w.denied > 0 {
		t.Errorf("%d requests for the private feed came without its credentials", w.denied)
	}

	summary := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if status, rest, ok := strings.Cut(line, " "); ok && (status == "FAILED" || status == "skipped") {
			name, reason, _ := strings.Cut(strings.TrimSpace(rest), "  ")
			summary[strings.TrimSpace(name)] = status + ": " + strings.TrimSpace(reason)
		}
	}
	ctx := context.Background()
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.Database(), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	states, err := st.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	now := time.Now()
	for _, p := range w.payloads {
		name, fs := feedName(p), states[feedName(p)]
		switch p.Want {
		case hostile.Rejected:
			line := summary[name]
			if !strings.HasPrefix(line, "FAILED") || !strings.Contains(strings.ToLower(line), strings.ToLower(p.Reason)) {
				t.Errorf("%s: summary line %q, want FAILED saying %q", p.Name, line, p.Reason)
			}
			if fs.ConsecutiveErrors != 1 || !fs.NextDue.After(now) || fs.NextDueReason != wirefeed.NextDueBackoff || fs.Items != 0 ||
				!strings.Contains(strings.ToLower(fs.LastError), strings.ToLower(p.Reason)) {
				t.Errorf("%s: recorded %+v; want one failure with its reason, backed off, nothing stored", p.Name, fs)
			}
		case hostile.Stored:
			if line, bad := summary[name]; bad || fs.ConsecutiveErrors != 0 || fs.Items == 0 {
				t.Errorf("%s: %q, recorded %+v; want stored", p.Name, line, fs)
			}
		}
	}
	for _, name := range []string{"Outlet A", "Outlet B"} {
		if fs := states[name]; fs.ConsecutiveErrors != 0 || fs.Items == 0 {
			t.Errorf("%s: %+v; a hostile neighbour must not hurt it", name, fs)
		}
	}
	if n := states[feedName(hostile.Payload{Name: "many-items.rss"})].Items; n != 500 {
		t.Errorf("many-items.rss: %d items stored, want the first 500", n)
	}

	// Every output, as files and as export.
	for _, name := range []string{"feed.rss", "feed.atom", "feed.json"} {
		body, err := os.ReadFile(filepath.Join(static, name))
		if err != nil {
			t.Fatal(err)
		}
		checkFeed(t, "static "+name, body, secrets)
	}
	opml, err := os.ReadFile(filepath.Join(static, "sources.opml"))
	if err != nil {
		t.Fatal(err)
	}
	checkShown(t, "sources.opml", string(opml), secrets)
	if !strings.Contains(string(opml), "api_key=REDACTED") {
		t.Error("sources.opml does not show the private feed's URL, redacted")
	}
	for _, f := range []string{"rss", "atom", "json"} {
		code, body, errOut := cli(t, "export", "-config", cfgPath, "-format", f, "-limit", "1000")
		if code != exitOK {
			t.Fatalf("export %s: exit %d %s", f, code, errOut)
		}
		checkFeed(t, "export of feed."+f, []byte(body), secrets)
		if f == "json" {
			for _, want := range []string{"Invoice for the summit gnp.exe", "Members-only report on the Geneva talks", `"feed_url": "http://127.0.0.1`} {
				if !strings.Contains(body, want) {
					t.Errorf("the JSON feed lacks %q", want)
				}
			}
		}
	}
	// The status page, served by the daemon's handler over this database.
	cfg, err = LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := store.Open(ctx, cfg.Database(), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	a := &app{cfg: cfg, store: ro, logger: newLogger(io.Discard, "error", "text", cfg.Redactor())}
	srv := httptest.NewServer(a.feedHandler())
	defer srv.Close()
	page, code2 := get(t, srv.URL+"/")
	if code2 != 200 {
		t.Fatalf("status page: %d", code2)
	}
	checkShown(t, "the status page", page, secrets)
	for _, want := range []string{"nests too deep", "<bdi>Hostile bidi-titles.rss</bdi>", "api_key=REDACTED"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page does not show %q", want)
		}
	}

	// A restart: the failing feeds are backing off, so nothing crashes and
	// nothing is fetched again; fetch still exits 1 while feeds are failing.
	code, out, errOut, _ = child(t, "fetch", "-config", cfgPath)
	if code != exitFailure || !strings.Contains(out, " 0 failed;") {
		t.Fatalf("second fetch: exit %d, want %d with nothing fetched and failing again\n%s\n%s", code, exitFailure, out, tailOf(errOut, 2000))
	}
	for _, p := range w.payloads {
		if p.Want == hostile.Rejected && !strings.Contains(out, "skipped  "+feedName(p)) && !strings.Contains(out, "skipped\t"+feedName(p)) {
			if !strings.Contains(out, feedName(p)) || !strings.Contains(out, "backing off") {
				t.Errorf("second fetch does not list %s as backing off:\n%s", p.Name, out)
			}
		}
	}
	checkShown(t, "the second summary", out, secrets)
}

// TestHostileCorpusThroughInspect runs `wirefeed inspect` on every payload
// in a child process: a rejected one exits 1 with its reason and the file
// named, a stored one prints valid JSON with bounded, clean items; the
// private feed is inspected from its URL, credentials and all, and its
// secrets appear nowhere. Each child's peak memory is reported and held to
// a gross bound.
func TestHostileCorpusThroughInspect(t *testing.T) {
	if testing.Short() {
		t.Skip("inspects 60 MB of hostile documents in child processes")
	}
	if raceEnabled {
		t.Skip("bounds, not concurrency: runs without -race (see race_on_test.go)")
	}
	w := newHostileWorld(t)
	dir := t.TempDir()
	secrets := w.secrets()
	for _, p := range w.payloads {
		target := filepath.Join(dir, p.Name)
		body := p.Body()
		if err := os.WriteFile(target, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if p.Userinfo != "" || p.Query != "" {
			target = w.feedURL(p)
		}
		args := []string{"inspect"}
		if strings.HasPrefix(target, "http") {
			args = append(args, "--allow-private")
		}
		code, out, errOut, rss := child(t, append(args, target)...)
		t.Logf("%-30s %-8s %8d bytes: exit %d, peak RSS %4d MB", p.Name, p.Want, len(body), code, rss)
		// Gross: the test binary itself, plus a generous multiple of the
		// document (gofeed holds 10 to 35 times a real feed's size).
		if limit := int64(len(body)>>20)*40 + 300; rss > limit {
			t.Errorf("%s: inspect peaked at %d MB for a %d-byte document, over %d MB", p.Name, rss, len(body), limit)
		}
		checkShown(t, "inspect's output of "+p.Name, out, secrets)
		checkShown(t, "inspect's errors for "+p.Name, errOut, secrets)
		switch p.Want {
		case hostile.Rejected:
			if code != exitFailure || !strings.Contains(strings.ToLower(errOut), strings.ToLower(p.Reason)) || !strings.Contains(errOut, p.Name) {
				t.Errorf("%s: exit %d, %q; want 1 naming the file and saying %q", p.Name, code, errOut, p.Reason)
			}
		case hostile.Stored:
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", p.Name, code, errOut)
			}
			var doc inspectOutput
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%s: output is not JSON: %v", p.Name, err)
			}
			if len(doc.Items) == 0 || len(doc.Items) > 500 {
				t.Errorf("%s: %d items", p.Name, len(doc.Items))
			}
			for _, it := range doc.Items {
				// Titles are plain text (a title may say "<script>" in so
				// many characters; every output escapes it); bodies are
				// sanitised HTML.
				if strings.ContainsAny(it.Title, "\n\t") {
					t.Errorf("%s: title %q is not one line", p.Name, it.Title)
				}
				if c := strings.ToLower(it.ContentHTML); strings.Contains(c, "<script") || strings.Contains(c, "javascript:") || strings.Contains(c, "onerror") {
					t.Errorf("%s: content_html carries active content: %q", p.Name, it.ContentHTML)
				}
				if n := utf8.RuneCountInString(it.Title); n > 1000 {
					t.Errorf("%s: a title of %d characters", p.Name, n)
				}
				if len(it.ContentHTML) > 512<<10 {
					t.Errorf("%s: a body of %d bytes", p.Name, len(it.ContentHTML))
				}
			}
		}
	}
}

// TestServeSurvivesTheCrashFeed: the daemon used to die of the nesting
// payload at its start-up cycle, and again at every restart. It now
// records the feed as failing, serves its neighbours' stories, stays
// ready, stops cleanly and, restarted, skips the feed while it backs off.
func TestServeSurvivesTheCrashFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon")
	}
	if raceEnabled {
		t.Skip("bounds, not concurrency: runs without -race (see race_on_test.go)")
	}
	w := newHostileWorld(t)
	cfgPath, _ := w.config(t, func(p hostile.Payload) bool {
		return p.Name == "nesting-2.7m.rss" || p.Name == "element-flood-760k.rss" || p.Name == "item-flood.json"
	})
	for run := 1; run <= 2; run++ {
		d := startDaemon(t, cfgPath)
		base := "http://" + d.addr
		waitForStatus(t, base+"/readyz", 200)
		body, code := get(t, base+"/feed.json")
		if code != 200 || !strings.Contains(body, `"feed": "Outlet A"`) || !strings.Contains(body, `"feed": "Outlet B"`) {
			t.Fatalf("run %d: /feed.json = %d without the outlets' stories:\n%s", run, code, body)
		}
		page, _ := get(t, base+"/")
		if !strings.Contains(page, "nests too deep") || !strings.Contains(page, "too many elements") {
			t.Errorf("run %d: the status page does not show the failing feeds' errors", run)
		}
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := d.cmd.Wait(); err != nil {
			t.Fatalf("run %d: the daemon exited with %v:\n%s", run, err, tailOf(d.logs(), 3000))
		}
		logs := d.logs()
		if strings.Contains(logs, "fatal error") || !strings.Contains(logs, "stopped cleanly") {
			t.Fatalf("run %d: logs:\n%s", run, tailOf(logs, 3000))
		}
		if run == 1 && !strings.Contains(logs, "nests too deep") {
			t.Errorf("run 1: the failure is not logged:\n%s", tailOf(logs, 2000))
		}
		// On PostgreSQL the restarted daemon is another instance, and the
		// outlets the first one fetched moments ago are done for this
		// cycle too (shared work): five skipped.
		skipped := "skipped=3"
		if onPostgres() {
			skipped = "skipped=5"
		}
		if run == 2 && (!strings.Contains(logs, skipped) || strings.Contains(logs, "nests too deep")) {
			t.Errorf("run 2: the failing feeds were fetched again instead of backing off:\n%s", tailOf(logs, 2000))
		}
	}
}
