package store

import "database/sql"

// DB returns the store's handle to the black-box tests of this package
// (package store_test), which read and damage the database directly. No
// other package reaches the database but through the Store.
func DB(s *Store) *sql.DB { return s.db }
