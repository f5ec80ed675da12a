package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// checkDataDir creates the data directory if needed and makes sure this
// process can create and write the database in it, so that a volume owned
// by another user fails at start with an error that says so, not with
// SQLite's "unable to open database file (14)".
func checkDataDir(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".wirefeed-write-check-*"); err == nil {
			name := f.Name()
			f.Close()
			os.Remove(name)
		}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && strings.Contains(filepath.Base(pe.Path), ".wirefeed-write-check-") {
			err = pe.Err // the probe file's name means nothing to the operator
		}
		return dataDirError(dir, os.Getuid(), err)
	}
	// The files themselves may belong to another user. They are checked
	// with access(2), not opened: opening and closing a database file is
	// best left to SQLite.
	for _, name := range []string{"wirefeed.db", "wirefeed.db-wal", "wirefeed.db-shm"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := syscall.Access(p, 2 /* W_OK */); err != nil {
			return dataDirError(dir, os.Getuid(), &fs.PathError{Op: "write", Path: p, Err: err})
		}
	}
	return nil
}

// dataDirError explains a data directory this process (uid) cannot use:
// who it runs as and what it needs.
func dataDirError(dir string, uid int, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("data_dir %s is not writable by %s, the user wirefeed runs as, who needs to create and write wirefeed.db, wirefeed.db-wal and wirefeed.db-shm there: "+
			"give that user the directory (chown -R %d %s; for a bind mount, chown it on the host), use a named volume, or set data_dir or -data-dir to a directory it may write: %w",
			dir, userName(uid, os.Getgid()), uid, dir, err)
	}
	return fmt.Errorf("data_dir %s: %w", dir, err)
}

// readError explains why a command that only reads the database could not
// open it.
func readError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) || isCantOpen(err) {
		return fmt.Errorf("%w: wirefeed runs as %s and needs to read %s (and, while a daemon writes it, its -wal and -shm files)", err, userName(os.Getuid(), os.Getgid()), path)
	}
	return err
}

func isCantOpen(err error) bool {
	s := err.Error()
	for _, sub := range []string{"unable to open database file", "(14)", "readonly database", "(8)"} {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// userName names a user: "uid 1000 (ada), gid 1000", with the name where
// the system knows it (the FROM scratch image has no user database).
func userName(uid, gid int) string {
	name := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	if uid == 65534 {
		if name == "" {
			name = "nobody"
		}
		name += ", as in the Docker image"
	}
	if name != "" {
		name = " (" + name + ")"
	}
	return fmt.Sprintf("uid %d%s, gid %d", uid, name, gid)
}
