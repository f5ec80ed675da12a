package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unprivileged runs the wirefeed command line (this test binary standing
// in for it) in a child process as a user who does not own the test's
// files: as nobody (65534) when the tests run as root, who may write
// anything, else as the current user, whom the files' modes then stop.
// dirs are made traversable for that user.
type unprivileged struct {
	t    *testing.T
	bin  string
	cred *syscall.Credential
	uid  int
}

func newUnprivileged(t *testing.T, dirs ...string) *unprivileged {
	t.Helper()
	u := &unprivileged{t: t, bin: os.Args[0], uid: os.Getuid()}
	if os.Geteuid() != 0 {
		return u
	}
	u.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	u.uid = 65534
	// nobody must reach the binary and the test's files.
	binDir := t.TempDir()
	dirs = append(dirs, binDir)
	for _, d := range dirs {
		for p := d; p != "/" && p != "." && strings.HasPrefix(p, os.TempDir()); p = filepath.Dir(p) {
			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	u.bin = filepath.Join(binDir, "wirefeed.test")
	if err := os.WriteFile(u.bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u *unprivileged) run(args ...string) (code int, stdout, stderr string) {
	u.t.Helper()
	cmd := exec.Command(u.bin, args...)
	cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1")
	if u.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		u.t.Fatalf("running %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// readOnlyFixture fetches the e2e fixtures into a database, then leaves
// the data directory and its files readable, not writable, by the
// unprivileged user.
func readOnlyFixture(t *testing.T) (cfgPath, dataDir string, u *unprivileged) {
	t.Helper()
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath = writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	if code, out, errOut := cli(t, "fetch", "-config", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	dataDir = filepath.Join(filepath.Dir(cfgPath), "data")
	u = newUnprivileged(t, dataDir)
	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dataDir, "*"))
	for _, f := range files {
		if err := os.Chmod(f, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dataDir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dataDir, 0o755) })
	return cfgPath, dataDir, u
}

// TestExportReadsADatabaseItMayOnlyRead: export used to fail with
// "attempt to write a readonly database" (it migrated on open). It now
// opens read-only: with no daemon running (no -wal file; the directory is
// not writable, so SQLite cannot create the -shm index and the file is
// read as immutable) and with a daemon writing it (WAL and index present).
func TestExportReadsADatabaseItMayOnlyRead(t *testing.T) {
	if onPostgres() {
		t.Skip("about the SQLite file's permissions; the database is on PostgreSQL")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfgPath, dataDir, u := readOnlyFixture(t)
	_, want, _ := cli(t, "export", "-config", cfgPath, "-format", "json")
	if !strings.Contains(want, `"cluster_id"`) {
		t.Fatalf("export as the owner printed:\n%s", want)
	}
	for _, f := range []string{"json", "atom", "rss"} {
		code, out, errOut := u.run("export", "-config", cfgPath, "-format", f)
		if code != exitOK || out == "" {
			t.Fatalf("export -format %s as uid %d of a read-only database: exit %d\n%s", f, u.uid, code, errOut)
		}
		if f == "json" && out != want {
			t.Errorf("read-only export differs from the owner's:\n%s\nwant\n%s", out, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "wirefeed.db-wal")); err == nil {
		t.Error("a read-only export left a -wal file")
	}

	// With a daemon writing (as the owner), the reader follows the WAL.
	os.Chmod(dataDir, 0o755)
	d := startDaemon(t, cfgPath)
	waitForStatus(t, "http://"+d.addr+"/readyz", 200)
	if _, err := os.Stat(filepath.Join(dataDir, "wirefeed.db-shm")); err != nil {
		t.Fatalf("the daemon runs without a -shm file: %v", err)
	}
	os.Chmod(dataDir, 0o555)
	code, out, errOut := u.run("export", "-config", cfgPath, "-format", "json")
	if code != exitOK || !strings.Contains(out, `"cluster_id"`) {
		t.Fatalf("export as uid %d while the daemon runs: exit %d\n%s\n%s", u.uid, code, out, errOut)
	}
}

// TestUnwritableDataDirSaysWhoAndWhat: a data directory the process may
// not write gave "unable to open database file (14)"; now the error names
// the user and what it needs.
func TestUnwritableDataDirSaysWhoAndWhat(t *testing.T) {
	if onPostgres() {
		t.Skip("about the SQLite file's permissions; the database is on PostgreSQL")
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	cfgPath, dataDir, u := readOnlyFixture(t)
	for _, cmd := range []string{"fetch", "serve"} {
		code, _, errOut := u.run(cmd, "-config", cfgPath)
		if code != exitFailure {
			t.Errorf("%s as uid %d with an unwritable data_dir: exit %d, want %d\n%s", cmd, u.uid, code, exitFailure, errOut)
		}
		for _, want := range []string{"data_dir " + dataDir, "uid " + strconv.Itoa(u.uid), "needs to create and write wirefeed.db", "permission denied"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: error does not say %q:\n%s", cmd, want, errOut)
			}
		}
	}
	// A writable directory but a database file of another user's.
	os.Chmod(dataDir, 0o777)
	code, _, errOut := u.run("fetch", "-config", cfgPath)
	if code != exitFailure || !strings.Contains(errOut, "wirefeed.db") || !strings.Contains(errOut, "uid "+strconv.Itoa(u.uid)) {
		t.Errorf("fetch with a read-only database file: exit %d\n%s", code, errOut)
	}
	_ = io.Discard
}
