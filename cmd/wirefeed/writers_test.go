package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
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

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/store"
)

// TestProcessesOnOneDatabaseNeverSplitAStory runs two `wirefeed fetch`
// processes and a `wirefeed serve` process on one SQLite file at the same
// moment (issue 11). Each fetches three of nine outlets; every outlet
// carries its own edited copy of the same stories (a sentence of its own,
// a dateline, a furniture line, a headline suffix), so only the
// near-duplicate rules can join them, and each process's deduplicator
// indexes only what it loaded at start unless it catches up with the
// others. The fixture server holds every answer until all nine feeds have
// been asked for, so the three write at the same time. Every story must
// end up as one, carried by all nine outlets.
func TestProcessesOnOneDatabaseNeverSplitAStory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	const outlets, perProcess, stories = 9, 3, 8
	world := editedWorld(outlets, stories)
	barrier := newBarrier(outlets, 5*time.Second)
	srv := httptest.NewServer(barrier.wrap(world))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	configs := make([]string, outlets/perProcess)
	for p := range configs {
		var b strings.Builder
		fmt.Fprintf(&b, "data_dir = %q\nallow_private_addresses = true\nlog_level = \"info\"\n", data)
		// Every outlet is on one host: fetched all at once, not two at a
		// time, so that the barrier sees all nine.
		b.WriteString("[server]\nlisten = \"127.0.0.1:0\"\n[fetch]\nper_host_concurrency = 3\n")
		for _, o := range world.Outlets[p*perProcess : (p+1)*perProcess] {
			fmt.Fprintf(&b, "[[feeds]]\nname = %q\nurl = %q\n", o.Name, world.URL(srv.URL, o))
		}
		configs[p] = filepath.Join(dir, fmt.Sprintf("wirefeed-%d.toml", p))
		if err := os.WriteFile(configs[p], []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The database exists before the three start, as it would for a
	// daemon that has run before: none of them races to create it.
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if st, err := store.Open(context.Background(), filepath.Join(data, "wirefeed.db"), store.Options{}); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}

	start := func(args ...string) (*exec.Cmd, *logLines) {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		return cmd, readLines(stderr)
	}
	fetch1, log1 := start("fetch", "-config", configs[0])
	fetch2, log2 := start("fetch", "-config", configs[1])
	daemon, logd := start("serve", "-config", configs[2])

	for i, c := range []*exec.Cmd{fetch1, fetch2} {
		if err := c.Wait(); err != nil {
			t.Fatalf("fetch %d: %v\n%s", i+1, err, []*logLines{log1, log2}[i].String())
		}
	}
	if !logd.waitFor("fetch cycle done", 30*time.Second) {
		t.Fatalf("the daemon did not finish its first cycle:\n%s", logd.String())
	}
	if err := daemon.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := daemon.Wait(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logd.String())
	}
	if n := barrier.released(); n < outlets {
		t.Fatalf("only %d feeds were asked for before the barrier gave up: the processes did not fetch at the same moment", n)
	}

	checkOneStoryPerCopySet(t, filepath.Join(data, "wirefeed.db"), outlets, stories)
}

// checkOneStoryPerCopySet opens the database at dsn read-only and checks
// that it holds the given number of stories, each made of every outlet's
// copy of one story of editedWorld (never split, never glued).
func checkOneStoryPerCopySet(t *testing.T, dsn string, outlets, stories int) {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Stories(context.Background(), wirefeed.StoryQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		keys := map[string]bool{}
		for _, m := range s.Members {
			keys[m.GUID[strings.LastIndexByte(m.GUID, '-')+1:]] = true
		}
		if len(keys) != 1 || len(s.Members) != outlets {
			t.Errorf("story %s: %d members of stories %v, want the %d outlets' copies of one story", s.ID, len(s.Members), keys, outlets)
		}
	}
	if len(got) != stories {
		t.Errorf("%d stories, want %d", len(got), stories)
	}
}

// editedWorld returns outlets that each carry their own edited copy of the
// same stories of generated prose.
func editedWorld(outlets, stories int) *fixtures.World {
	w := &fixtures.World{Base: time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)}
	for k := range outlets {
		w.Outlets = append(w.Outlets, fixtures.Outlet{Name: fmt.Sprintf("Outlet %d", k), Path: fmt.Sprintf("/o%d.xml", k), Format: "rss"})
	}
	for i := range stories {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		key := fmt.Sprintf("s%d", i)
		paras := []string{fixtures.Paragraph(rng), fixtures.Paragraph(rng), fixtures.Paragraph(rng), fixtures.Paragraph(rng)}
		title := "Talks on " + fixtures.Words(rng, 6)
		w.Stories = append(w.Stories, fixtures.Story{Key: key, Cat: "World", Title: title, Text: strings.Join(paras, "\n")})
		for k := range outlets {
			edit := append([]string(nil), paras...)
			edit[k%len(edit)] += fmt.Sprintf(" Correspondent number %d contributed reporting to this part.", k)
			edit[0] = fmt.Sprintf("CAPITAL%c (Outlet %d) - %s", 'A'+rune(k), k, edit[0])
			edit = append(edit, fmt.Sprintf("Read more from Outlet %d.", k))
			w.Appearances = append(w.Appearances, fixtures.Appearance{Round: 0, Outlet: fmt.Sprintf("Outlet %d", k), Story: key,
				Title: fmt.Sprintf("%s - Outlet %d", title, k), Text: strings.Join(edit, "\n")})
		}
	}
	return w
}

// barrier holds every request until n distinct paths have been asked for,
// or until a timeout, then lets them all through.
type barrier struct {
	mu      sync.Mutex
	n       int
	paths   map[string]bool
	open    chan struct{}
	timeout time.Duration
	once    sync.Once
}

func newBarrier(n int, timeout time.Duration) *barrier {
	return &barrier{n: n, paths: map[string]bool{}, open: make(chan struct{}), timeout: timeout}
}

func (b *barrier) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.paths[r.URL.Path] = true
		if len(b.paths) >= b.n {
			b.once.Do(func() { close(b.open) })
		}
		b.mu.Unlock()
		select {
		case <-b.open:
		case <-time.After(b.timeout):
		}
		h.ServeHTTP(w, r)
	})
}

// released returns how many distinct paths were asked for.
func (b *barrier) released() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.paths)
}

// logLines collects a process's stderr lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // signalled on every line
}

func readLines(r interface{ Read([]byte) (int, error) }) *logLines {
	l := &logLines{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			select {
			case l.more <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitFor reports whether a line containing s arrives within d.
func (l *logLines) waitFor(s string, d time.Duration) bool {
	deadline := time.After(d)
	for !strings.Contains(l.String(), s) {
		select {
		case <-l.more:
		case <-deadline:
			return false
		}
	}
	return true
}
