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

// checkDataDir makes sure this process can create and write the database
// in dir before SQLite tries, whose own answer is "unable to open database
// file (14)". The error says which user the process runs as and what it
// needs.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return dataDirError(dir, err)
	}
	f, err := os.CreateTemp(dir, ".wirefeed-write-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the probe file's name means nothing to the operator
		}
		return dataDirError(dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	// The files themselves may belong to another user. They are checked
	// with access(2), not opened: this process holds no database lock yet,
	// but opening and closing a database file is best left to SQLite.
	for _, name := range []string{"wirefeed.db", "wirefeed.db-wal", "wirefeed.db-shm"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := syscall.Access(p, 2 /* W_OK */); err != nil {
			return dataDirError(dir, &fs.PathError{Op: "write", Path: p, Err: err})
		}
	}
	return nil
}

func dataDirError(dir string, err error) error {
	return fmt.Errorf("data_dir %s: %w: wirefeed runs as %s and needs to create and write wirefeed.db, wirefeed.db-wal and wirefeed.db-shm in it; make it writable by that user (for example chown -R %d %s) or set data_dir or -data-dir to a directory it may write",
		dir, err, processUser(), os.Getuid(), dir)
}

// readError explains why a command that only reads the database could not
// open it.
func readError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) || isCantOpen(err) {
		return fmt.Errorf("%w: wirefeed runs as %s and needs to read %s (and, while a daemon writes it, its -wal and -shm files, or write access to their directory)", err, processUser(), path)
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

// processUser names the user this process runs as: "uid 65534 (nobody),
// gid 65534", or just the numbers where there is no user database (the
// FROM scratch image).
func processUser() string {
	uid, gid := os.Getuid(), os.Getgid()
	name := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = " (" + u.Username + ")"
	}
	return fmt.Sprintf("uid %d%s, gid %d", uid, name, gid)
}
