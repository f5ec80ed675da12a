package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/internal/pgtest"
)

// requestLog counts a fixture world's requests per feed and instance (the
// instances send User-Agents of their own) and holds every request of one
// instance (hold) until the test ends, so that instance is killed with
// fetches in flight and leases it will never end.
type requestLog struct {
	mu      sync.Mutex
	n       map[string]map[string]int // path -> user agent -> requests
	at      map[string][]time.Time    // path -> when each request came
	hold    string                    // user agent whose requests never get an answer
	held    chan struct{}             // closed at the first held request
	release chan struct{}             // closed when the test ends
	once    sync.Once
}

func newRequestLog(hold string) *requestLog {
	return &requestLog{n: map[string]map[string]int{}, at: map[string][]time.Time{}, hold: hold,
		held: make(chan struct{}), release: make(chan struct{})}
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua := r.Header.Get("User-Agent")
		l.mu.Lock()
		if l.n[r.URL.Path] == nil {
			l.n[r.URL.Path] = map[string]int{}
		}
		l.n[r.URL.Path][ua]++
		l.at[r.URL.Path] = append(l.at[r.URL.Path], time.Now())
		l.mu.Unlock()
		if ua == l.hold {
			l.once.Do(func() { close(l.held) })
			select {
			case <-l.release:
			case <-r.Context().Done():
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// counts returns, per path, the requests of each user agent.
func (l *requestLog) counts() map[string]map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]map[string]int{}
	for p, m := range l.n {
		out[p] = map[string]int{}
		for ua, k := range m {
			out[p][ua] = k
		}
	}
	return out
}

// last returns when path was last asked for.
func (l *requestLog) last(path string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.at[path]
	if len(at) == 0 {
		return time.Time{}
	}
	return at[len(at)-1]
}

var servingAddr = regexp.MustCompile(`msg="wirefeed serving" addr=(\S+)`)

// TestInstancesShareOnePostgres is issue 11's proof: three `wirefeed serve`
// processes on one PostgreSQL database and a fixture world of nine outlets
// that each carry an edited copy of the same stories. The first instance
// starts first and is SIGKILLed while its fetches are in flight (the
// fixture server never answers it), holding leases it will never end. The
// two survivors must fetch every feed exactly once between them in their
// start-up cycle, taking the dead instance's feeds over once its leases
// expire (lease_ttl 2s); every story must be one, carried by all nine
// outlets; and both must serve the same bytes and ETags.
func TestInstancesShareOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	dsn := pgtest.DSN(t)
	const outlets, stories = 9, 6
	const leaseTTL = 2 * time.Second
	world := editedWorld(outlets, stories)
	reqs := newRequestLog("instance-0")
	srv := httptest.NewServer(reqs.wrap(world))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(reqs.release) })

	dir := t.TempDir()
	config := func(i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "data_dir = %q\nallow_private_addresses = true\nlog_level = \"info\"\nschedule = \"@every 1h\"\n",
			filepath.Join(dir, fmt.Sprintf("data-%d", i)))
		fmt.Fprintf(&b, "[store]\ndsn = %q\nlease_ttl = %q\n", dsn, leaseTTL.String())
		fmt.Fprintf(&b, "[server]\nlisten = \"127.0.0.1:0\"\nbase_url = \"http://wirefeed.test/\"\n")
		fmt.Fprintf(&b, "[fetch]\nuser_agent = \"instance-%d\"\nper_host_concurrency = 2\n", i)
		for _, o := range world.Outlets {
			fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", o.Name, world.URL(srv.URL, o))
		}
		path := filepath.Join(dir, fmt.Sprintf("wirefeed-%d.toml", i))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	start := func(i int) (*exec.Cmd, *logLines) {
		cmd := exec.Command(os.Args[0], "serve", "-config", config(i))
		cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, readLines(stderr)
	}

	// The first instance claims feeds and starts fetching them; its
	// requests are held. Then the others start, and it dies mid-cycle.
	doomed, logDoomed := start(0)
	select {
	case <-reqs.held:
	case <-time.After(30 * time.Second):
		t.Fatalf("instance 0 fetched nothing:\n%s", logDoomed.String())
	}
	inst1, log1 := start(1)
	inst2, log2 := start(2)
	for i, l := range []*logLines{log1, log2} {
		if !l.waitFor("dedupe index loaded", 30*time.Second) {
			t.Fatalf("instance %d did not start:\n%s", i+1, l.String())
		}
	}
	if err := doomed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = doomed.Wait()
	heldByDead := map[string]bool{}
	for p, m := range reqs.counts() {
		if m["instance-0"] > 0 {
			heldByDead[p] = true
		}
	}
	if len(heldByDead) == 0 {
		t.Fatal("instance 0 held no feed when it was killed")
	}

	for i, l := range []*logLines{log1, log2} {
		if !l.waitFor("fetch cycle done", 60*time.Second) {
			t.Fatalf("instance %d did not finish its start-up cycle:\n%s", i+1, l.String())
		}
	}

	// No feed fetched twice in the cycle: every feed once by the
	// survivors, the dead instance's included.
	got := reqs.counts()
	for _, o := range world.Outlets {
		m := got[o.Path]
		if n := m["instance-1"] + m["instance-2"]; n != 1 {
			t.Errorf("feed %s: fetched %d times by the survivors (%v), want once", o.Name, n, m)
		}
		if m["instance-0"] > 1 {
			t.Errorf("feed %s: fetched %d times by instance 0", o.Name, m["instance-0"])
		}
	}
	// The dead instance's feeds were taken over once their leases expired:
	// not before the kill, and within a lease (plus the survivors' polling
	// and generous slack for a busy machine).
	for p := range heldByDead {
		at := reqs.last(p)
		if at.Before(killed) {
			t.Errorf("feed %s: fetched again before its holder died", p)
		}
		t.Logf("feed %s: held by the dead instance, taken over %s after the kill", p, at.Sub(killed).Round(time.Millisecond))
		if d := at.Sub(killed); d > 5*leaseTTL {
			t.Errorf("feed %s: taken over %s after its holder died, want within about %s", p, d, leaseTTL)
		}
	}
	if !strings.Contains(log1.String()+log2.String(), "taking over a feed whose holder's lease expired") {
		t.Errorf("no survivor says it took a feed over:\n%s\n%s", log1.String(), log2.String())
	}

	// No story split.
	checkOneStoryPerCopySet(t, dsn, outlets, stories)

	// The same answer from both survivors: bytes and ETag of every format.
	addr := func(l *logLines) string {
		m := servingAddr.FindStringSubmatch(l.String())
		if m == nil {
			t.Fatalf("no address in the log:\n%s", l.String())
		}
		return "http://" + m[1]
	}
	a1, a2 := addr(log1), addr(log2)
	for _, path := range []string{"/feed.json", "/feed.rss", "/feed.atom"} {
		b1, e1 := fetchBody(t, a1+path)
		b2, e2 := fetchBody(t, a2+path)
		if b1 != b2 || e1 != e2 || e1 == "" {
			t.Errorf("%s differs between the survivors: ETag %s vs %s\n%.400s\n---\n%.400s", path, e1, e2, b1, b2)
		}
		if path == "/feed.json" && strings.Count(b1, `"cluster_id"`) != stories {
			t.Errorf("%s: %d stories, want %d", path, strings.Count(b1, `"cluster_id"`), stories)
		}
	}
	for i, c := range []*exec.Cmd{inst1, inst2} {
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := c.Wait(); err != nil {
			t.Errorf("instance %d: %v\n%s", i+1, err, []*logLines{log1, log2}[i].String())
		}
	}
}

// fetchBody returns url's body and ETag.
func fetchBody(t *testing.T, url string) (string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return string(b), resp.Header.Get("ETag")
}
